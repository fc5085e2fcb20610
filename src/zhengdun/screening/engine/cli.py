"""Command functions shared by ``python -m zhengdun.screening.engine`` and the Django commands.

Each function returns a process exit code and prints errors on stderr.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys

from .contract import FILES, RULES, ScreeningInputError, locate_inputs


def _w(stream, text: str) -> None:
    """Write one line; works for sys.stdout and Django's OutputWrapper alike."""
    stream.write(text + "\n")
    if hasattr(stream, "flush"):
        stream.flush()


def run_screen(data_dir: str, out: str, *, as_of: str | None = None, engine: str = "duckdb",
               rules: str | None = None, stdout=None, stderr=None) -> int:
    from .core import screen, write_hits

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr

    def progress(stage, elapsed, rows=None):
        extra = f" rows={rows}" if rows is not None else ""
        _w(stderr, f"[screen] {stage:<14} {elapsed:7.2f}s{extra}")

    try:
        day = parse_day(as_of)
    except ValueError as exc:
        _w(stderr, f"error: --as-of {exc}")
        return 2
    if engine not in ("duckdb", "spark"):
        _w(stderr, f"error: --engine must be duckdb or spark, not {engine!r}")
        return 2
    try:
        from .pipeline import parse_rules

        rule_list = parse_rules(rules)
    except ValueError as exc:
        _w(stderr, f"error: --rules: {exc}")
        return 2
    kept = f"nothing written; {out} is left as it was" if os.path.lexists(out) else "nothing written"
    problem = _out_problem(data_dir, out)
    if problem:
        _w(stderr, f"error: --out {out}: {problem}")
        _w(stderr, kept)
        return 2
    try:
        result = screen(data_dir, as_of=day, engine=engine, rules=rule_list, progress=progress)
    except ScreeningInputError as exc:
        _w(stderr, f"error: {exc}")
        _w(stderr, kept)
        return 1
    try:
        write_hits(result.hits, out)
    except OSError as exc:
        _w(stderr, f"error: cannot write {out}: {exc.strerror or exc}")
        _w(stderr, kept)
        return 1
    _w(stdout, f"screening {data_dir} as of {result.as_of} with {engine}: {out}")
    for line in result.summary_lines():
        _w(stdout, line)
    return 0


def parse_day(text: str | None) -> datetime.date | None:
    """A date written exactly YYYY-MM-DD (None: not given); ValueError says what is wrong."""
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the calendar") from None
    if day.year < 1900:
        raise ValueError(f"{text!r} is before 1900")
    return day


def _out_problem(data_dir: str, out: str) -> str | None:
    """Why hits cannot go to ``out`` (checked before the run, which may take minutes), else None."""
    if not out or out.endswith((os.sep, "/")) or os.path.isdir(out):
        return "is not a file name; give one such as hits.csv"
    if os.path.lexists(out) and not os.path.isfile(out):
        return "exists and is not a regular file (a device, a pipe or a link to nothing)"
    try:
        inputs = locate_inputs(data_dir)
    except ScreeningInputError:
        return None  # the run reports it
    target = os.path.realpath(out)
    for path in inputs.values():
        if os.path.realpath(path) == target:
            return f"is the input file {os.path.basename(path)}; write the hits elsewhere"
    stem, ext = os.path.splitext(os.path.basename(target))
    if (stem.lower() in FILES and ext.lower() in (".csv", ".parquet")
            and os.path.dirname(target) == os.path.realpath(data_dir)):
        return f"would be read as an input file of {data_dir} by the next run; write the hits elsewhere"
    return None


def run_generate(out_dir: str, *, scale: str = "small", fmt: str = "csv", seed: int = 7,
                 as_of: str | None = None, stdout=None, stderr=None) -> int:
    from .generate import SCALES, generate

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if scale not in SCALES:
        _w(stderr, f"error: --scale must be one of {', '.join(SCALES)}")
        return 2
    formats = ("csv", "parquet") if fmt == "both" else (fmt,)
    if any(f not in ("csv", "parquet") for f in formats):
        _w(stderr, "error: --format must be csv, parquet or both")
        return 2
    try:
        day = parse_day(as_of)
    except ValueError as exc:
        _w(stderr, f"error: --as-of {exc}")
        return 2
    meta = generate(out_dir, scale, formats=formats, seed=seed, as_of=day)
    _w(stdout, f"wrote {scale} data set to {out_dir} (as of {meta['as_of']}): "
       + ", ".join(f"{k} {v}" for k, v in meta["rows"].items()) + f"; truth {meta['truth_rows']} rows")
    return 0


def run_score(truth: str, hits: str, *, stdout=None, stderr=None) -> int:
    from .score import format_scores, score_files

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        scores = score_files(truth, hits)
    except ScreeningInputError as exc:
        _w(stderr, f"error: {exc}")
        return 1
    _w(stdout, format_scores(scores))
    return 0


def add_screen_args(p) -> None:
    p.add_argument("data_dir", help="folder with roster, relatives, enterprises, lawyers, cases (.csv or .parquet)")
    p.add_argument("--out", required=True, help="hits.csv to write")
    p.add_argument("--as-of", dest="as_of", default=None, help="screening date YYYY-MM-DD (default today)")
    p.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    p.add_argument("--rules", default=None, help="comma-separated subset of: " + ",".join(RULES))


def add_generate_args(p) -> None:
    p.add_argument("out_dir")
    p.add_argument("--scale", default="small", choices=["tiny", "small", "city", "province"])
    p.add_argument("--format", dest="fmt", default="csv", choices=["csv", "parquet", "both"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--as-of", dest="as_of", default=None, help="date the planted departures are relative to")


def add_score_args(p) -> None:
    p.add_argument("truth")
    p.add_argument("hits")


def main(argv: list[str] | None = None, prog: str = "python -m zhengdun.screening.engine") -> int:
    ap = argparse.ArgumentParser(prog=prog,
                                 description="Conflict-of-interest screening engine (no Django needed)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    add_screen_args(sub.add_parser("screen", help="screen a data folder and write hits.csv"))
    add_generate_args(sub.add_parser("gen-screening-data", help="write a synthetic data set with a truth file"))
    add_score_args(sub.add_parser("screen-score", help="precision and recall of HITS against TRUTH"))
    a = ap.parse_args(argv)
    if a.cmd == "screen":
        return run_screen(a.data_dir, a.out, as_of=a.as_of, engine=a.engine, rules=a.rules)
    if a.cmd == "gen-screening-data":
        return run_generate(a.out_dir, scale=a.scale, fmt=a.fmt, seed=a.seed, as_of=a.as_of)
    return run_score(a.truth, a.hits)
