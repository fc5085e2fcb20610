"""The audit chain: every write path is caught, and verify-audit finds tampering."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from zhengdun.audit import chain, triggers
from zhengdun.audit.models import AuditEntry, AuditSeal
from zhengdun.org.models import Officer, Unit
from zhengdun.org.services import officer_update


def run_verify():
    return chain.verify(stop_at_first=True)


def tamper(sql: str, params=()):
    """Change audit rows directly, as someone with database access would: bypass the append-only guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            names = [f"zd_immutable_{t}_{op}" for t in triggers.AUDIT_TABLES for op in ("update", "delete")]
            for name in names:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql, params)
            triggers.install()


def test_verify_passes_on_a_fresh_database(db):
    result = run_verify()
    assert result.ok, result.problems


def test_verify_command_passes_after_normal_work(cast):
    call_command("verify_audit")  # raises CommandError (non-zero exit) on failure
    assert AuditSeal.objects.count() == AuditEntry.objects.count() > 0


def test_service_write_records_actor_action_and_before_after(cast):
    officer = cast.officers["judge_a"]
    officer_update(actor=cast.admin_a, officer=officer, position="副庭长")
    entry = AuditEntry.objects.filter(object_type="org_officer", op="update").latest("id")
    assert entry.actor_name == "admin_a" and entry.action == "officer.update"
    assert json.loads(entry.before)["position"] == "审判员"
    assert json.loads(entry.after)["position"] == "副庭长"
    assert entry.unit_id == officer.unit_id


def test_bulk_update_and_raw_sql_are_caught(cast):
    """ORM signals miss these; the database triggers do not."""
    before = AuditEntry.objects.count()
    Officer.objects.filter(unit=cast.court_a).update(position="批量修改")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE org_officer SET position = %s WHERE id = %s", ["原始SQL", cast.officers["judge_b"].id])
        cursor.execute("DELETE FROM org_relative WHERE id = %s", [cast.relatives["child_b"].id])
    new = list(AuditEntry.objects.filter(id__gt=0).order_by("id")[before:])
    raw_update = [e for e in new if e.object_id == str(cast.officers["judge_b"].id) and e.op == "update"]
    assert raw_update and json.loads(raw_update[0].after)["position"] == "原始SQL"
    assert raw_update[0].action == "db.raw" and raw_update[0].actor_id is None
    assert any(e.op == "delete" and e.object_type == "org_relative" for e in new)
    assert any(e.op == "update" and json.loads(e.after)["position"] == "批量修改" for e in new)
    # Written outside a service: sealed into the chain by the next audited write.
    assert run_verify().warnings
    with chain.audited(actor=None, action="test.seal"):
        pass
    result = run_verify()
    assert result.ok and not result.warnings


def test_bulk_create_is_caught(cast):
    before = AuditEntry.objects.filter(object_type="org_unit", op="insert").count()
    Unit.objects.bulk_create([Unit(code="BK1", name="批量", level="unit", kind="other", division_code="3601",
                                   path="/C1/BK1/", depth=1, parent=cast.city)])
    assert AuditEntry.objects.filter(object_type="org_unit", op="insert").count() == before + 1


def test_password_hash_is_not_copied_into_the_audit_log(cast):
    cast.admin_a.set_password("another-long-password")
    with chain.audited(actor=cast.secadmin, action="user.password"):
        cast.admin_a.save()
    entry = AuditEntry.objects.filter(object_type="org_user", op="update").latest("id")
    assert "password" not in json.loads(entry.after)


def test_every_project_table_carries_the_audit_trigger(db):
    expected = {m._meta.db_table for m in triggers.audited_models()}
    assert expected - triggers.installed_trigger_tables() == set()
    assert "org_officer" in expected and "org_relative" in expected and "org_user" in expected


def test_audit_rows_are_append_only(cast):
    entry = AuditEntry.objects.order_by("id").first()
    with pytest.raises(Exception, match="追加|append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="someone else")
    with pytest.raises(Exception, match="追加|append-only"), transaction.atomic():
        AuditSeal.objects.filter(entry_id=entry.pk).delete()


def test_detects_an_edited_entry(cast):
    target = AuditEntry.objects.order_by("id")[3]
    tamper("UPDATE audit_auditentry SET after = %s WHERE id = %s", ['{"position": "forged"}', target.id])
    result = run_verify()
    assert not result.ok and "修改" in result.problems[0] and f"#{target.id}" in result.problems[0]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_detects_a_deleted_entry(cast):
    target = AuditEntry.objects.order_by("id")[5]
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [target.id])
    result = run_verify()
    assert not result.ok and "删除" in result.problems[0] and f"#{target.id}" in result.problems[0]


def test_detects_a_deleted_entry_with_its_seal(cast):
    target = AuditEntry.objects.order_by("id")[5]
    tamper("DELETE FROM audit_auditseal WHERE entry_id = %s", [target.id])
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [target.id])
    result = run_verify()
    assert not result.ok and "删除" in result.problems[0]


def test_detects_swapped_entries(cast):
    a, b = AuditEntry.objects.order_by("id")[2:4]
    tamper("UPDATE audit_auditentry SET after = %s, object_id = %s WHERE id = %s", [b.after, b.object_id, a.id])
    tamper("UPDATE audit_auditentry SET after = %s, object_id = %s WHERE id = %s", [a.after, a.object_id, b.id])
    result = run_verify()
    assert not result.ok and result.first_bad_seq == a.seal.seq


def test_detects_a_forged_entry_slipped_into_the_chain(cast):
    first = AuditEntry.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (id, at, actor_id, actor_name, action, op, object_type, object_id, unit_id,"
            " before, after, source, ip) VALUES (%s, %s, NULL, 'x', 'forged', 'insert', 'org_officer', '1', NULL,"
            " '', '{}', 'app', '')", [first.id + 100000, first.at])
        # Give it a seal that claims a place inside the chain.
        last = AuditSeal.objects.order_by("-seq").first()
        cursor.execute("INSERT INTO audit_auditseal (seq, entry_id, prev_hash, hash) VALUES (%s, %s, %s, %s)",
                       [last.seq + 1, first.id + 100000, last.hash, "f" * 64])
    result = run_verify()
    problems = " ".join(result.problems)
    assert not result.ok and ("伪造" in problems or "修改" in problems)


def test_detects_a_rewritten_tail_against_the_checkpoint(cast, settings):
    """Rewriting the tail and recomputing every hash passes the chain check, but not the checkpoint."""
    chain.write_checkpoint()
    head = AuditSeal.objects.order_by("-seq").first()
    # Rewrite the last entry and recompute its seal as a careful attacker would.
    entry = AuditEntry.objects.get(pk=head.entry_id)
    tamper("UPDATE audit_auditentry SET actor_name = %s WHERE id = %s", ["nobody", entry.id])
    entry.refresh_from_db()
    row = AuditEntry.objects.filter(pk=entry.id).values_list(*chain._FIELDS).get()
    new_hash = chain.entry_hash(head.seq, head.prev_hash, row)
    tamper("UPDATE audit_auditseal SET hash = %s WHERE seq = %s", [new_hash, head.seq])
    result = run_verify()
    assert not result.ok and "检查点" in result.problems[0]


def test_detects_a_truncated_tail_against_the_checkpoint(cast):
    chain.write_checkpoint()
    head = AuditSeal.objects.order_by("-seq").first()
    tamper("DELETE FROM audit_auditseal WHERE seq = %s", [head.seq])
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [head.entry_id])
    result = run_verify()
    assert not result.ok and "截断" in result.problems[0]


def test_detects_a_forged_checkpoint(cast):
    path = chain.write_checkpoint()
    data = json.loads(path.read_text())
    data["hash"] = "0" * 64
    path.write_text(json.dumps(data))
    result = run_verify()
    assert not result.ok and "签名" in result.problems[0]


def test_checkpoints_are_written_at_intervals_on_commit(cast, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY = 1
    with django_capture_on_commit_callbacks(execute=True):
        officer_update(actor=cast.admin_a, officer=cast.officers["judge_a"], position="科员")
    checkpoints = chain.load_checkpoints()
    assert checkpoints and checkpoints[-1]["seq"] == AuditSeal.objects.order_by("-seq").first().seq


def test_failed_write_leaves_no_audit_entry(cast):
    before = AuditEntry.objects.count()
    with pytest.raises(IntegrityError), chain.audited(actor=cast.admin_a, action="unit.create"):
        Unit.objects.create(code="C1", name="重复", level="unit", kind="other", division_code="3601",
                            path="/C1/", depth=0)
    assert AuditEntry.objects.count() == before
