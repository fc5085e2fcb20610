"""Header inspection shared by the backends and the platform (Parquet schemas read by a throw-away DuckDB connection)."""

from __future__ import annotations

import csv
import os
import re

from .contract import FILES, ScreeningInputError


def redact(text: str) -> str:
    """Drop quoted values from a reader's message: they may be names or ID numbers from the file."""
    return re.sub(r'"[^"]*"|\'[^\']*\'', "…", text)


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
    try:
        return [c.strip() for c in next(csv.reader([line], strict=True))]
    except csv.Error as exc:  # e.g. lines ending in CR only, or a CR inside the header
        raise ScreeningInputError(f"{name}: the header line is not valid CSV ({exc}); lines must end in LF or "
                                  f"CR LF", file=name) from None


def csv_problem(path: str, n_fields: int) -> str | None:
    """Say where a CSV file breaks the shape of its header: the first record without ``n_fields``
    fields, or line endings that change kind (``\\r\\n`` and ``\\n`` mixed, which the DuckDB reader
    cannot parse). Run only after a reader has failed, so a pass in Python costs bad files only.
    Blank lines are skipped, as the readers do. None if neither is found."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        start = 1
        try:
            for rec in reader:
                if rec and len(rec) != n_fields and reader.line_num > 1:
                    what = "more" if len(rec) > n_fields else "fewer"
                    return f"line {start} has {len(rec)} fields, {what} than the {n_fields} columns of the header"
                start = reader.line_num + 1
        except csv.Error as exc:
            return f"line {start}: not valid CSV ({exc})"
    endings = set()
    with open(path, "rb") as fh:
        for no, line in enumerate(fh, 1):
            if line.endswith(b"\n"):
                endings.add(line.endswith(b"\r\n"))
                if len(endings) > 1:
                    kind = "CR LF" if line.endswith(b"\r\n") else "LF"
                    return f"line {no} ends in {kind} but earlier lines do not; save the file with one kind of line ending"
    return None


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


def parquet_schema(path: str, con=None) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a Parquet file, read by DuckDB on ``con`` (the run's connection) or
    on a throw-away one. The names are the file's own: DuckDB renames a repeated name (``NAME``
    beside ``name`` becomes ``NAME_1``), which would hide the repeat from check_columns.
    (Importing pyarrow here would wait for the engine's warm-up thread.)"""
    import duckdb

    name = os.path.basename(path)
    lit = "'" + path.replace("'", "''") + "'"
    own = con is None
    con = duckdb.connect() if own else con
    try:
        types = [r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit})").fetchall()]
        tree = con.execute(f"SELECT name, num_children FROM parquet_schema({lit})").fetchall()
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ScreeningInputError(f"{name}: cannot read Parquet file: {redact(first)}", file=name)
    finally:
        if own:
            con.close()
    # the schema tree, depth first: the root, then each column followed by its nested fields
    def after(i: int) -> int:
        """The index just past node i's subtree."""
        end = i + 1
        for _ in range(tree[i][1] or 0):
            end = after(end)
        return end

    names, i = [], 1
    for _ in range(tree[0][1] or 0):
        names.append(tree[i][0])
        i = after(i)
    return list(zip(names, types, strict=True))


def parquet_header(path: str, con=None) -> list[str]:
    return [c for c, _t in parquet_schema(path, con)]


# What a Parquet column may hold besides text. Codes and keys may be integers; ID numbers may not
# (a final X does not fit, and a float loses digits); dates may be DATE or TIMESTAMP (no time zone);
# the share ratio any number. Anything else (float IDs, lists, structs, bytes, booleans) is refused.
TEXT, INTEGER, DATE, NUMBER, EMPTY = "text", "integer", "date", "number", "empty"
INTEGER_COLUMNS = frozenset({"officer_id", "unit_code", "jurisdiction", "region_code", "firm_region_code",
                             "license_no", "case_id", "handler_officer_id", "lawyer_license_no"})
DATE_COLUMNS = frozenset({"birth_date", "left_date"})
NUMBER_COLUMNS = frozenset({"share_ratio"})


def allowed_kinds(column: str) -> tuple[str, ...]:
    if column in INTEGER_COLUMNS:
        return (TEXT, INTEGER)
    if column in DATE_COLUMNS:
        return (TEXT, DATE)
    if column in NUMBER_COLUMNS:
        return (TEXT, INTEGER, NUMBER)
    return (TEXT,)


_EXPECTED = {(TEXT,): "text (string)", (TEXT, INTEGER): "text or integer", (TEXT, DATE): "text or date",
             (TEXT, INTEGER, NUMBER): "a number or text"}


def duck_kind(type_name: str) -> str | None:
    """The kind of a DuckDB column type, None where no contract column may have it."""
    t = type_name.upper().strip('"')
    if t == "VARCHAR":
        return TEXT
    if t == "NULL":
        return EMPTY
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"):
        return INTEGER
    if t in ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"):
        return DATE
    if t in ("FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
        return NUMBER
    return None


def check_types(stem: str, path: str, types: dict[str, str], kind_of) -> dict[str, str]:
    """Refuse a contract column whose type its meaning does not allow; return column -> kind.
    ``types`` maps column -> the reader's type name, ``kind_of`` turns a type name into a kind."""
    name = os.path.basename(path)
    kinds = {}
    for col in FILES[stem]:
        kind = kind_of(types[col])
        allowed = allowed_kinds(col)
        if kind != EMPTY and kind not in allowed:
            raise ScreeningInputError(
                f"{name}: column {col} has type {types[col]}, expected {_EXPECTED[allowed]}", file=name, column=col)
        kinds[col] = kind
    return kinds


def check_parquet(stem: str, path: str, con=None) -> tuple[list[str], dict[str, str]]:
    """Columns and types of a contract Parquet file (as DuckDB reads it); returns its column names
    and contract column -> kind."""
    schema = parquet_schema(path, con)
    cols = [c for c, _t in schema]
    check_columns(stem, path, cols)
    return cols, check_types(stem, path, dict(schema), duck_kind)


def header(path: str, con=None) -> list[str]:
    return parquet_header(path, con) if path.endswith(".parquet") else csv_header(path)


def check_columns(stem: str, path: str, cols: list[str]) -> None:
    """Every contract column present once. A contract column's name may not appear twice, not even
    in another case (``Name`` beside ``name``): SQL engines do not tell those apart."""
    name = os.path.basename(path)
    wanted = {c.lower(): c for c in FILES[stem]}
    seen: dict[str, str] = {}
    for c in cols:
        low = c.lower()
        if low in wanted and low in seen:
            also = "" if seen[low] == c else f" (as {seen[low]} and {c})"
            raise ScreeningInputError(f"{name}: column {wanted[low]} appears twice{also}", file=name,
                                      column=wanted[low])
        seen.setdefault(low, c)
    present = set(cols)
    missing = [c for c in FILES[stem] if c not in present]
    if missing:
        raise ScreeningInputError(
            f"{name}: missing required column {missing[0]}" + (f" (also {', '.join(missing[1:])})" if missing[1:] else ""),
            file=name, column=missing[0])
