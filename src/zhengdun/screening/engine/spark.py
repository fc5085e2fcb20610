"""Apache Spark backend: the same SQL steps as DuckDB, run with Spark SQL.

Locally it starts ``local[2]``; under ``spark-submit`` it uses the session (and
master) spark-submit provides. The data folder is located on the driver's file
system (a local or mounted path), see docs/screening.md.
"""

from __future__ import annotations

import os
import time

from .contract import FILES, ScreeningInputError
from .normalize import name_translate_strings, sql_str
from .pipeline import Dialect, Step
from .readers import check_columns, check_types, check_utf8, csv_problem


class SparkDialect(Dialect):
    def nname(self, expr: str) -> str:
        src, dst = name_translate_strings()
        return f"upper(translate(coalesce({expr}, ''), {sql_str(src)}, {sql_str(dst)}))"

    def bytelen(self, expr: str) -> str:
        return f"octet_length({expr})"

    def re_full(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {sql_str('^(?:' + pattern + ')$')})"

    def idiv(self, a: str, b: str) -> str:
        return f"({a} div {b})"

    def hkey(self, *exprs: str) -> str:
        return f"xxhash64({', '.join(exprs)})"

    def row_id(self) -> str:
        # computed once: every step is checkpointed before the next reads it
        return "monotonically_increasing_id()"


def get_session(master: str | None = None):
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    b = SparkSession.builder.appName("zhengdun-screening")
    # under spark-submit the JVM already exists (PYSPARK_GATEWAY_PORT is set) and carries the
    # cluster's master; only a direct run picks local[2] (or ZD_SPARK_MASTER)
    under_submit = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
    if master or not under_submit:
        b = b.master(master or os.environ.get("ZD_SPARK_MASTER", "local[2]"))
    b = (b.config("spark.sql.shuffle.partitions", os.environ.get("ZD_SPARK_SHUFFLE_PARTITIONS", "8"))
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", os.environ.get("ZD_SPARK_DRIVER_MEMORY", "2g"))
         .config("spark.sql.session.timeZone", "UTC")
         # the ID-number features are many layered CASE expressions; constraint propagation
         # over them costs the optimizer far more than it saves
         .config("spark.sql.constraintPropagation.enabled", "false"))
    s = b.getOrCreate()
    # FATAL: Spark's ERROR lines about a failed task quote the input row (names, ID numbers); the
    # engine reports every failure itself, naming file and line
    s.sparkContext.setLogLevel("FATAL")
    return s


class SparkBackend:
    dialect = SparkDialect("spark")

    def __init__(self, *, spark=None, progress=None, master: str | None = None):
        self.spark = spark or get_session(master)
        self.progress = progress or (lambda *a, **k: None)
        self.cached = []
        self.csv_fields: dict[str, tuple[str, int]] = {}  # CSV file name -> (path, header columns)

    def register_source(self, stem: str, path: str) -> None:
        from pyspark.sql import functions as F

        name = os.path.basename(path)
        parquet = path.endswith(".parquet")
        try:
            if parquet:
                df = self.spark.read.parquet(path)
            else:
                if os.path.exists(path):
                    check_utf8(path)
                df = (self.spark.read.option("header", True).option("inferSchema", False)
                      .option("escape", '"').option("quote", '"').option("encoding", "UTF-8")
                      .option("multiLine", True).option("mode", "FAILFAST").csv(path))
                df = df.toDF(*[c.lstrip("\ufeff").strip() for c in df.columns])
        except ScreeningInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - AnalysisException, Py4JJavaError
            raise ScreeningInputError(f"{name}: cannot read file: {_first_line(exc)}", file=name)
        check_columns(stem, path, list(df.columns))
        if parquet:
            types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
            for col in _null_columns(path):  # all empty: Arrow's null type, which Spark reads as int
                types[col] = "void"
            kinds = check_types(stem, path, types, spark_kind)
        else:
            kinds = {c: "text" for c in FILES[stem]}
            self.csv_fields[name] = (path, len(df.columns))
        df = df.select(*[_as_text(F.col(f"`{c}`"), kinds[c]).alias(c) for c in FILES[stem]])
        df.createOrReplaceTempView(f"src_{stem}")

    def row_key(self, stem: str) -> str | None:
        return None  # Spark reads every column of the pass in one go

    def count(self, rel: str) -> int:
        return self.spark.sql(f"SELECT count(*) FROM {rel}").collect()[0][0]

    def query(self, sql: str, *, file: str | None = None) -> list[tuple]:
        try:
            return [tuple(r) for r in self.spark.sql(sql).collect()]
        except Exception as exc:  # noqa: BLE001
            if file:
                where = csv_problem(*self.csv_fields[file]) if file in self.csv_fields else None
                raise ScreeningInputError(f"{file}: {where or 'cannot read file: ' + _first_line(exc)}", file=file)
            raise

    def run_step(self, step: Step) -> None:
        t0 = time.time()
        df = self.spark.sql(step.sql)
        if step.materialise:
            # eager checkpoint: cuts the lineage so later plans stay small (the ID-number
            # features are deep expressions and re-planning them per step exhausts the driver)
            df = df.localCheckpoint(eager=True)
            self.cached.append(df)
        df.createOrReplaceTempView(step.name)
        self.progress(step.name, time.time() - t0)

    def fetch_hits(self) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(
            "SELECT rule, officer_id, subject, subject_name, registry, record_key, mt, score, evidence FROM hits"
        ).collect()]

    def close(self) -> None:
        for df in self.cached:
            try:
                df.unpersist()
            except Exception:  # noqa: BLE001
                pass
        self.cached = []
        for t in self.spark.catalog.listTables():
            if t.isTemporary:
                self.spark.catalog.dropTempView(t.name)


def spark_kind(type_name: str) -> str | None:
    """The kind of a Spark column type (its simpleString), None where no contract column may have it."""
    if type_name == "string":
        return "text"
    if type_name == "void":
        return "empty"
    if type_name in ("tinyint", "smallint", "int", "bigint"):
        return "integer"
    if type_name in ("date", "timestamp_ntz"):
        return "date"
    if type_name in ("float", "double") or type_name.startswith("decimal"):
        return "number"
    return None


def _null_columns(path: str) -> list[str]:
    """Columns of a Parquet file written with Arrow's null type (no value at all)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        return [f.name for f in pq.read_schema(path) if pa.types.is_null(f.type)]
    except Exception:  # noqa: BLE001 - not readable here (a cluster path): Spark's own types stand
        return []


def _as_text(col, kind: str):
    """A column as the contract's text, cast as DuckDB casts it: dates as YYYY-MM-DD."""
    return col.cast("date").cast("string") if kind == "date" else col.cast("string")


def _first_line(exc: Exception) -> str:
    """A short reason: Spark's error class where the JVM raised one (its message may quote a row
    of the file, which may hold personal data), else the first line of the message."""
    import re

    java = getattr(exc, "java_exception", None)
    text = str(java) if java is not None else str(exc)
    classes = re.findall(r"\[([A-Z][A-Z0-9_]+(?:\.[A-Z0-9_]+)*)\]", text)
    if java is not None:
        return classes[-1] if classes else type(exc).__name__
    s = text.strip()
    return s.splitlines()[0] if s else type(exc).__name__
