"""Bad input the engine and its commands must refuse, and near-misses they must still read.

Each refusal names the file (and column or line), exits non-zero and leaves nothing written.
"""

from __future__ import annotations

import datetime
import os

import pytest

from zhengdun.screening.engine import ScreeningInputError, screen
from zhengdun.screening.engine.cli import main as cli_main

from . import data

AS_OF = datetime.date(2026, 1, 1)


@pytest.fixture(scope="module")
def hand_hits(tmp_path_factory):
    return screen(data.write_dataset(str(tmp_path_factory.mktemp("hand"))), as_of=AS_OF).hits


def _refused(d, **kw) -> ScreeningInputError:
    with pytest.raises(ScreeningInputError) as ei:
        screen(d, as_of=AS_OF, **kw)
    return ei.value


def _cli_refuses(d, tmp_path, capsys, *words, code=1):
    out = tmp_path / "out" / "hits.csv"
    out.parent.mkdir(exist_ok=True)
    assert cli_main(["screen", str(d), "--out", str(out), "--as-of", data.AS_OF]) == code
    err = capsys.readouterr().err
    for w in words:
        assert w in err, err
    assert not out.exists() and not os.listdir(out.parent)
    return err


def _append(path, text):
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(text)


# ---------------------------------------------------------------- Parquet column types

def _typed(tmp_path, stem, column, array):
    """The hand data set in Parquet with one column replaced by ``array`` (a pyarrow array)."""
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, f"{stem}.parquet")
    t = pq.read_table(path)
    pq.write_table(t.set_column(t.schema.get_field_index(column), column, array), path)
    return d


@pytest.mark.parametrize("stem,column,make,type_name", [
    ("roster", "id_number", lambda pa, n: pa.array([4.41e17] * n, pa.float64()), "DOUBLE"),
    ("relatives", "name", lambda pa, n: pa.array([["张三"]] * n, pa.list_(pa.string())), "VARCHAR[]"),
    ("enterprises", "person_id_number", lambda pa, n: pa.array([110101198001010011] * n, pa.int64()), "BIGINT"),
    ("lawyers", "status", lambda pa, n: pa.array([True] * n, pa.bool_()), "BOOLEAN"),
    ("roster", "birth_date", lambda pa, n: pa.array([1.5] * n, pa.float64()), "DOUBLE"),
])
def test_a_parquet_column_of_the_wrong_type_is_refused(tmp_path, capsys, stem, column, make, type_name):
    import pyarrow as pa

    n = len(getattr(data, stem.upper())) - 1
    d = _typed(tmp_path, stem, column, make(pa, n))
    err = _refused(d)
    assert err.column == column and err.file == f"{stem}.parquet"
    assert f"column {column} has type {type_name}, expected" in str(err)
    _cli_refuses(d, tmp_path, capsys, f"{stem}.parquet", column)


def test_parquet_integers_dates_and_numbers_read_as_the_contract_text(tmp_path, hand_hits):
    """Codes as integers, dates as DATE or TIMESTAMP and the share ratio as a double give exactly
    the hits of the all-text files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")

    def day(v):
        return datetime.date.fromisoformat(v) if v else None

    def retype(stem, **columns):
        path = os.path.join(d, f"{stem}.parquet")
        t = pq.read_table(path)
        for col, fn in columns.items():
            t = t.set_column(t.schema.get_field_index(col), col, fn(t.column(col).to_pylist()))
        pq.write_table(t, path)

    retype("roster", jurisdiction=lambda v: pa.array([int(x) for x in v], pa.int32()),
           birth_date=lambda v: pa.array([day(x) for x in v], pa.date32()),
           left_date=lambda v: pa.array([datetime.datetime.combine(day(x), datetime.time()) if x else None
                                         for x in v], pa.timestamp("us")))
    retype("enterprises", region_code=lambda v: pa.array([int(x) for x in v], pa.int64()),
           share_ratio=lambda v: pa.array([float(x) if x else None for x in v], pa.float64()))
    retype("lawyers", birth_date=lambda v: pa.array([day(x) for x in v], pa.date32()))
    assert screen(d, as_of=AS_OF).hits == hand_hits


# ---------------------------------------------------------------- CSV shape

@pytest.mark.parametrize("row,words", [
    ("C9,O1,L1,\n", ("line 16 has 4 fields, more than the 3 columns",)),      # a surplus empty field
    ("C9,,O1,L1\n", ("line 16 has 4 fields",)),                                # a field shifted mid-row
    ("C9,O1\n", ("line 16 has 2 fields, fewer than the 3 columns",)),
])
def test_a_csv_row_with_another_number_of_fields_is_refused_by_line(tmp_path, capsys, row, words):
    d = data.write_dataset(str(tmp_path / "d"))  # CSV files with CR LF line endings
    _append(os.path.join(d, "cases.csv"), row.replace("\n", "\r\n"))
    _cli_refuses(d, tmp_path, capsys, "cases.csv", *words)


def test_mixed_line_endings_are_named(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    _append(os.path.join(d, "cases.csv"), "C9,O1,L1\n")
    _cli_refuses(d, tmp_path, capsys, "cases.csv", "line 16 ends in LF", "one kind of line ending")


def test_an_unterminated_quote_is_reported_without_the_row_text(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    _append(os.path.join(d, "relatives.csv"), 'O1,spouse,"机密姓名,110101198001010011,\r\nO2,child,某人,,\r\n')
    err = _cli_refuses(d, tmp_path, capsys, "relatives.csv", "unterminated quote")
    assert "机密姓名" not in err and "110101198001010011" not in err


def test_extra_columns_may_repeat_but_a_contract_column_may_not(tmp_path, hand_hits, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    path = os.path.join(d, "lawyers.csv")
    rows = [list(r) + (["note", "Note"] if i == 0 else ["a", "b"]) for i, r in enumerate(data.LAWYERS)]
    data.write_csv(path, rows)
    assert screen(d, as_of=AS_OF).hits == hand_hits
    rows = [list(r) + (["Name"] if i == 0 else ["x"]) for i, r in enumerate(data.LAWYERS)]
    data.write_csv(path, rows)
    err = _refused(d)
    assert err.column == "name" and "column name appears twice (as name and Name)" in str(err)
    _cli_refuses(d, tmp_path, capsys, "lawyers.csv", "appears twice")


def test_a_parquet_contract_column_twice_in_another_case_is_refused(tmp_path):
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, "roster.parquet")
    t = pq.read_table(path)
    pq.write_table(t.append_column("NAME", t.column("name")), path)
    err = _refused(d)
    assert err.column == "name" and "roster.parquet" in str(err) and "NAME" in str(err)


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("column,index", [("jurisdiction", 5), ("role", 6)])
def test_a_roster_row_without_jurisdiction_or_role_is_refused(tmp_path, column, index):
    d = data.write_dataset(str(tmp_path / "d"))
    rows = [list(r) for r in data.ROSTER]
    rows[2][index] = ""
    data.write_csv(os.path.join(d, "roster.csv"), rows)
    err = _refused(d)
    assert err.column == column and "roster.csv" in str(err)


# ---------------------------------------------------------------- files and arguments

@pytest.mark.parametrize("name", ["Enterprises.csv", "lawyers.PARQUET", "CASES.Csv"])
def test_a_contract_file_named_in_another_case_is_refused(tmp_path, capsys, name):
    d = data.write_dataset(str(tmp_path / "d"))
    stem = name.split(".")[0].lower()
    os.remove(os.path.join(d, f"{stem}.csv"))
    with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
        fh.write("x\n")
    _cli_refuses(d, tmp_path, capsys, name, "rename it")


def test_a_link_to_nothing_is_refused(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    os.remove(os.path.join(d, "lawyers.csv"))
    os.symlink(str(tmp_path / "gone.csv"), os.path.join(d, "lawyers.csv"))
    _cli_refuses(d, tmp_path, capsys, "lawyers.csv", "does not exist")


@pytest.mark.parametrize("value", ["20210101", "2021-W01-1", "", "2021-1-1", "2021-02-30"])
def test_an_as_of_not_written_yyyy_mm_dd_is_refused(tmp_path, capsys, value):
    d = data.write_dataset(str(tmp_path / "d"))
    out = tmp_path / "h.csv"
    assert cli_main(["screen", d, "--out", str(out), "--as-of", value]) == 2
    assert "--as-of" in capsys.readouterr().err and not out.exists()
    assert cli_main(["gen-screening-data", "--scale", "tiny", "--as-of", value, str(tmp_path / "g")]) == 2
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("value", [",", " ", ", ,"])
def test_rules_naming_no_rule_are_refused(tmp_path, capsys, value):
    d = data.write_dataset(str(tmp_path / "d"))
    out = tmp_path / "h.csv"
    assert cli_main(["screen", d, "--out", str(out), "--rules", value]) == 2
    assert "no rule named" in capsys.readouterr().err and not out.exists()


def test_out_may_not_be_an_input_file(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    target = os.path.join(d, "cases.csv")
    before = open(target, "rb").read()
    assert cli_main(["screen", d, "--out", target, "--as-of", data.AS_OF]) == 2
    err = capsys.readouterr().err
    assert "is the input file cases.csv" in err and "left as it was" in err
    assert open(target, "rb").read() == before
    os.symlink(target, str(tmp_path / "link.csv"))
    assert cli_main(["screen", d, "--out", str(tmp_path / "link.csv"), "--as-of", data.AS_OF]) == 2
    assert open(target, "rb").read() == before


def test_a_failed_run_says_the_old_output_is_left_as_it_was(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    os.remove(os.path.join(d, "relatives.csv"))
    out = tmp_path / "hits.csv"
    out.write_text("previous\n", encoding="utf-8")
    assert cli_main(["screen", d, "--out", str(out), "--as-of", data.AS_OF]) == 1
    assert f"{out} is left as it was" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "previous\n"


# ---------------------------------------------------------------- screen-score

@pytest.mark.parametrize("content,words", [
    (b"rule,officer_id,subject,registry,record_key\n" + "officer_business,张三".encode("gbk") + b",o,e,E1\n",
     ("hits.csv", "not UTF-8")),
    (b"rule,officer_id,subject,registry,record_key\nofficer_business,O1,officer,enterprises\n",
     ("hits.csv", "line 2 has 4 fields")),
    (b"", ("hits.csv", "empty file")),
])
def test_screen_score_refuses_bad_files(tmp_path, capsys, content, words):
    truth = tmp_path / "truth.csv"
    truth.write_text("rule,officer_id,subject,registry,record_key\n", encoding="utf-8")
    hits = tmp_path / "hits.csv"
    hits.write_bytes(content)
    assert cli_main(["screen-score", str(truth), str(hits)]) == 1
    err = capsys.readouterr().err
    for w in words:
        assert w in err, err


# ---------------------------------------------------------------- Spark refuses the same

def test_spark_refuses_the_same_bad_input(spark, tmp_path, hand_hits):
    import pyarrow as pa

    from zhengdun.screening.engine.spark import SparkBackend

    n = len(data.ROSTER) - 1
    d = _typed(tmp_path, "roster", "id_number", pa.array([4.41e17] * n, pa.float64()))
    err = _refused(d, engine="spark", backend=SparkBackend(spark=spark))
    assert err.column == "id_number" and "column id_number has type double, expected" in str(err)

    d2 = data.write_dataset(str(tmp_path / "csv"))
    _append(os.path.join(d2, "relatives.csv"), 'O1,spouse,"机密姓名,110101198001010011,\r\nO2,child,某人,,\r\n')
    err = _refused(d2, engine="spark", backend=SparkBackend(spark=spark))
    assert "relatives.csv" in str(err) and "机密姓名" not in str(err) and "110101198001010011" not in str(err)

    d3 = data.write_dataset(str(tmp_path / "csv3"))
    _append(os.path.join(d3, "cases.csv"), "C9,O1,L1,\r\n")
    err = _refused(d3, engine="spark", backend=SparkBackend(spark=spark))
    assert "cases.csv: line 16 has 4 fields" in str(err)


def test_spark_reads_typed_parquet_as_duckdb_does(spark, tmp_path, hand_hits):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from zhengdun.screening.engine.spark import SparkBackend

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    for stem, col in (("roster", "birth_date"), ("lawyers", "birth_date")):
        path = os.path.join(d, f"{stem}.parquet")
        t = pq.read_table(path)
        v = [datetime.date.fromisoformat(x) if x else None for x in t.column(col).to_pylist()]
        pq.write_table(t.set_column(t.schema.get_field_index(col), col, pa.array(v, pa.date32())), path)
    path = os.path.join(d, "enterprises.parquet")
    t = pq.read_table(path)
    v = [float(x) if x else None for x in t.column("share_ratio").to_pylist()]
    pq.write_table(t.set_column(t.schema.get_field_index("share_ratio"), "share_ratio", pa.array(v)), path)
    assert screen(d, as_of=AS_OF).hits == hand_hits
    assert screen(d, as_of=AS_OF, engine="spark", backend=SparkBackend(spark=spark)).hits == hand_hits


# ---------------------------------------------------------------- second review

def _keys(hits):
    return sorted((h.rule, h.officer_id, h.subject, h.registry, h.record_key, h.match) for h in hits)


def test_a_quoted_line_break_in_a_csv_value_is_read(tmp_path, hand_hits):
    d = data.write_dataset(str(tmp_path / "d"))
    rows = [list(r) for r in data.LAWYERS]
    rows[1][4] = "甲\r\n所"
    data.write_csv(os.path.join(d, "lawyers.csv"), rows)
    assert _keys(screen(d, as_of=AS_OF).hits) == _keys(hand_hits)


def _bad_utf8_parquet(tmp_path, stem, column):
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, f"{stem}.parquet")
    t = pq.read_table(path)
    raw = [x.encode("gbk") if x else None for x in t.column(column).to_pylist()]
    pq.write_table(t.set_column(t.schema.get_field_index(column), column, pa.array(raw, pa.binary()).view(pa.string())),
                   path)
    return d


@pytest.mark.parametrize("stem,column", [("roster", "name"), ("enterprises", "person_name")])
def test_bad_utf8_in_a_parquet_text_column_names_the_file_not_the_value(tmp_path, capsys, stem, column):
    d = _bad_utf8_parquet(tmp_path, stem, column)
    err = _cli_refuses(d, tmp_path, capsys, f"{stem}.parquet")
    assert "\\x" not in err and "Traceback" not in err


def test_a_damaged_parquet_data_page_names_the_file(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, "relatives.parquet")
    raw = bytearray(open(path, "rb").read())
    raw[100:600] = b"A" * 500
    open(path, "wb").write(bytes(raw))
    err = _cli_refuses(d, tmp_path, capsys, "relatives.parquet")
    assert "Traceback" not in err


def test_cr_only_line_endings_are_refused_with_a_message(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    text = open(os.path.join(d, "cases.csv"), encoding="utf-8", newline="").read()
    open(os.path.join(d, "cases.csv"), "w", encoding="utf-8", newline="").write(text.replace("\r\n", "\r"))
    _cli_refuses(d, tmp_path, capsys, "cases.csv", "LF or CR LF")


def test_an_all_empty_parquet_column_of_arrows_null_type_is_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = data.write_dataset(str(tmp_path / "pq"), fmt="parquet")
    path = os.path.join(d, "lawyers.parquet")
    t = pq.read_table(path)
    pq.write_table(t.set_column(t.schema.get_field_index("birth_date"), "birth_date", pa.nulls(len(t))), path)
    assert screen(d, as_of=AS_OF).hits


def test_a_contract_file_that_is_a_pipe_is_refused(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    os.remove(os.path.join(d, "cases.csv"))
    os.mkfifo(os.path.join(d, "cases.csv"))
    _cli_refuses(d, tmp_path, capsys, "cases.csv", "not a regular file")


def test_a_folder_path_with_pattern_characters_is_refused(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "extract[1]"))
    data.write_dataset(str(tmp_path / "extract1"))
    _cli_refuses(d, tmp_path, capsys, "pattern")


@pytest.mark.parametrize("out", ["", "newdir/", "pipe", "d/Cases.csv", "d/lawyers.parquet"])
def test_an_unusable_out_is_refused_before_the_run(tmp_path, capsys, out):
    d = data.write_dataset(str(tmp_path / "d"))
    os.remove(os.path.join(d, "cases.csv"))
    os.remove(os.path.join(d, "lawyers.csv"))
    if out == "pipe":
        os.mkfifo(str(tmp_path / "pipe"))
    target = f"{tmp_path}/{out}" if out else ""
    assert cli_main(["screen", d, "--out", target, "--as-of", data.AS_OF]) == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(os.listdir(d)) == ["enterprises.csv", "relatives.csv", "roster.csv"]


def test_as_of_before_1900_is_refused(tmp_path, capsys):
    d = data.write_dataset(str(tmp_path / "d"))
    assert cli_main(["screen", d, "--out", str(tmp_path / "h.csv"), "--as-of", "0001-01-01"]) == 2
    assert "before 1900" in capsys.readouterr().err


def test_hits_csv_has_normal_permissions_no_nul_and_follows_a_link(tmp_path):
    d = data.write_dataset(str(tmp_path / "d"))
    rows = [list(r) for r in data.RELATIVES]
    rows[1][2] = rows[1][2][:1] + "\x00" + rows[1][2][1:]
    data.write_csv(os.path.join(d, "relatives.csv"), rows)
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    os.symlink(str(real), str(tmp_path / "link.csv"))
    assert cli_main(["screen", d, "--out", str(tmp_path / "link.csv"), "--as-of", data.AS_OF]) == 0
    assert os.path.islink(str(tmp_path / "link.csv")) and real.read_text(encoding="utf-8") != "old\n"
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(real).st_mode & 0o777 == 0o666 & ~umask
    assert b"\x00" not in real.read_bytes()
