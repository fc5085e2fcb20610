"""The one place the Django side calls the screening engine (which knows nothing of Django).

Registering a data set only *checks* it (`check`): files present, header row with the required
columns, readable text — a matter of milliseconds however large the files. The engine's full
validation (types, codes, dates of every row) reads every row, so it runs in the background
run (`screen`), whose failure names the file and column on the run page.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from zhengdun.screening.engine.contract import (
    FILES,
    RULE_NEEDS,
    ScreeningInputError,
    check_file_names,
    check_folder_path,
    locate_inputs,
)
from zhengdun.screening.engine.core import screen as engine_screen
from zhengdun.screening.engine.readers import check_columns, check_parquet, header

InputError = ScreeningInputError
__all__ = ["RULE_NEEDS", "InputError", "Outcome", "check", "screen"]
STAGES = {"read": (0.1, _("读取数据")), "validate": (0.25, _("校验数据")), "done": (1.0, _("整理结果"))}
SAMPLE_BYTES = 1 << 20  # the start of each CSV file is decoded at registration: catches GBK exports


@dataclass(frozen=True)
class Outcome:
    rows: list[dict]
    counts: dict[str, int]
    rules_run: list[str]
    rules_skipped: dict[str, str]


def check(folder: Path) -> dict[str, int | None]:
    """Quick check of a data set's files; returns stem -> rows (Parquet: from its metadata) or None
    (CSV: counted by the first run). Raises InputError naming the file (and column).

    Registry-only sets are located beside placeholder roster/relatives headers, so the engine's
    own `locate_inputs` (one file per stem, .csv or .parquet) applies unchanged."""
    folder = Path(folder)
    check_folder_path(str(folder))
    check_file_names(str(folder))
    try:
        inputs = [p for p in folder.iterdir() if p.suffix in (".csv", ".parquet") and p.stem in FILES]
    except OSError as exc:
        raise ScreeningInputError(f"{folder}: cannot list the folder: {exc.strerror or exc}", file=str(folder)) from None
    present = {p.stem for p in inputs}
    with tempfile.TemporaryDirectory(prefix="zd-check-") as tmp:
        work = Path(tmp)
        for path in inputs:
            (work / path.name).symlink_to(path.resolve())
        for stem in ("roster", "relatives"):
            if stem not in present:
                with open(work / f"{stem}.csv", "w", newline="", encoding="utf-8") as handle:
                    csv.writer(handle).writerow(FILES[stem])
        try:
            counts = _check_work(work, present)
        except ScreeningInputError as exc:  # the messages name the files, not the check's temp folder
            raise ScreeningInputError(str(exc).replace(f"{work}{os.sep}", ""), file=exc.file,
                                      column=exc.column) from None
    return counts


def _check_work(work: Path, present: set[str]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for stem, path in locate_inputs(str(work)).items():
        if stem not in present:
            continue
        if path.endswith(".parquet"):
            check_parquet(stem, path)
            counts[stem] = _parquet_rows(path)
        else:
            check_columns(stem, path, header(path))
            counts[stem] = _check_csv_text(path)
    return counts


def _check_csv_text(path: str) -> None:
    """The header is checked by the engine's reader; the start of the file must decode as UTF-8."""
    name = Path(path).name
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise ScreeningInputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV",
                                  file=name) from None


def _parquet_rows(path: str) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def dataset_roster(folder: Path) -> dict[str, tuple[str, str]]:
    """officer_id -> (name, unit_code) from a data set's own roster file, read by the engine's
    reader (the run has validated it)."""
    from zhengdun.screening.engine.duck import DuckBackend

    path = locate_inputs(str(folder))["roster"]
    backend = DuckBackend(threads=1, memory_limit="1GB")
    try:
        backend.register_source("roster", path)
        rows = backend.query("SELECT officer_id, name, unit_code FROM src_roster")
    finally:
        backend.close()
    return {str(key): (str(name or "").strip(), str(unit or "").strip()) for key, name, unit in rows}


def screen(folder: Path, *, as_of: datetime.date, engine: str, rules: list[str],
           progress: Callable[[float, str], None]) -> Outcome:
    """Run the engine, full validation included; progress(fraction, stage) is called as it goes."""
    done_steps = {"n": 0}

    def on_progress(stage: str, elapsed: float, rows: int | None = None) -> None:
        fraction, label = STAGES.get(stage, (None, None))
        if fraction is None:
            done_steps["n"] += 1
            fraction, label = min(0.95, 0.25 + 0.07 * done_steps["n"]), _("匹配与规则计算（第 %(n)d 步）") % {"n": done_steps["n"]}
        progress(fraction, str(label))

    result = engine_screen(str(folder), as_of=as_of, engine=engine, rules=rules, progress=on_progress)
    return Outcome(rows=[hit.as_dict() for hit in result.hits], counts=dict(result.counts),
                   rules_run=list(result.rules_run), rules_skipped=dict(result.rules_skipped))
