"""The audit log pages: labels beside the stored codes, local time, links that stay in the log,
and the audited .xlsx export of the filtered log (audit administrator only)."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zhengdun.audit import labels
from zhengdun.audit.chain import record
from zhengdun.audit.models import AuditEntry

SRC = Path(__file__).resolve().parents[2] / "src" / "zhengdun"


@pytest.fixture
def login_entry(cast):
    return record(actor=cast.admin_a, action="auth.login", op="login", object_type="org_user",
                  object_id=cast.admin_a.pk, after={"username": "admin_a"}, ip="10.0.0.8")


def test_the_log_shows_labels_and_local_time_not_codes(cast, client_for, login_entry):
    login_entry_at = labels.local_time(login_entry.at)
    page = client_for(cast.auditor).get("/audit/?actor=admin_a").content.decode()
    assert "登录成功" in page and f"账号 #{cast.admin_a.pk} admin_a" in page
    # to the second, in the configured time zone (Asia/Shanghai: UTC+8), never the stored UTC text
    assert login_entry_at.strftime("%Y-%m-%d %H:%M:%S") in page
    assert login_entry.at not in page
    assert re.search(r"\d\d:\d\d:\d\d\.\d{3,6}", page) is None
    assert "Asia/Shanghai" in page


def test_local_time_is_the_configured_zone():
    moment = labels.local_time("2026-12-01T21:18:08.481234Z")
    assert moment.strftime("%Y-%m-%d %H:%M:%S") == "2026-12-02 05:18:08"
    assert labels.local_time("garbage") is None


def test_object_links_stay_in_the_log(cast, client_for, login_entry):
    """The auditor sees audit data only: the object links to its history in the log."""
    client = client_for(cast.auditor)
    page = client.get("/audit/?actor=admin_a").content.decode()
    history = f"?object_type=org_user&amp;object_id={cast.admin_a.pk}"
    assert history in page
    assert "/org/" not in re.sub(r"<form[^>]*set_language.*?</form>", "", page, flags=re.S)
    rows = client.get(f"/audit/?object_type=org_user&object_id={cast.admin_a.pk}").content.decode()
    assert f'href="/audit/{login_entry.id}/"' in rows


def test_the_detail_keeps_the_raw_codes(cast, client_for, login_entry):
    page = client_for(cast.auditor).get(f"/audit/{login_entry.id}/").content.decode()
    for raw in ("auth.login", "org_user", login_entry.at, "login"):
        assert raw in page
    assert "登录成功" in page and "账号" in page


def test_a_row_change_is_shown_field_by_field(cast, client_for):
    from zhengdun.org.services import officer_update

    officer = cast.officers["police_a"]
    officer_update(actor=cast.admin_a, officer=officer, position="副所长")
    entry = AuditEntry.objects.filter(object_type="org_officer", op="update", object_id=str(officer.pk)).last()
    view = labels.EntryView(entry)
    changed = [f for f in view.fields if f["changed"]]
    assert [f["column"] for f in changed] == ["position"]
    assert changed[0]["label"] == "职务" and changed[0]["after"] == "副所长"
    page = client_for(cast.auditor).get(f"/audit/{entry.id}/").content.decode()
    assert "修改干警信息" in page and "table-warning" in page


def test_the_action_filter_takes_a_label_or_a_code(cast, client_for, login_entry):
    client = client_for(cast.auditor)
    by_label = client.get("/audit/?action=登录成功").content.decode()
    by_code = client.get("/audit/?action=auth.login").content.decode()
    assert f'href="/audit/{login_entry.id}/"' in by_label and f'href="/audit/{login_entry.id}/"' in by_code
    other = client.get("/audit/?action=新增干警").content.decode()
    assert f'href="/audit/{login_entry.id}/"' not in other


def test_every_model_table_and_action_code_has_a_chinese_label():
    """A new model or action code shows in Chinese, not as a code: add its label to audit/labels.py."""
    from zhengdun.audit.triggers import audited_models

    han = re.compile(r"[\u4e00-\u9fff]")
    tables = {m._meta.db_table for m in audited_models()}
    unlabeled = sorted(t for t in tables if not han.search(labels.object_type_label(t)))
    assert not unlabeled, f"models without a Chinese verbose_name or override: {unlabeled}"
    codes = set()
    for path in SRC.rglob("*.py"):
        if "engine" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'action=(?:"([a-z_]+\.[a-z_.]+)"|"[^"]*" if [^"]+ else "([a-z_]+\.[a-z_.]+)")', text):
            codes.update(c for c in match.groups() if c)
        for match in re.finditer(r'_log\([^)]*"(auth\.[a-z_]+)"', text):
            codes.add(match.group(1))
        for match in re.finditer(r'"(auth\.[a-z_]+)" if \w+ else "(auth\.[a-z_]+)"', text):
            codes.update(match.groups())
    assert len(codes) > 50
    missing = sorted(c for c in codes if c not in labels.ACTION_LABELS)
    assert not missing, f"action codes without a label in zhengdun/audit/labels.py: {missing}"


def test_unknown_codes_fall_back_to_the_code():
    assert labels.action_label("something.new") == "something.new"
    assert labels.object_type_label("no_such_table") == "no_such_table"
    assert labels.object_type_label("otp_totp_totpdevice") == "动态口令设备"
    assert labels.object_type_label("org_officer") == "干警"


def test_the_export_is_the_filtered_log_and_is_audited(cast, client_for, login_entry):
    record(actor=cast.admin_b, action="auth.login_failed", op="login", object_type="org_user",
           object_id=cast.admin_b.pk, after={"username": "=HYPERLINK(\"x\")"}, ip="10.0.0.9")
    client = client_for(cast.auditor)
    response = client.post("/audit/export/?action=auth.login&actor=admin_a")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("记录编号", "链节序号", "时间")
    ids = [r[0] for r in body]
    assert login_entry.id in ids and all(r[7].startswith("auth.login") for r in body)
    row = body[ids.index(login_entry.id)]
    assert row[6] == "登录成功" and row[10] == "账号" and row[3] == login_entry.at
    assert row[2].strftime("%Y-%m-%d %H:%M:%S") == labels.local_time(login_entry.at).strftime("%Y-%m-%d %H:%M:%S")
    about = dict(r[:2] for r in book.worksheets[1].iter_rows(values_only=True))
    assert about["时区"] == "Asia/Shanghai" and about["记录数"] == len(body)
    logged = AuditEntry.objects.filter(action="audit.export").last()
    assert logged.actor_id == cast.auditor.pk and f'"rows": {len(body)}' in logged.after


def test_exported_text_never_becomes_a_formula(cast, client_for):
    record(actor=None, action="auth.login_failed", op="login", object_type="org_user", object_id="=1+1",
           after={"username": "x"})
    book = load_workbook(io.BytesIO(client_for(cast.auditor).post("/audit/export/?object_id==1%2B1").content))
    cells = [c for row in book.worksheets[0].iter_rows(min_row=2) for c in row if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_an_export_over_the_limit_is_refused_with_a_clear_message(cast, client_for, settings, login_entry):
    settings.AUDIT_EXPORT_MAX_ROWS = 3
    client = client_for(cast.auditor)
    before = AuditEntry.objects.filter(action="audit.export").count()
    response = client.post("/audit/export/?op=insert", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/audit/?op=insert")
    assert "超过单次导出上限 3 条" in page and "缩小日期范围" in page
    assert AuditEntry.objects.filter(action="audit.export").count() == before


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "city_admin", "clue_handler", "officer_a"])
def test_only_the_audit_administrator_exports(cast, client_for, username):
    client = client_for(cast.users[username])
    assert client.post("/audit/export/").status_code == 403
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_the_export_service_checks_the_role(cast):
    from django.core.exceptions import PermissionDenied

    from zhengdun.audit.services import entry_export_xlsx

    with pytest.raises(PermissionDenied):
        entry_export_xlsx(actor=cast.secadmin, filters={})
