"""DuckDB backend (embedded, the default)."""

from __future__ import annotations

import os
import tempfile
import threading
import time

from .contract import FILES, ScreeningInputError
from .normalize import normalize_name, sql_str
from .pipeline import Dialect, Step
from .readers import check_columns, check_parquet, csv_problem, header, redact

ROW_KEY = "zd_row_no"
EXTRA = "zd_extra_field"
RAGGED = "zd-ragged-row"
NULL_STR = "\x01zd-no-null\x01"  # matches no real value: empty fields read as '' and padding as NULL


class DuckDialect(Dialect):
    summary_scan = True

    def nname(self, expr: str) -> str:
        return f"zd_nname({expr})"

    def bytelen(self, expr: str) -> str:
        return f"strlen({expr})"

    def re_full(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {sql_str(pattern)})"

    def idiv(self, a: str, b: str) -> str:
        return f"({a} // {b})"

    def hkey(self, *exprs: str) -> str:
        return f"hash({', '.join(exprs)})"

    def row_id(self) -> str:
        return "rowid"


def _warm_up() -> None:
    # imported here, while DuckDB reads the files, so that the first name normalisation does not
    # wait for them: DuckDB's Python functions import pandas on their first call (about 0.5 s)
    import pyarrow  # noqa: F401

    try:
        import pandas  # noqa: F401
    except ImportError:  # pragma: no cover - DuckDB then does without it
        pass
    normalize_name("")


def _nname_arrow(arr):
    import pyarrow as pa

    return pa.array([normalize_name(s) for s in arr.to_pylist()], type=pa.string())


class DuckBackend:
    dialect = DuckDialect("duckdb")

    def __init__(self, *, threads: int = 2, memory_limit: str = "3GB", progress=None):
        import duckdb

        self.duckdb = duckdb
        self.tmpdir = tempfile.mkdtemp(prefix="zd-screen-")
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = {_lit(self.tmpdir)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.create_function("zd_nname", _nname_arrow, ["VARCHAR"], "VARCHAR", type="arrow",
                                 null_handling="special", side_effects=False)
        self.progress = progress or (lambda *a, **k: None)
        self.sources: dict[str, str] = {}
        self.row_keys: dict[str, str] = {}
        self.parquet_text: dict[str, list[str]] = {}  # Parquet source -> its text columns
        # the name tables (OpenCC's dictionaries) load while DuckDB reads and validates the files
        threading.Thread(target=_warm_up, daemon=True).start()

    # -- sources
    def register_source(self, stem: str, path: str) -> None:
        name = os.path.basename(path)
        want = FILES[stem]
        p = _lit(path)
        if path.endswith(".parquet"):
            cols, kinds = check_parquet(stem, path, self.con)
            sel = ", ".join(f"{_as_text(c, kinds[c])} AS {c}" for c in want)
            if "file_row_number" in cols:  # the reader's row number would clash with the file's column
                src = f"SELECT {sel} FROM read_parquet({p})"
            else:
                # the row number lets a pass read a few columns and fetch the rest for the rows kept
                src = f"SELECT {sel}, file_row_number AS {ROW_KEY} FROM read_parquet({p}, file_row_number = true)"
                self.row_keys[stem] = ROW_KEY
        else:
            cols = header(path, self.con)
            check_columns(stem, path, cols)
            # columns by position (an extra column's name may repeat or differ only in case), plus one
            # more to catch a row with a field too many; a padded field is NULL and an empty one '',
            # so a row with a field too few shows as a NULL last column (strict mode alone lets a
            # row's surplus empty fields through)
            pos = {c: i for i, c in reversed(list(enumerate(cols)))}
            coldef = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(cols))) + f", '{EXTRA}': 'VARCHAR'}}"
            ragged = f"{EXTRA} IS NOT NULL OR c{len(cols) - 1} IS NULL"
            sel = ", ".join(f"nullif(c{pos[c]}, '') AS {c}" for c in want)

            def src(parallel: bool) -> str:
                return (f"SELECT {sel} "
                        f"FROM read_csv({p}, header = true, auto_detect = false, columns = {coldef}, delim = ',', "
                        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = true, "
                        f"nullstr = {_lit(NULL_STR)}, parallel = {str(parallel).lower()}) "
                        f"WHERE CASE WHEN {ragged} THEN error('{RAGGED}') ELSE TRUE END")
        csv = not path.endswith(".parquet")
        self.sources[stem] = name
        try:
            if csv:
                # every CSV file is parsed once: validation and all later steps scan the in-memory
                # copy (each scan of a view would parse the file again; beyond the memory limit DuckDB
                # keeps the copy in its temp directory)
                try:
                    self.con.execute(f"CREATE TEMP TABLE src_{stem} AS {src(True)}")
                except self.duckdb.Error as exc:
                    if "quoted new lines" not in str(exc):
                        raise
                    # a quoted field holds a line break: DuckDB's parallel reader cannot pad rows
                    # then, so such a file is read by one thread
                    self.con.execute(f"CREATE TEMP TABLE src_{stem} AS {src(False)}")
            else:
                self.con.execute(f"CREATE TEMP VIEW src_{stem} AS {src}")
                self.con.execute(f"SELECT count(*) FROM src_{stem}").fetchone()
                self.parquet_text[stem] = [c for c in want if kinds[c] == "text"]
        except self.duckdb.Error as exc:
            where = csv_problem(path, len(cols)) if csv and (RAGGED in str(exc) or "invalid state" in str(exc)) else None
            if where:
                raise ScreeningInputError(f"{name}: {where}", file=name)
            raise ScreeningInputError(f"{name}: cannot read file: {_first_line(exc)}", file=name)

    def _culprit(self, exc: Exception) -> ScreeningInputError | None:
        """A Parquet file is read lazily, by whichever step first decodes its values: find the file
        that fails to decode (bad UTF-8 in a text column, a damaged data page). Run on failure only."""
        for stem, columns in self.parquet_text.items():
            probe = ", ".join(f"max(length({c}))" for c in columns) or "count(*)"
            try:
                self.con.execute(f"SELECT {probe} FROM src_{stem}").fetchall()
            except self.duckdb.Error as probe_exc:
                name = self.sources[stem]
                return ScreeningInputError(f"{name}: cannot read file: {_first_line(probe_exc)}", file=name)
        return None

    def row_key(self, stem: str) -> str | None:
        """The column numbering the rows of src_<stem>, where its reader has one (Parquet)."""
        return self.row_keys.get(stem)

    def count(self, rel: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]

    def query(self, sql: str, *, file: str | None = None) -> list[tuple]:
        try:
            return self.con.execute(sql).fetchall()
        except self.duckdb.Error as exc:
            if file:
                raise ScreeningInputError(f"{file}: cannot read file: {_first_line(exc)}", file=file)
            raise

    def run_step(self, step: Step) -> None:
        t0 = time.time()
        kind = "TABLE" if step.materialise else "VIEW"
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP {kind} {step.name} AS {step.sql}")
        except self.duckdb.Error as exc:
            if step.reads and step.reads in self.sources:
                name = self.sources[step.reads]
                raise ScreeningInputError(f"{name}: cannot read file: {_first_line(exc)}", file=name) from None
            culprit = self._culprit(exc)
            if culprit is not None:
                raise culprit from None
            raise
        self.progress(step.name, time.time() - t0)

    def fetch_hits(self) -> list[tuple]:
        return self.con.execute(
            "SELECT rule, officer_id, subject, subject_name, registry, record_key, mt, score, evidence FROM hits"
        ).fetchall()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            import shutil

            shutil.rmtree(self.tmpdir, ignore_errors=True)


def _lit(s: str) -> str:
    """A DuckDB string literal (backslashes are literal characters in DuckDB strings)."""
    return "'" + s.replace("'", "''") + "'"


def _q(c: str) -> str:
    return '"' + c.replace('"', '""') + '"'


def _as_text(col: str, kind: str) -> str:
    """A Parquet column as the contract's text: dates (DATE or TIMESTAMP) as YYYY-MM-DD."""
    if kind == "date":
        return f"CAST(CAST({_q(col)} AS DATE) AS VARCHAR)"
    return f"CAST({_q(col)} AS VARCHAR)"


def _first_line(exc: Exception) -> str:
    """The first line of DuckDB's message; for a CSV error ("CSV Error on Line: N") also the line
    that says what is wrong with that row. The row's raw text (which may hold personal data and
    run over several lines) and the suggested fixes are left out: the reason is the last line
    before the first "Possible fixes" or "Possible Solution"."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines()]
    if not lines:
        return type(exc).__name__
    if "CSV Error on Line" in lines[0]:
        fixes = next((i for i, ln in enumerate(lines) if ln.startswith("Possible")), None)
        reason = next((ln for ln in reversed(lines[1:fixes]) if ln), None) if fixes else None
        if reason and not reason.startswith("Original Line"):
            return f"{lines[0]}; {redact(reason)}"
        rest = next((ln for ln in lines[1:] if ln and not ln.startswith("Original Line")), "")
        return f"{lines[0]}; {redact(rest)}" if rest and not rest.startswith(("file =", "Possible")) else lines[0]
    return redact(lines[0])

