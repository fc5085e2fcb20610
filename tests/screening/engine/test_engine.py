"""Screening engine: normalisation, the five rules on hand-built data, bad input, formats, CLI."""

from __future__ import annotations

import csv
import datetime
import os

import pytest

from zhengdun.screening.engine import HIT_COLUMNS, ScreeningInputError, screen
from zhengdun.screening.engine.cli import main as cli_main
from zhengdun.screening.engine.normalize import check_digit, mask_id, normalize_id, normalize_name

from . import data

AS_OF = datetime.date(2026, 1, 1)


def keyset(hits):
    return {(h.rule, h.officer_id, h.subject, h.registry, h.record_key, h.match) for h in hits}


@pytest.fixture(scope="module")
def hand_dir(tmp_path_factory):
    return data.write_dataset(str(tmp_path_factory.mktemp("hand")))


@pytest.fixture(scope="module")
def hand_result(hand_dir):
    return screen(hand_dir, as_of=AS_OF)


# ---------------------------------------------------------------- normalisation

def test_normalize_id_variants():
    a = data.A
    assert normalize_id(a) == a
    assert normalize_id(" " + a[:6] + " " + a[6:] + "\u3000") == a
    assert normalize_id(a.translate(data.FW)) == a
    assert normalize_id(data.X18.lower()) == data.X18
    legacy = a[:6] + a[8:17]
    assert len(legacy) == 15 and normalize_id(legacy) == a
    assert normalize_id(data.bad_checksum(a)) is None
    assert normalize_id(mask_id(a)) is None
    assert normalize_id("") is None and normalize_id(None) is None
    body = "11010119801301001"  # month 13
    assert normalize_id(body + check_digit(body)) is None


def test_normalize_name():
    assert normalize_name("張 偉") == "张伟"
    assert normalize_name("劉\u3000芳") == "刘芳"
    assert normalize_name("ＡＢＣ李") == "ABC李"
    assert normalize_name("阿依古丽・买买提") == normalize_name("阿依古丽·买买提")


# names normalisation changes (each must be flagged), names it leaves alone (none may be), and a
# name it leaves alone that is flagged all the same (a character not 3 bytes long: the superset)
CHANGED_NAMES = ["張偉", "李國強", "劉\u3000芳", "王 芳", "ＡＢＣ李", "阿依古丽・买买提", "john李", "陳", "李\t四", "钱學"]
SUPERSET_NAMES = ["阿依古丽·买买提"]
PLAIN_NAMES = ["张伟", "李国强", "刘芳", "欧阳娜娜", "㑇", "王"]


def _maybe_dirty_sql(dialect, table: str) -> str:
    return f"SELECT n FROM {table} WHERE {dialect.name_maybe_dirty('n')} ORDER BY n"


def test_name_maybe_dirty_flags_every_name_normalisation_changes():
    import duckdb

    from zhengdun.screening.engine.duck import DuckBackend

    assert all(normalize_name(n) != n for n in CHANGED_NAMES)
    assert all(normalize_name(n) == n for n in PLAIN_NAMES + SUPERSET_NAMES)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (n VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(n,) for n in CHANGED_NAMES + PLAIN_NAMES + SUPERSET_NAMES])
    flagged = [r[0] for r in con.execute(_maybe_dirty_sql(DuckBackend.dialect, "t")).fetchall()]
    assert flagged == sorted(CHANGED_NAMES + SUPERSET_NAMES)


def test_name_maybe_dirty_same_on_spark(spark):
    from zhengdun.screening.engine.spark import SparkBackend

    rows = [(n,) for n in CHANGED_NAMES + PLAIN_NAMES + SUPERSET_NAMES]
    spark.createDataFrame(rows, "n string").createOrReplaceTempView("names_t")
    flagged = [r[0] for r in spark.sql(_maybe_dirty_sql(SparkBackend.dialect, "names_t")).collect()]
    assert sorted(flagged) == sorted(CHANGED_NAMES + SUPERSET_NAMES)


def _id_cases() -> list[str]:
    """Raw ID numbers whose normalisation is easy to get wrong in SQL: dates that do not exist,
    leap days, legacy numbers, blanks, full-width digits, lower-case x, bad check digits."""
    out = [data.A, data.X18, data.X18.lower(), " " + data.A[:6] + " " + data.A[6:] + "\u3000",
           data.A.translate(data.FW), data.A[:6] + data.A[8:17], data.bad_checksum(data.A), mask_id(data.A),
           "", "12345", "1101011980010100X1"]
    for birth in ("20000229", "19000229", "19960229", "19970229", "19800431", "19801231", "19801301",
                  "19800100", "00000101", "19800132"):
        body = "110101" + birth + "123"
        out.append(body + check_digit(body))
    for legacy_birth in ("800229", "840229", "800230"):  # legacy numbers: 19YYMMDD
        out.append("110101" + legacy_birth + "123")
    return out


def _id_sql(dialect, table: str) -> str:
    from zhengdun.screening.engine.pipeline import id_features

    return f"SELECT raw, id_n FROM ({id_features(dialect, f'SELECT raw FROM {table}', 'raw')}) f"


def test_sql_id_normalisation_agrees_with_normalize_id():
    import duckdb

    from zhengdun.screening.engine.duck import DuckBackend

    cases = _id_cases()
    assert normalize_id("110101" + "20000229" + "123" + check_digit("11010120000229123"))  # a real leap day
    assert normalize_id("110101" + "19000229" + "123" + check_digit("11010119000229123")) is None
    con = duckdb.connect()
    con.execute("CREATE TABLE ids (raw VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?)", [(c,) for c in cases])
    got = dict(con.execute(_id_sql(DuckBackend.dialect, "ids")).fetchall())
    assert got == {c: normalize_id(c) for c in cases}


def test_sql_id_normalisation_same_on_spark(spark):
    from zhengdun.screening.engine.spark import SparkBackend

    cases = _id_cases()
    spark.createDataFrame([(c,) for c in cases], "raw string").createOrReplaceTempView("ids_t")
    got = {r[0]: r[1] for r in spark.sql(_id_sql(SparkBackend.dialect, "ids_t")).collect()}
    assert got == {c: normalize_id(c) for c in cases}


# ---------------------------------------------------------------- rules on hand-built data

def test_hand_dataset_exact_hits(hand_result):
    assert keyset(hand_result.hits) == data.EXPECTED


def test_no_duplicate_rows_and_sorted(hand_result):
    keys = [(h.rule, h.officer_id, h.registry, h.record_key, h.subject) for h in hand_result.hits]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys)


def test_scores_and_evidence(hand_result):
    by = {(h.rule, h.officer_id, h.record_key): h for h in hand_result.hits}
    e10 = by[("officer_business", "O1", "E10")]
    assert e10.match == "id" and e10.score == 1.0 and "身份证号一致" in e10.evidence
    e01 = by[("officer_business", "O1", "E01")]
    assert e01.match == "fuzzy" and 0.85 <= e01.score < 1
    assert "繁简" in e01.evidence and "脱敏身份证可见10位一致" in e01.evidence
    e13 = by[("officer_business", "O1", "E13")]
    assert "仅差1位" in e13.evidence
    l1 = by[("relative_lawyer", "O1", "L1")]
    assert "出生日期一致" in l1.evidence and l1.subject_name == "张小明"
    e02 = by[("relative_business", "O1", "E02")]
    assert e02.subject_name == "劉芳"  # the name as declared
    assert "规范化" in e02.evidence and "1101" in e02.evidence
    l2 = by[("departed_lawyer", "O3", "L2")]
    assert "15位旧号" in l2.evidence and "2025-06-01" in l2.evidence
    assert "申报信息无有效身份证号" in l1.evidence  # the child declared a birth date only
    c6 = by[("case_conflict", "O2", "C6")]
    assert c6.match == "fuzzy" and c6.score == 0.85
    assert "仅姓名可比对(申报: 无身份证号、无出生日期; 律师登记: 有身份证号、有出生日期)" in c6.evidence
    assert "须人工核实" in c6.evidence
    c11 = by[("case_conflict", "O2", "C11")]
    assert "申报: 无身份证号、有出生日期; 律师登记: 身份证号脱敏、无出生日期" in c11.evidence
    e15 = by[("relative_business", "O1", "E15")]
    assert e15.match == "fuzzy" and "出生日期与登记身份证号(校验失败)所含日期一致" in e15.evidence


def test_same_name_strangers_and_decoys_not_matched(hand_result):
    records = {h.record_key for h in hand_result.hits}
    # masked stranger, no-ID namesake, stranger with valid ID, stranger 刘芳, outside jurisdiction,
    # revoked/cancelled, departed officer's business, sibling, other-birth-date lawyer, suspended lawyer;
    # name only: outside a case (L9), on another officer's case (C7), birth date or ID disagreeing
    # (C8, C9, and L11's second row carries nothing), the officer's own name (C10); a failing number
    # showing another birth date (E16, C12); a lawyer identified as someone else (C13); IDs on both
    # sides (C14)
    for rk in ("E03", "E04", "E05", "E06", "E07", "E08", "E09", "E12", "E14", "L3", "L4", "L5", "L6", "L7", "L8",
               "L9", "L10", "L11", "L12", "C7", "C8", "C9", "C10", "E16", "C12", "C13", "C14"):
        assert rk not in records, rk


def test_departed_window_follows_as_of(hand_dir):
    later = screen(hand_dir, as_of=datetime.date(2027, 6, 1), rules=["departed_lawyer"])
    assert not later.hits  # two years after 2025-06-01 have passed
    edge = screen(hand_dir, as_of=datetime.date(2027, 5, 31), rules="departed_lawyer")
    assert [(h.officer_id, h.record_key) for h in edge.hits] == [("O3", "L2")]
    early = screen(hand_dir, as_of=datetime.date(2021, 12, 31), rules=["departed_lawyer"])
    assert {h.officer_id for h in early.hits} == {"O3", "O4"}


def test_rules_subset_and_missing_optional_files(tmp_path):
    d = data.write_dataset(str(tmp_path / "d"), skip=("lawyers", "cases"))
    r = screen(d, as_of=AS_OF)
    assert {h.rule for h in r.hits} == {"officer_business", "relative_business"}
    assert set(r.rules_skipped) == {"relative_lawyer", "case_conflict", "departed_lawyer"}
    r2 = screen(d, as_of=AS_OF, rules="relative_business")
    assert {h.rule for h in r2.hits} == {"relative_business"}


def test_parquet_input_same_as_csv(tmp_path, hand_result):
    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    assert screen(d, as_of=AS_OF).hits == hand_result.hits


def _generated_parquet(tmp_path, *, seed: int) -> str:
    """A generated tiny data set in Parquet (every corruption kind); returns its folder."""
    from zhengdun.screening.engine.generate import generate

    d = str(tmp_path / "tiny")
    generate(d, "tiny", formats=("parquet",), seed=seed, as_of=AS_OF)
    return os.path.join(d, "parquet") if os.path.isdir(os.path.join(d, "parquet")) else d


def _screen_with_backend(d, **kw):
    from zhengdun.screening.engine.duck import DuckBackend

    be = DuckBackend(**kw)
    try:
        return be, screen(d, as_of=AS_OF, backend=be)
    finally:
        be.close()


def test_parquet_pass_fetches_wide_columns_by_row_number(tmp_path, monkeypatch):
    """From Parquet the enterprise pass reads three columns and fetches the other five by row
    number; the hits are exactly those of the one-pass plan (generated data, every corruption)."""
    from zhengdun.screening.engine.duck import DuckBackend

    pq = _generated_parquet(tmp_path, seed=7)
    steps = []
    be, two_phase = _screen_with_backend(pq, progress=lambda stage, *a, **k: steps.append(stage))
    assert be.row_key("enterprises") == "zd_row_no"
    assert "ent_cand" in steps
    monkeypatch.setattr(DuckBackend, "row_key", lambda self, stem: None)
    _, one_pass = _screen_with_backend(pq)
    assert len(two_phase.hits) >= 30
    assert two_phase.hits == one_pass.hits


def test_parquet_with_a_file_row_number_column(tmp_path, hand_result):
    """A Parquet file that has its own column named file_row_number is read in one pass."""
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, "enterprises.parquet")
    t = pq.read_table(path)
    pq.write_table(t.append_column("file_row_number", t.column("credit_code")), path)
    be, r = _screen_with_backend(d)
    assert be.row_key("enterprises") is None
    assert r.hits == hand_result.hits


# ---------------------------------------------------------------- CLI and bad input

def run_cli(*args):
    return cli_main(list(args))


def test_cli_writes_contract_csv(hand_dir, tmp_path, capsys):
    out = tmp_path / "hits.csv"
    assert run_cli("screen", hand_dir, "--out", str(out), "--as-of", data.AS_OF) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == HIT_COLUMNS
    assert len(rows) - 1 == len(data.EXPECTED)
    assert {r[7] for r in rows[1:] if r[6] == "id"} == {"1"}
    captured = capsys.readouterr()
    assert "officer_business" in captured.out and "[screen]" in captured.err


def _broken(tmp_path, name, mutate):
    d = data.write_dataset(str(tmp_path / name))
    mutate(d)
    return d


@pytest.mark.parametrize("case,expect", [
    ("missing_column", ("relatives.csv", "relation")),
    ("bad_date", ("roster.csv", "birth_date")),
    ("bad_ratio", ("enterprises.csv", "share_ratio")),
    ("bad_status", ("lawyers.csv", "status")),
    ("unreadable", ("enterprises.parquet",)),
    ("missing_roster", ("roster",)),
    ("ragged_row", ("cases.csv",)),
    ("ragged_enterprise_row", ("enterprises.csv", "line 19 has 3 fields", "fewer than the 9 columns")),
    ("not_utf8_enterprises", ("enterprises.csv", "Line", "not utf-8")),
    ("code_with_underscore", ("enterprises.csv", "region_code", "11_101")),
    ("duplicate_officer", ("roster.csv", "officer_id", "'O2'")),
    ("departed_without_date", ("roster.csv", "left_date", "'O3'")),
])
def test_bad_input_names_file_and_column_and_writes_nothing(tmp_path, capsys, case, expect):
    def mutate(d):
        if case == "missing_column":
            rows = [[c for i, c in enumerate(r) if i != 1] for r in data.RELATIVES]
            data.write_csv(os.path.join(d, "relatives.csv"), rows)
        elif case == "bad_date":
            rows = [list(r) for r in data.ROSTER]
            rows[2][3] = "1975/05/05"
            data.write_csv(os.path.join(d, "roster.csv"), rows)
        elif case == "bad_ratio":
            rows = [list(r) for r in data.ENTERPRISES]
            rows[1][7] = "thirty"
            data.write_csv(os.path.join(d, "enterprises.csv"), rows)
        elif case == "bad_status":
            rows = [list(r) for r in data.LAWYERS]
            rows[1][6] = "retired"
            data.write_csv(os.path.join(d, "lawyers.csv"), rows)
        elif case == "unreadable":
            os.remove(os.path.join(d, "enterprises.csv"))
            with open(os.path.join(d, "enterprises.parquet"), "wb") as fh:
                fh.write(b"PAR1 this is not parquet")
        elif case == "missing_roster":
            os.remove(os.path.join(d, "roster.csv"))
        elif case == "code_with_underscore":
            rows = [list(r) for r in data.ENTERPRISES]
            rows[3][2] = "11_101"
            data.write_csv(os.path.join(d, "enterprises.csv"), rows)
        elif case == "duplicate_officer":
            rows = [list(r) for r in data.ROSTER] + [list(data.ROSTER[2])]
            data.write_csv(os.path.join(d, "roster.csv"), rows)
        elif case == "departed_without_date":
            rows = [list(r) for r in data.ROSTER]
            rows[3][8] = ""
            data.write_csv(os.path.join(d, "roster.csv"), rows)
        elif case == "ragged_row":
            with open(os.path.join(d, "cases.csv"), "a", encoding="utf-8") as fh:
                fh.write("C9,O1,L1,extra,fields\n")
        elif case == "ragged_enterprise_row":
            with open(os.path.join(d, "enterprises.csv"), "a", encoding="utf-8") as fh:
                fh.write("911101010000000001,某公司,110101\r\n")
        elif case == "not_utf8_enterprises":
            with open(os.path.join(d, "enterprises.csv"), "ab") as fh:
                fh.write("911101010000000002,某公司,110101,active,".encode("gbk") + "张三".encode("gbk")
                         + b",110101198001010011,shareholder,0.5\r\n")

    d = _broken(tmp_path, case, mutate)
    out = tmp_path / "out" / "hits.csv"
    out.parent.mkdir()
    assert run_cli("screen", d, "--out", str(out), "--as-of", data.AS_OF) != 0
    err = capsys.readouterr().err
    for word in expect:
        assert word in err, err
    assert "nothing written" in err
    assert not out.exists()
    assert not [p for p in os.listdir(out.parent)]  # no temp file left behind either


def test_error_keeps_existing_output(tmp_path):
    d = _broken(tmp_path, "x", lambda d: os.remove(os.path.join(d, "relatives.csv")))
    out = tmp_path / "hits.csv"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(ScreeningInputError) as ei:
        screen(d, as_of=AS_OF)
    assert "relatives" in str(ei.value)
    assert run_cli("screen", d, "--out", str(out)) == 1
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_bad_arguments(hand_dir, tmp_path):
    out = str(tmp_path / "h.csv")
    assert run_cli("screen", hand_dir, "--out", out, "--as-of", "2026-13-01") == 2
    assert run_cli("screen", hand_dir, "--out", out, "--rules", "officer_business,nope") == 2
    assert not os.path.exists(out)


# ---------------------------------------------------------------- generator and scoring

def test_generator_accuracy_small(tmp_path, capsys):
    d = str(tmp_path / "gen")
    assert run_cli("gen-screening-data", "--scale", "small", "--seed", "11", "--as-of", "2026-01-01", d) == 0
    for stem in ("roster", "relatives", "enterprises", "lawyers", "cases", "truth"):
        assert os.path.exists(os.path.join(d, f"{stem}.csv"))
    out = os.path.join(d, "hits.csv")
    assert run_cli("screen", d, "--out", out, "--as-of", "2026-01-01") == 0
    from zhengdun.screening.engine.score import score_files

    scores = score_files(os.path.join(d, "truth.csv"), out)
    for rule, s in scores.items():
        assert s["truth"] > 0, rule
        # small samples are noisy (about 100 truth rows per rule); the province figures are in docs/screening.md
        assert s["precision"] >= 0.98 and s["recall"] >= 0.94, (rule, s)
    capsys.readouterr()
    assert run_cli("screen-score", os.path.join(d, "truth.csv"), out) == 0
    assert "overall" in capsys.readouterr().out


def test_score_counts(tmp_path):
    from zhengdun.screening.engine.score import score_files

    t = tmp_path / "t.csv"
    h = tmp_path / "h.csv"
    hdr = "rule,officer_id,subject,registry,record_key\n"
    t.write_text(hdr + "officer_business,O1,officer,enterprises,E1\nofficer_business,O2,officer,enterprises,E2\n")
    h.write_text(hdr + "officer_business,O1,officer,enterprises,E1\nofficer_business,O3,officer,enterprises,E3\n")
    s = score_files(str(t), str(h))["officer_business"]
    assert (s["tp"], s["precision"], s["recall"]) == (1, 0.5, 0.5)


# ---------------------------------------------------------------- Spark

def test_spark_equals_duckdb(spark, hand_dir, hand_result):
    from zhengdun.screening.engine.spark import SparkBackend

    r = screen(hand_dir, as_of=AS_OF, engine="spark", backend=SparkBackend(spark=spark))
    assert r.hits == hand_result.hits
    assert keyset(r.hits) == data.EXPECTED


def test_spark_equals_duckdb_on_generated_parquet(spark, tmp_path):
    """Generated data (every corruption kind, Parquet input): both engines give the same hits,
    evidence and scores included."""
    from zhengdun.screening.engine.spark import SparkBackend

    pq = _generated_parquet(tmp_path, seed=5)
    duck = screen(pq, as_of=datetime.date(2026, 1, 1))
    sp = screen(pq, as_of=datetime.date(2026, 1, 1), engine="spark", backend=SparkBackend(spark=spark))
    assert len(duck.hits) >= 30 and {h.match for h in duck.hits} == {"id", "fuzzy"}
    assert sp.hits == duck.hits


def test_both_engines_refuse_the_same_bad_input(spark, tmp_path):
    from zhengdun.screening.engine.spark import SparkBackend

    def mutate(d):
        rows = [list(r) for r in data.ENTERPRISES]
        rows[3][2] = "11_101"
        data.write_csv(os.path.join(d, "enterprises.csv"), rows)

    d = _broken(tmp_path, "code", mutate)
    for kwargs in ({}, {"engine": "spark", "backend": SparkBackend(spark=spark)}):
        with pytest.raises(ScreeningInputError) as ei:
            screen(d, as_of=AS_OF, **kwargs)
        assert ei.value.column == "region_code" and "enterprises.csv" in str(ei.value)
