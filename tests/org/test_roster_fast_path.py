"""The importer's fast paths give exactly what the general code gives: the row checker for the usual
officer row (tested against the general checker on a file full of unusual rows), and the sealer's
inlined message building (the same bytes as the reference message verify-audit recomputes)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.conftest import make_id
from tests.org.test_roster import JUDGE_A, NEW_1, NEW_2, csv_bytes, xlsx_bytes
from zhengdun.audit import chain
from zhengdun.org import roster
from zhengdun.org.access import scope_for
from zhengdun.org.roster import OFFICER_HEADERS, roster_import

FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in make_id("360101", "19930303", 313))
OLD_15 = make_id("360101", "19850505", 515)[:6] + make_id("360101", "19850505", 515)[8:17]
BAD_BIRTH = "360101" + "19900230" + "101"  # 30 February
BAD_BIRTH += roster.idnumbers.check_digit(BAD_BIRTH)
MASKED_JUDGE_A = JUDGE_A[:6] + "********" + JUDGE_A[-4:]


def unusual_rows(xlsx: bool):
    lower_x = next(make_id("360101", "19940404", s) for s in range(400, 999) if make_id("360101", "19940404", s)[-1] == "X")
    rows = [
        ["CAFY", "普通", "男", make_id("360101", "19900101", 101), "1990-01-01", "书记员", "政法干警", "中共党员", "在职"],
        ["CAFY", "留空", "", make_id("360101", "19910101", 111), "", "", "", "群众", ""],
        ["  CAGA ", " 空格 ", " 女 ", make_id("360101", "19920202", 222), " 1992/02/02 ", " 民警 ", "辅警", "群众", "借调"],
        ["CAFY", "小写x", "", lower_x.lower(), "", "", "", "中共党员", ""],
        ["CAFY", "全角", "", FULL_WIDTH, "", "", "", "中共党员", ""],
        ["CAFY", "旧号", "", OLD_15, "19850505", "", "", "中共党员", ""],
        ["CAFY", "张审判", "", MASKED_JUDGE_A, "", "庭长", "", "中共党员", ""],
        ["CAFY", "代码", "M", make_id("360101", "19950505", 551), "", "", "officer", "cpc", "serving"],
        ["CAFY", "同义", "男性", make_id("360101", "19960606", 661), "", "", "干警", "党员", "在岗"],
        ["CAFY", "坏选项", "", make_id("360101", "19970707", 771), "", "", "法官", "中共党员", ""],
        ["CAFY", "坏日期", "", make_id("360101", "19980808", 881), "1998-13-01", "", "", "中共党员", ""],
        ["CAFY", "生日不符", "", make_id("360101", "19990909", 991), "1999-09-10", "", "", "中共党员", ""],
        ["CAFY", "性别不符", "女", make_id("360101", "19891010", 101), "", "", "", "中共党员", ""],
        ["CAFY", "重复", "", make_id("360101", "19900101", 101), "", "", "", "中共党员", ""],
        ["NOPE", "无单位", "", make_id("360101", "19881111", 111), "", "", "", "中共党员", ""],
        ["CAFY", "长" * 51, "", make_id("360101", "19871212", 121), "", "", "", "中共党员", ""],
        ["CAFY", "职务长", "", make_id("360101", "19860101", 131), "", "职" * 61, "", "中共党员", ""],
        ["CAFY", "缺政治面貌", "", make_id("360101", "19850101", 141), "", "", "", "", ""],
        ["CAFY", "坏生日号", "", BAD_BIRTH, "", "", "", "中共党员", ""],
        ["CAFY", "", "", make_id("360101", "19840101", 151), "", "", "", "中共党员", ""],
        ["", "", "", "", "", "", "", "", ""],  # an empty row is skipped
        ["CAFY", "普通二", "", NEW_1, "", "", "", "中共党员", ""],
        ["CAGA", "普通三", "女", NEW_2, "", "", "", "中共预备党员", "退休"],
    ]
    if xlsx:
        rows += [
            ["CAFY", "日期格", "", make_id("360101", "19830303", 161), dt.datetime(1983, 3, 3), "", "", "中共党员", ""],
            ["CAFY", "数字号", "", float(make_id("360101", "19820202", 171)[:15]), "", "", "", "中共党员", ""],
            ["CAFY", "日期不符格", "", make_id("360101", "19810101", 181), dt.datetime(1981, 1, 2), "", "", "中共党员", ""],
            ["CAFY", 12345, "", make_id("360101", "19800404", 191), "", 7, "", "中共党员", ""],
        ]
    return rows


def validate(actor, data: bytes, name: str):
    v = roster._Validator(scope_for(actor))
    for table in roster.read_tables(io.BytesIO(data), name):
        v.officers_table(table)
    return [(r.row, r.hash, r.number, r.masked, sorted(r.data.items())) for r in v.officers], \
        [e.as_dict() for e in v.errors]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_fast_row_checker_agrees_with_the_general_one(cast, monkeypatch, kind):
    rows = unusual_rows(kind == "xlsx")
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(OFFICER_HEADERS, rows)
    name = f"officers.{kind}"
    fast = validate(cast.admin_a, data, name)
    fast_result = roster_import(actor=cast.admin_a, fileobj=io.BytesIO(data), name=name, dry_run=True)
    monkeypatch.setattr(roster._Validator, "_officer_fast_path", lambda self, positions: lambda number, values: False)
    general = validate(cast.admin_a, data, name)
    general_result = roster_import(actor=cast.admin_a, fileobj=io.BytesIO(data), name=name, dry_run=True)
    assert fast == general
    assert fast_result.as_dict() == general_result.as_dict()
    assert len(fast[0]) >= 8 and len(fast[1]) >= 10  # both kinds of rows were there


def test_a_file_without_the_optional_columns(cast):
    headers = ("单位代码", "姓名", "身份证号", "政治面貌")
    rows = [["CAFY", "甲", make_id("360101", "19900101", 101), "群众"], ["CAFY", "乙", "", "群众"]]
    result = roster_import(actor=cast.admin_a, fileobj=io.BytesIO(csv_bytes(headers, rows)), name="o.csv")
    assert [(e.row, e.column) for e in result.errors] == [(3, "身份证号")]
    rows.pop()
    result = roster_import(actor=cast.admin_a, fileobj=io.BytesIO(csv_bytes(headers, rows)), name="o.csv")
    assert result.ok and result.officers.created == 1


def test_the_inline_seal_message_is_the_reference_message():
    keyed = chain._keyed()
    rows = [(7, "2024-01-01T00:00:00.000001Z", 3, "张三", "roster.import", "insert", "org_officer", "7", 12,
             "", '{"name": "张三"}', "db", "10.0.0.1"),
            (8, "2024-01-01T00:00:00Z", None, "", "db.raw", "update", "org_unit", "8", None, "{}", "{}", "db", "")]
    tail = chain._Tail(41, "ab" * 32)
    seals = chain._link(tail, rows, keyed)
    prev = "ab" * 32
    for seq, row, seal in zip((42, 43), rows, seals, strict=True):
        assert seal == (seq, row[0], prev, chain.entry_hash(seq, prev, row))
        prev = seal[3]
    assert (tail.seq, tail.prev) == (43, prev)


def test_the_background_checkpoint_copies_the_log_into_the_database_file(tmp_path):
    """After a large import the WAL is checkpointed off the commit, by checkpoint_in_background():
    the rows must then be in the database file itself, without its -wal file."""
    import shutil
    import sqlite3

    path = tmp_path / "db.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t (x INTEGER)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
    con.commit()

    def rows_in_file_alone() -> int:
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(path, copy)  # the main file only: what the log holds is not in it
        with sqlite3.connect(copy) as other:
            tables = other.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()[0]
            return other.execute("SELECT count(*) FROM t").fetchone()[0] if tables else 0

    assert rows_in_file_alone() == 0
    roster.checkpoint_in_background(path).join(timeout=30)
    assert rows_in_file_alone() == 5000
    con.close()


def test_splitting_rows_at_their_end_tag_finds_what_the_row_expression_finds():
    from zhengdun.org.roster import _ROW_RE, _split_rows

    sheet = ('<worksheet><sheetData><row r="1" spans="1:3"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
             '<row r="2"/><row r="3"><c r="A3"><v>1</v></c></row>'
             '<row><c r="A4"><v>2</v></c></row>'
             '<row r="5" ht="20" customHeight="1"></row>'
             '<row r="6"><c r="B6"><v>3</v></c></row><row r="7"/></sheetData>'
             '<rowBreaks count="1"><brk id="3"/></rowBreaks></worksheet>')
    expected = _ROW_RE.findall(sheet)
    assert len(expected) == 7
    assert list(_split_rows(sheet)) == expected
    # pieces as the reader cuts them: each ends at a </row>, the last one at the end of the sheet
    cut = sheet.index("</row>", sheet.index('r="3"')) + len("</row>")
    assert list(_split_rows(sheet[:cut])) + list(_split_rows(sheet[cut:])) == expected
