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
from .readers import check_utf8


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
    s.sparkContext.setLogLevel("ERROR")
    return s


class SparkBackend:
    dialect = SparkDialect("spark")

    def __init__(self, *, spark=None, progress=None, master: str | None = None):
        self.spark = spark or get_session(master)
        self.progress = progress or (lambda *a, **k: None)
        self.cached = []

    def register_source(self, stem: str, path: str) -> None:
        from pyspark.sql import functions as F

        name = os.path.basename(path)
        try:
            if path.endswith(".parquet"):
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
        from .readers import check_columns

        check_columns(stem, path, list(df.columns))
        df = df.select(*[F.col(f"`{c}`").cast("string").alias(c) for c in FILES[stem]])
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
                raise ScreeningInputError(f"{file}: cannot read file: {_first_line(exc)}", file=file)
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


def _first_line(exc: Exception) -> str:
    s = str(exc).strip()
    return s.splitlines()[0] if s else type(exc).__name__
