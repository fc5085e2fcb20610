"""Run a screening: read, validate, match, apply rules, return hits."""

from __future__ import annotations

import csv
import datetime
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

from .contract import HIT_COLUMNS, RULES, Hit, ScreeningInputError, locate_inputs, sort_key
from .pipeline import (
    active_spellings,
    active_status_query,
    build_steps,
    is_summary,
    parse_rules,
    runnable_rules,
    summarised_files,
    summary_status_query,
    summary_validation_queries,
    validation_queries,
)


@dataclass
class ScreenResult:
    hits: list[Hit]
    rules_run: list[str]
    rules_skipped: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    as_of: datetime.date | None = None
    engine: str = "duckdb"

    def summary_lines(self) -> list[str]:
        by_rule = Counter(h.rule for h in self.hits)
        by_match = Counter((h.rule, h.match) for h in self.hits)
        lines = []
        for r in RULES:
            if r in self.rules_run:
                lines.append(f"{r:<18} {by_rule[r]:>7} hits  (id {by_match[(r, 'id')]}, fuzzy {by_match[(r, 'fuzzy')]})")
            elif r in self.rules_skipped:
                lines.append(f"{r:<18} skipped: {self.rules_skipped[r]}")
        lines.append(f"{'total':<18} {len(self.hits):>7} hits")
        return lines


def stderr_progress(stage: str, elapsed: float, rows: int | None = None) -> None:
    extra = f" rows={rows}" if rows is not None else ""
    print(f"[screen] {stage:<14} {elapsed:6.2f}s{extra}", file=sys.stderr, flush=True)


def make_backend(engine: str, progress=None, **kw):
    if engine == "duckdb":
        from .duck import DuckBackend

        return DuckBackend(progress=progress, **kw)
    if engine == "spark":
        from .spark import SparkBackend

        return SparkBackend(progress=progress, **kw)
    raise ValueError(f"unknown engine {engine!r}; use duckdb or spark")


def screen(data_dir: str, *, as_of: datetime.date | None = None, engine: str = "duckdb",
           rules: list[str] | str | None = None, progress=None, backend=None) -> ScreenResult:
    """Screen the contract folder ``data_dir``; raises ScreeningInputError on bad input."""
    t_start = time.time()
    as_of = as_of or datetime.date.today()
    rule_list = parse_rules(rules) if (rules is None or isinstance(rules, str)) else list(rules)
    prog = progress or (lambda *a, **k: None)
    paths = locate_inputs(data_dir)
    present = set(paths)
    run, skipped = runnable_rules(present, rule_list)
    own_backend = backend is None
    be = backend or make_backend(engine, progress=prog)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    try:
        t0 = time.time()
        for stem, path in paths.items():
            be.register_source(stem, path)
        timings["read"] = time.time() - t0
        prog("read", timings["read"])
        t0 = time.time()
        summarised = summarised_files(be.dialect, present)
        for file, col, problem, sql in validation_queries(be.dialect, present - summarised):
            _check(be, os.path.basename(paths[file]), col, problem, sql)
        timings["validate"] = time.time() - t0
        prog("validate", timings["validate"])
        for stem in paths:
            if stem not in summarised:
                counts[stem] = be.count(f"src_{stem}")
        active = None
        if "enterprises" in present and "enterprises" not in summarised:
            active = active_spellings([r[0] for r in be.query(active_status_query())])
        row_key = be.row_key("enterprises") if "enterprises" in present else None
        steps = build_steps(be.dialect, present, run, as_of, active_values=active, row_key=row_key)
        t0 = time.time()
        i = 0
        while i < len(steps):
            step = steps[i]
            be.run_step(step)
            file = is_summary(step)
            if file:
                # the file's checks, from the scan that just ran; nothing has been written yet
                for _f, col, problem, sql in summary_validation_queries(be.dialect, file):
                    _check(be, os.path.basename(paths[file]), col, problem, sql)
                counts[file] = int(be.query(f"SELECT n_rows FROM {step.name}")[0][0])
                if file == "enterprises":
                    active = active_spellings([r[0] for r in be.query(summary_status_query(file)) if r[0] is not None])
                    rest = build_steps(be.dialect, present, run, as_of, active_values=active, row_key=row_key)
                    assert [s.name for s in rest[: i + 1]] == [s.name for s in steps[: i + 1]]
                    steps = steps[: i + 1] + rest[i + 1:]
            i += 1
        timings["match+rules"] = time.time() - t0
        rows = be.fetch_hits() if any(s.name == "hits" for s in steps) else []
    finally:
        if own_backend:
            be.close()
    hits = sorted((Hit(r[0], str(r[1]), r[2], r[3] if r[3] is not None else "", r[4], str(r[5]), r[6],
                       round(float(r[7]), 3), r[8] or "") for r in rows), key=sort_key)
    timings["total"] = time.time() - t_start
    prog("done", timings["total"], len(hits))
    return ScreenResult(hits=hits, rules_run=run, rules_skipped=skipped, counts=counts, timings=timings,
                        as_of=as_of, engine=engine)


def _check(be, fname: str, col: str, problem: str, sql: str) -> None:
    """Run one validation query; raise ScreeningInputError naming file and column on offending rows."""
    bad = be.query(sql, file=fname)
    if bad and problem.startswith("row: "):
        ex = ", ".join(repr(r[0]) for r in bad)
        raise ScreeningInputError(f"{fname}: column {col}: {problem[5:]} (officer_id {ex})", file=fname, column=col)
    if bad:
        n = sum(int(r[1]) for r in bad)
        ex = ", ".join(repr(r[0]) for r in bad)
        more = "" if len(bad) < 3 else " (or more)"
        raise ScreeningInputError(f"{fname}: column {col}: {n}{more} row(s) where the value {problem}; e.g. {ex}",
                                  file=fname, column=col)


def write_hits(hits: list[Hit], out_path: str) -> None:
    """Write hits.csv atomically: a temp file in the same folder renamed at the end (through a link,
    to the file it names), readable as a file created normally would be (umask)."""
    out_path = os.path.realpath(out_path)
    out_dir = os.path.dirname(out_path) or "."
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hits-", suffix=".csv.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=1 << 20) as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(HIT_COLUMNS)
            for h in hits:
                w.writerow([v.replace("\x00", "\ufffd") for v in h.csv_row()])  # no NUL in a text file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_hits(path: str) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


__all__ = ["ScreenResult", "ScreeningInputError", "screen", "write_hits", "read_hits", "stderr_progress"]
