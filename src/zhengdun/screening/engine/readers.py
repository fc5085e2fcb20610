"""Header inspection shared by the backends (no database needed)."""

from __future__ import annotations

import csv
import os

from .contract import FILES, ScreeningInputError


def csv_header(path: str) -> list[str]:
    name = os.path.basename(path)
    try:
        with open(path, "rb") as fh:
            line = fh.readline().decode("utf-8-sig")  # the first line only: a bad byte further on is
    except UnicodeDecodeError:                        # reported with its line by the reader
        raise ScreeningInputError(f"{name}: cannot read the header: not UTF-8 text", file=name)
    except OSError as exc:
        raise ScreeningInputError(f"{name}: cannot read file: {exc.strerror or exc}", file=name)
    if not line.strip():
        raise ScreeningInputError(f"{name}: empty file, a header row is required", file=name)
    return [c.strip() for c in next(csv.reader([line]))]


def check_utf8(path: str, chunk: int = 1 << 22) -> None:
    """Refuse a CSV file that is not UTF-8 text anywhere in it (readers that replace bad bytes
    silently would otherwise change names)."""
    import codecs

    name = os.path.basename(path)
    dec = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            try:
                dec.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise ScreeningInputError(f"{name}: not UTF-8 text (byte {offset + exc.start})", file=name)
            if not block:
                return
            offset += len(block)


def parquet_header(path: str) -> list[str]:
    import pyarrow.parquet as pq

    name = os.path.basename(path)
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - any pyarrow error means unreadable
        raise ScreeningInputError(f"{name}: cannot read Parquet file: {exc}", file=name)


def header(path: str) -> list[str]:
    return parquet_header(path) if path.endswith(".parquet") else csv_header(path)


def check_columns(stem: str, path: str, cols: list[str]) -> None:
    name = os.path.basename(path)
    seen = set()
    for c in cols:
        if c in seen and c in FILES[stem]:
            raise ScreeningInputError(f"{name}: column {c} appears twice", file=name, column=c)
        seen.add(c)
    missing = [c for c in FILES[stem] if c not in seen]
    if missing:
        raise ScreeningInputError(
            f"{name}: missing required column {missing[0]}" + (f" (also {', '.join(missing[1:])})" if missing[1:] else ""),
            file=name, column=missing[0])
