"""Roster import/export: all-or-nothing, every bad row named, idempotent upsert, scope, round trip."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.conftest import make_id
from zhengdun.audit.chain import verify
from zhengdun.audit.models import AuditEntry
from zhengdun.org import identity
from zhengdun.org.models import Officer, Relative
from zhengdun.org.roster import (
    OFFICER_HEADERS,
    RELATIVE_HEADERS,
    RosterFileError,
    roster_export,
    roster_import,
)

NEW_1 = make_id("360101", "19900101", 101)
NEW_2 = make_id("360101", "19910202", 202)
NEW_3 = make_id("360101", "19920303", 303)
JUDGE_A = make_id("360101", "19800101", 11)
JUDGE_B = make_id("360102", "19790303", 31)


def officer_rows():
    return [
        ["CAFY", "新人甲", "男", NEW_1, "1990-01-01", "书记员", "政法干警", "中共党员", "在职"],
        ["CAGA", "新人乙", "女", NEW_2, "", "民警", "辅警", "群众", ""],
        ["CAFY", "张审判", "男", JUDGE_A, "1980/01/01", "庭长", "政法干警", "中共党员", "在职"],  # update
    ]


def relative_rows():
    return [
        [NEW_1, "配偶", "新配偶", NEW_3, "某公司", "职员"],
        [JUDGE_A, "子女", "张小", "", "", "学生"],
        [JUDGE_A, "配偶", "赵配偶", "", "律所", "律师"],  # existing relative: work unit added
    ]


def xlsx_bytes(officers=None, relatives=None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    if officers is not None:
        ws = wb.create_sheet("干警")
        ws.append(list(OFFICER_HEADERS))
        for row in officers:
            ws.append(row)
    if relatives is not None:
        ws = wb.create_sheet("亲属")
        ws.append(list(RELATIVE_HEADERS))
        for row in relatives:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(headers, rows, encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def run(actor, data: bytes, name: str, **kw):
    return roster_import(actor=actor, fileobj=io.BytesIO(data), name=name, size=len(data), **kw)


def snapshot():
    officers = sorted(Officer.objects.values_list(
        "id", "unit_id", "name", "gender", "birth_date", "position", "category", "party", "status",
        "id_number_enc", "id_number_hash", "id_number_masked"))
    relatives = sorted(Relative.objects.values_list(
        "id", "officer_id", "unit_id", "relation", "name", "work_unit", "occupation", "id_number_enc",
        "id_number_hash"))
    return officers, relatives


# --- validation --------------------------------------------------------------------------------

def test_bad_rows_save_nothing_and_each_is_named(cast):
    bad_id = NEW_2[:-1] + ("0" if NEW_2[-1] != "0" else "1")
    officers = officer_rows() + [
        ["CAFY", "", "男", make_id("360101", "19930101", 111), "", "", "", "中共党员", ""],  # row 5: name
        ["CAFY", "错号", "女", bad_id, "", "", "", "中共党员", ""],  # row 6: check digit
        ["CBFY", "越权", "男", make_id("360102", "19940101", 131), "", "", "", "中共党员", ""],  # row 7: scope
        ["NOPE", "无单位", "男", make_id("360101", "19950101", 151), "", "", "", "中共党员", ""],  # row 8
        ["CAFY", "重复", "男", NEW_1, "", "", "", "中共党员", ""],  # row 9: duplicate of row 2
        ["CAFY", "生日错", "男", make_id("360101", "19960101", 171), "1996-01-02", "", "", "中共党员", ""],  # 10
        ["CAFY", "类别错", "男", make_id("360101", "19970101", 191), "", "", "法官", "中共党员", ""],  # 11
        ["CAFY", "性别错", "女", make_id("360101", "19980101", 211), "", "", "", "中共党员", ""],  # 12
    ]
    relatives = relative_rows() + [
        [make_id("360101", "19700101", 231), "配偶", "孤儿", "", "", ""],  # row 5: unknown officer
        [NEW_1, "朋友", "某人", "", "", ""],  # row 6: bad relation
        [JUDGE_B, "配偶", "越权亲属", "", "", ""],  # row 7: officer out of scope
    ]
    before = snapshot()
    entries = AuditEntry.objects.count()
    result = run(cast.admin_a, xlsx_bytes(officers, relatives), "roster.xlsx")
    assert not result.ok and not result.saved
    assert snapshot() == before and AuditEntry.objects.count() == entries
    found = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert found[("干警", 5, "姓名")] == "必填"
    assert "校验位" in found[("干警", 6, "身份证号")]
    assert found[("干警", 7, "单位代码")] == "单位代码不存在或不在您的管辖范围内"
    assert found[("干警", 8, "单位代码")] == "单位代码不存在或不在您的管辖范围内"
    assert found[("干警", 9, "身份证号")] == "与第 2 行重复"
    assert "不一致" in found[("干警", 10, "出生日期")]
    assert "取值「法官」无效" in found[("干警", 11, "人员类别")]
    assert "不一致" in found[("干警", 12, "性别")]
    assert ("亲属", 5, "干警身份证号") in found
    assert "取值「朋友」无效" in found[("亲属", 6, "关系")]
    assert ("亲属", 7, "干警身份证号") in found
    assert len(result.errors) == 11
    assert str(result.errors[1]).startswith("干警·第 6 行「身份证号」：")


def test_out_of_scope_unit_reads_like_a_missing_one(cast):
    rows = [["CBFY", "某人", "男", make_id("360102", "19940101", 131), "", "", "", "中共党员", ""]]
    in_other_county = run(cast.clerk_a, xlsx_bytes(rows), "a.xlsx").errors
    rows[0][0] = "ZZZZ"
    missing = run(cast.clerk_a, xlsx_bytes(rows), "a.xlsx").errors
    assert [e.message for e in in_other_county] == [e.message for e in missing]
    # The clerk of court A may not write police A either (same county, other unit).
    rows[0][0] = "CAGA"
    assert run(cast.clerk_a, xlsx_bytes(rows), "a.xlsx").errors[0].column == "单位代码"


def test_number_registered_outside_scope_is_refused(cast):
    rows = [["CAFY", "他县", "男", JUDGE_B, "", "", "", "中共党员", ""]]
    result = run(cast.admin_a, xlsx_bytes(rows), "a.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号")]
    assert "管辖范围以外" in result.errors[0].message
    assert Officer.objects.get(pk=cast.officers["judge_b"].pk).unit_id == cast.court_b.id


def test_roles_that_may_not_import_are_refused(cast):
    data = xlsx_bytes(officer_rows())
    for who in ("supervisor_a", "officer_a", "auditor", "clue_handler"):
        with pytest.raises(PermissionDenied):
            run(cast.users[who], data, "a.xlsx")
    assert not Officer.objects.filter(name="新人甲").exists()


def test_missing_columns_and_empty_file_are_reported(cast):
    data = csv_bytes(["单位代码", "姓名"], [["CAFY", "某人"]])
    result = run(cast.admin_a, data, "a.csv")
    assert {e.column for e in result.errors} == {"身份证号", "政治面貌"}
    assert all(e.row == 1 for e in result.errors)
    empty = run(cast.admin_a, csv_bytes(list(OFFICER_HEADERS), []), "a.csv")
    assert empty.errors and "没有数据行" in empty.errors[0].message


def test_id_numbers_stored_as_excel_numbers_are_refused(cast):
    rows = [["CAFY", "数字号", "男", float(NEW_1[:15] + "000"), "", "", "", "中共党员", ""]]
    result = run(cast.admin_a, xlsx_bytes(rows), "a.xlsx")
    assert "文本格式" in result.errors[0].message


# --- import and idempotence --------------------------------------------------------------------

def test_good_file_imported_twice_gives_the_same_database(cast):
    data = xlsx_bytes(officer_rows(), relative_rows())
    first = run(cast.admin_a, data, "roster.xlsx")
    assert first.ok, first.errors
    assert (first.officers.created, first.officers.updated, first.officers.unchanged) == (2, 1, 0)
    assert (first.relatives.created, first.relatives.updated, first.relatives.unchanged) == (2, 1, 0)
    new = Officer.objects.get(id_number_hash=identity.lookup_hash(NEW_2))
    assert (new.name, new.gender, new.birth_date, new.category, new.party, new.status, new.unit.code) == (
        "新人乙", "F", dt.date(1991, 2, 2), "auxiliary", "masses", "serving", "CAGA")
    assert new.reveal_id_number() == NEW_2 and new.id_number_masked == NEW_2[:6] + "********" + NEW_2[-4:]
    assert Officer.objects.get(pk=cast.officers["judge_a"].pk).position == "庭长"
    spouse = Relative.objects.get(name="新配偶")
    assert spouse.officer.name == "新人甲" and spouse.unit_id == cast.court_a.id
    assert spouse.reveal_id_number() == NEW_3
    assert Relative.objects.get(name="赵配偶").work_unit == "律所"
    assert AuditEntry.objects.filter(action="roster.import").count() == 2 + 1 + 2 + 1

    before, entries = snapshot(), AuditEntry.objects.count()
    second = run(cast.admin_a, data, "roster.xlsx")
    assert second.ok and not second.saved
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    assert second.summary() == "新增 0 / 更新 0 / 未变化 6"
    assert snapshot() == before
    assert AuditEntry.objects.count() == entries  # the second run wrote nothing at all
    assert verify().ok


def test_dry_run_validates_and_counts_but_saves_nothing(cast):
    before, entries = snapshot(), AuditEntry.objects.count()
    result = run(cast.admin_a, xlsx_bytes(officer_rows(), relative_rows()), "a.xlsx", dry_run=True)
    assert result.ok and not result.saved and result.dry_run
    assert (result.created, result.updated) == (4, 2)
    assert snapshot() == before and AuditEntry.objects.count() == entries


def test_update_writes_only_changed_rows(cast):
    run(cast.admin_a, xlsx_bytes(officer_rows()), "a.xlsx")
    rows = officer_rows()
    rows[1][5] = "副所长"
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    result = run(cast.admin_a, xlsx_bytes(rows), "a.xlsx")
    assert (result.officers.created, result.officers.updated, result.officers.unchanged) == (0, 1, 2)
    new_entries = AuditEntry.objects.filter(id__gt=last)
    assert [(e.op, e.object_type, e.action) for e in new_entries] == [("update", "org_officer", "roster.import")]


def test_moving_an_officer_moves_their_relatives(cast):
    rows = [["CAGA", "张审判", "男", JUDGE_A, "", "审判员", "政法干警", "中共党员", "在职"]]
    assert run(cast.admin_a, xlsx_bytes(rows), "a.xlsx").ok
    assert Officer.objects.get(pk=cast.officers["judge_a"].pk).unit_id == cast.police_a.id
    assert Relative.objects.get(name="赵配偶").unit_id == cast.police_a.id


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gb18030", False)])
def test_csv_in_utf8_bom_and_gb18030(cast, encoding, bom):
    officers = csv_bytes(OFFICER_HEADERS, officer_rows(), encoding, bom)
    result = run(cast.admin_a, officers, "officers.csv")
    assert result.ok, result.errors
    assert Officer.objects.filter(name="新人乙", position="民警").exists()
    relatives = csv_bytes(RELATIVE_HEADERS, relative_rows(), encoding, bom)
    result = run(cast.admin_a, relatives, "relatives.csv")
    assert result.ok, result.errors
    assert (result.relatives.created, result.relatives.updated) == (2, 1)
    assert Relative.objects.get(name="新配偶").officer.name == "新人甲"
    again = run(cast.admin_a, officers, "officers.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_dates_in_all_accepted_forms(cast):
    rows = [
        ["CAFY", "甲", "", NEW_1, dt.datetime(1990, 1, 1), "", "", "中共党员", ""],
        ["CAGA", "乙", "", NEW_2, "19910202", "", "", "中共党员", ""],
        ["CAFY", "丙", "", NEW_3, "1992-3-3", "", "", "中共党员", ""],
    ]
    result = run(cast.admin_a, xlsx_bytes(rows), "a.xlsx")
    assert result.ok, result.errors
    assert Officer.objects.get(name="乙").birth_date == dt.date(1991, 2, 2)
    assert Officer.objects.get(name="丙").gender == "M"


def test_relative_of_officer_already_in_the_database(cast):
    data = csv_bytes(RELATIVE_HEADERS, [[JUDGE_A, "父母", "张父", "", "", "退休"]])
    assert run(cast.clerk_a, data, "r.csv").ok
    assert Relative.objects.get(name="张父").officer_id == cast.officers["judge_a"].pk
    # The clerk of court A may not add relatives to an officer of county B.
    data = csv_bytes(RELATIVE_HEADERS, [[JUDGE_B, "父母", "王父", "", "", ""]])
    result = run(cast.clerk_a, data, "r.csv")
    assert result.errors[0].column == "干警身份证号" and not Relative.objects.filter(name="王父").exists()


def test_unreadable_files_raise_a_file_error(cast):
    with pytest.raises(RosterFileError):
        run(cast.admin_a, b"not a zip", "a.xlsx")
    with pytest.raises(RosterFileError):
        run(cast.admin_a, b"\xff\xfe\x00garbage", "a.txt")
    with pytest.raises(RosterFileError):
        run(cast.admin_a, csv_bytes(["甲", "乙"], [["1", "2"]]), "a.csv")


# --- export ------------------------------------------------------------------------------------

def export_bytes(user, unit=None) -> bytes:
    out = io.BytesIO()
    roster_export(actor=user, unit=unit, out=out)
    return out.getvalue()


def test_export_then_reimport_changes_nothing(cast):
    assert run(cast.admin_a, xlsx_bytes(officer_rows(), relative_rows()), "a.xlsx").ok
    data = export_bytes(cast.admin_a, cast.county_a)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    officers = list(wb["干警"].iter_rows(values_only=True))
    assert officers[0] == OFFICER_HEADERS and len(officers) == 1 + 4
    assert JUDGE_A in {r[3] for r in officers}  # office admin may unmask
    assert "王法官" not in {r[1] for r in officers}  # county B is not in the export
    assert len(list(wb["亲属"].iter_rows(values_only=True))) == 1 + 3
    entry = AuditEntry.objects.filter(action="roster.export_unmasked").get()
    assert entry.op == "read" and entry.unit_id == cast.county_a.id
    before, entries = snapshot(), AuditEntry.objects.count()
    again = run(cast.admin_a, data, "export.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert snapshot() == before and AuditEntry.objects.count() == entries


def test_masked_export_for_clerk_round_trips_by_masked_number_and_name(cast):
    data = export_bytes(cast.clerk_a)
    rows = list(load_workbook(io.BytesIO(data), read_only=True)["干警"].iter_rows(values_only=True))
    assert rows[1][3] == JUDGE_A[:6] + "********" + JUDGE_A[-4:]
    assert AuditEntry.objects.filter(action="roster.export_relatives").count() == 1
    assert not AuditEntry.objects.filter(action="roster.export_unmasked").exists()
    again = run(cast.clerk_a, data, "export.xlsx")
    assert again.ok and again.unchanged == 2 and not again.saved


def test_export_refused_outside_scope_and_for_other_roles(cast):
    with pytest.raises(PermissionDenied):
        export_bytes(cast.admin_b, cast.county_a)
    with pytest.raises(PermissionDenied):
        export_bytes(cast.officer_a)


# --- pages and API -----------------------------------------------------------------------------

def test_template_downloads_open_with_openpyxl(cast, client_for):
    client = client_for(cast.clerk_a)
    response = client.get(reverse("org:roster_template") + "?format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                  else response.content))
    assert wb.sheetnames == ["干警", "亲属", "填写说明"]
    assert [c.value for c in wb["干警"][1]] == list(OFFICER_HEADERS)
    assert [c.value for c in wb["亲属"][1]] == list(RELATIVE_HEADERS)
    assert wb["干警"].max_row == 2 and wb["亲属"].max_row == 2
    lists = [dv.formula1 for dv in wb["干警"].data_validations.dataValidation]
    assert '"男,女"' in lists and any("中共党员" in f for f in lists)
    for kind, headers in (("officers", OFFICER_HEADERS), ("relatives", RELATIVE_HEADERS)):
        response = client.get(reverse("org:roster_template") + f"?format=csv&kind={kind}")
        assert response.status_code == 200 and response.content.startswith(codecs.BOM_UTF8)
        assert response.content.decode("utf-8-sig").splitlines()[0].split(",") == list(headers)


def test_upload_page_imports_and_shows_counts(cast, client_for):
    client = client_for(cast.admin_a)
    assert client.get(reverse("org:roster_import")).status_code == 200
    upload = io.BytesIO(xlsx_bytes(officer_rows(), relative_rows()))
    upload.name = "roster.xlsx"
    response = client.post(reverse("org:roster_import"), {"file": upload})
    assert response.status_code == 200
    assert "新增" in response.content.decode() and Officer.objects.filter(name="新人甲").exists()


def test_upload_page_dry_run_and_error_table(cast, client_for):
    client = client_for(cast.admin_a)
    rows = officer_rows() + [["CBFY", "越权", "男", make_id("360102", "19940101", 131), "", "", "", "中共党员", ""]]
    upload = io.BytesIO(xlsx_bytes(rows))
    upload.name = "roster.xlsx"
    response = client.post(reverse("org:roster_import"), {"file": upload, "dry_run": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and "单位代码不存在或不在您的管辖范围内" in page
    assert not Officer.objects.filter(name="新人甲").exists()
    token = response.context["report_token"]
    report = client.get(reverse("org:roster_error_report") + f"?token={token}")
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content)), read_only=True).active
    assert list(ws.iter_rows(values_only=True))[1][:3] == ("干警", 5, "单位代码")
    # Another user cannot fetch that report.
    assert client_for(cast.admin_b).get(reverse("org:roster_error_report") + f"?token={token}").status_code == 404


def test_upload_of_wrong_type_or_too_large_is_refused_with_message(cast, client_for):
    client = client_for(cast.admin_a)
    upload = io.BytesIO(b"hello")
    upload.name = "roster.txt"
    response = client.post(reverse("org:roster_import"), {"file": upload})
    assert "只支持 .xlsx 或 .csv" in response.content.decode()
    with override_settings(ROSTER_IMPORT_MAX_BYTES=100):
        upload = io.BytesIO(xlsx_bytes(officer_rows()))
        upload.name = "roster.xlsx"
        response = client.post(reverse("org:roster_import"), {"file": upload})
    assert "文件过大" in response.content.decode()
    assert not Officer.objects.filter(name="新人甲").exists()


def test_pages_refuse_roles_and_hide_other_counties(cast, client_for):
    assert client_for(cast.officer_a).get(reverse("org:roster_import")).status_code == 403
    clerk = client_for(cast.clerk_a)
    assert clerk.get(reverse("org:roster_export") + f"?unit={cast.county_b.id}").status_code == 404
    admin_b = client_for(cast.admin_b)
    assert admin_b.get(reverse("org:roster_export") + f"?unit={cast.county_a.id}").status_code == 404
    response = admin_b.get(reverse("org:roster_export") + f"?unit={cast.county_b.id}")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert [r[1] for r in wb["干警"].iter_rows(min_row=2, values_only=True)] == ["王法官"]


def test_api_import_and_export(cast, client_for):
    client = client_for(cast.admin_a)
    rows = officer_rows() + [["NOPE", "某人", "男", make_id("360101", "19950101", 151), "", "", "", "中共党员", ""]]
    upload = io.BytesIO(xlsx_bytes(rows))
    upload.name = "roster.xlsx"
    response = client.post("/api/roster/import", {"file": upload})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["errors"] == [{"sheet": "干警", "row": 5, "column": "单位代码",
                               "message": "单位代码不存在或不在您的管辖范围内"}]
    upload = io.BytesIO(xlsx_bytes(officer_rows()))
    upload.name = "roster.xlsx"
    response = client.post("/api/roster/import", {"file": upload, "dry_run": "true"})
    assert response.status_code == 200 and response.json()["created"] == 2
    assert not Officer.objects.filter(name="新人甲").exists()
    upload.seek(0)
    response = client.post("/api/roster/import", {"file": upload})
    assert response.json() == {**response.json(), "created": 2, "updated": 1, "unchanged": 0, "errors": []}
    response = client.get(f"/api/roster/export?unit={cast.county_a.id}")
    assert response.status_code == 200
    assert client.get(f"/api/roster/export?unit={cast.county_b.id}").status_code == 404
    assert client_for(cast.officer_a).get("/api/roster/export").status_code == 403


def test_fast_xlsx_reader_agrees_with_lxml_on_unusual_cells(tmp_path):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from zhengdun.org.roster import _open_workbook, _sheet_rows, _sheet_rows_fast

    wb = Workbook()
    ws = wb.active
    ws.append(list(OFFICER_HEADERS))
    ws.append(["CAFY", 'A&B <x> "q"', "男", NEW_1, dt.date(1980, 1, 1), 12.5, True, "=1+2", None])
    ws.append([None, "张三", None, 110101198, dt.datetime(1990, 2, 3, 4, 5),
               CellRichText(["粗", TextBlock(InlineFont(b=True), "体")]), 7, "x", "y"])
    ws["J6"] = "far"
    path = tmp_path / "odd.xlsx"
    wb.save(path)
    results = []
    for reader_fn in (_sheet_rows, _sheet_rows_fast):
        reader, sheets = _open_workbook(path.open("rb"))
        results.append(list(reader_fn(reader, sheets[0][1])))
    assert results[0] == results[1]
    rows = dict(results[0])
    assert rows[2][1] == 'A&B <x> "q"' and rows[2][4] == dt.datetime(1980, 1, 1) and rows[2][6] is True
    assert rows[3][5] == "粗体" and rows[6][9] == "far"


def test_the_system_administrator_imports_and_exports_no_roster(cast, client_for):
    """三员分立: the system administrator keeps accounts and units, not personal data."""
    data = xlsx_bytes(officer_rows())
    result = run(cast.sysadmin, data, "a.xlsx")  # no unit of theirs to write: every row is refused
    assert not result.saved and result.errors and {e.column for e in result.errors} == {"单位代码"}
    assert not Officer.objects.filter(name="新人甲").exists()
    with pytest.raises(PermissionDenied):
        export_bytes(cast.sysadmin)
    client = client_for(cast.sysadmin)
    for url in ("org:roster_import", "org:roster_export", "org:roster_template"):
        assert client.get(reverse(url)).status_code == 403, url
    upload = io.BytesIO(data)
    upload.name = "roster.xlsx"
    assert client.post("/api/roster/import", {"file": upload}).status_code == 403
