"""Header inspection shared by the backends and the platform (Parquet schemas read by a throw-away DuckDB connection)."""

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


def parquet_header(path: str, con=None) -> list[str]:
    """Column names of a Parquet file, read by DuckDB on ``con`` (the run's connection) or on a
    throw-away one. (Importing pyarrow here would wait for the engine's warm-up thread.)"""
    import duckdb

    name = os.path.basename(path)
    lit = "'" + path.replace("'", "''") + "'"
    own = con is None
    con = duckdb.connect() if own else con
    try:
        return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit})").fetchall()]
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ScreeningInputError(f"{name}: cannot read Parquet file: {first}", file=name)
    finally:
        if own:
            con.close()


def header(path: str, con=None) -> list[str]:
    return parquet_header(path, con) if path.endswith(".parquet") else csv_header(path)


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
