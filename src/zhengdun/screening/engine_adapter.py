"""The one place the Django side calls the screening engine (which knows nothing of Django)."""

from __future__ import annotations

import csv
import datetime
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from zhengdun.screening.engine.contract import FILES, ScreeningInputError
from zhengdun.screening.engine.core import screen as engine_screen

InputError = ScreeningInputError
STAGES = {"read": (0.1, "读取数据"), "validate": (0.25, "校验数据"), "done": (1.0, "整理结果")}


def validate(folder: Path, *, roster_required: bool = False) -> dict[str, int]:
    """Check a data set's files with the engine's own validation; return rows per file.

    Registry-only sets are checked beside an empty roster, so the same rules apply."""
    folder = Path(folder)
    present = {p.stem for p in folder.iterdir() if p.suffix in (".csv", ".parquet")}
    if roster_required or {"roster", "relatives"} <= present:
        return dict(engine_screen(str(folder), rules=None).counts)
    with tempfile.TemporaryDirectory(prefix="zd-validate-") as tmp:
        work = Path(tmp)
        for path in folder.iterdir():
            if path.suffix in (".csv", ".parquet"):
                (work / path.name).symlink_to(path.resolve())
        for stem in ("roster", "relatives"):
            if stem not in present:
                with open(work / f"{stem}.csv", "w", newline="", encoding="utf-8") as handle:
                    csv.writer(handle).writerow(FILES[stem])
        counts = dict(engine_screen(str(work), rules=None).counts)
    return {stem: n for stem, n in counts.items() if stem in present}


def screen(folder: Path, *, as_of: datetime.date, engine: str, rules: list[str],
           progress: Callable[[float, str], None]) -> list[dict]:
    """Run the engine; progress(fraction, stage) is called as it goes. Returns hit rows as dicts."""
    done_steps = {"n": 0}

    def on_progress(stage: str, elapsed: float, rows: int | None = None) -> None:
        fraction, label = STAGES.get(stage, (None, None))
        if fraction is None:
            done_steps["n"] += 1
            fraction, label = min(0.95, 0.25 + 0.07 * done_steps["n"]), f"匹配与规则：{stage}"
        progress(fraction, label)

    result = engine_screen(str(folder), as_of=as_of, engine=engine, rules=rules, progress=on_progress)
    return [hit.as_dict() for hit in result.hits]


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
