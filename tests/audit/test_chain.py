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


# --- the newest entries, keyed seals and the signed head ----------------------------------------

def _commit_a_write(cast, capture, position="科员"):
    """A service write whose commit callbacks run (the test transaction itself never commits)."""
    with capture(execute=True):
        officer_update(actor=cast.admin_a, officer=cast.officers["judge_a"], position=position)
    return AuditSeal.objects.order_by("-seq").first()


def test_every_sealing_commit_moves_the_signed_head(cast, django_capture_on_commit_callbacks):
    head = _commit_a_write(cast, django_capture_on_commit_callbacks)
    data = json.loads((chain.checkpoint_dir() / chain.HEAD_FILE).read_text())
    assert data["seq"] == head.seq and data["hash"] == head.hash
    assert run_verify().ok
    # An older head never replaces a newer one (commit callbacks of several processes race).
    chain.write_head(head.seq - 1, "0" * 64)
    assert json.loads((chain.checkpoint_dir() / chain.HEAD_FILE).read_text())["seq"] == head.seq


def test_detects_deleting_the_newest_entry_with_its_seal(cast, django_capture_on_commit_callbacks):
    head = _commit_a_write(cast, django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditseal WHERE seq = %s", [head.seq])
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [head.entry_id])
    result = run_verify()
    assert not result.ok and "截断" in result.problems[0] and chain.HEAD_FILE in result.problems[0]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_detects_deleting_the_newest_entries_of_a_transaction(cast, django_capture_on_commit_callbacks):
    before = AuditSeal.objects.order_by("-seq").first().seq
    _commit_a_write(cast, django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditentry WHERE id IN (SELECT entry_id FROM audit_auditseal WHERE seq > %s)", [before])
    tamper("DELETE FROM audit_auditseal WHERE seq > %s", [before])
    result = run_verify()
    assert not result.ok and "截断" in result.problems[0]


def test_detects_an_edited_newest_entry_whose_seal_was_recomputed_without_the_key(cast):
    """Someone with only database access can recompute a plain hash, not a keyed one."""
    head = AuditSeal.objects.order_by("-seq").first()
    tamper("UPDATE audit_auditentry SET actor_name = %s WHERE id = %s", ["nobody", head.entry_id])
    row = AuditEntry.objects.filter(pk=head.entry_id).values_list(*chain._FIELDS).get()
    forged = chain.legacy_entry_hash(head.seq, head.prev_hash, row)  # SHA-256 as an attacker computes it
    tamper("UPDATE audit_auditseal SET hash = %s WHERE seq = %s", [forged, head.seq])
    result = run_verify()
    assert not result.ok and result.first_bad_seq == head.seq and f"#{head.entry_id}" in result.problems[0]


def test_detects_swapped_newest_entries(cast):
    a, b = AuditEntry.objects.order_by("-id")[:2]
    tamper("UPDATE audit_auditentry SET after = %s, before = %s, object_id = %s WHERE id = %s",
           [b.after, b.before, b.object_id, a.id])
    tamper("UPDATE audit_auditentry SET after = %s, before = %s, object_id = %s WHERE id = %s",
           [a.after, a.before, a.object_id, b.id])
    result = run_verify()
    assert not result.ok and result.first_bad_seq == b.seal.seq


def test_seals_depend_on_the_signing_key(cast, settings):
    head = AuditSeal.objects.order_by("-seq").first()
    row = AuditEntry.objects.filter(pk=head.entry_id).values_list(*chain._FIELDS).get()
    assert chain.entry_hash(head.seq, head.prev_hash, row) == head.hash
    settings.AUDIT_SIGNING_KEY = b"another key, held elsewhere...!"
    assert chain.entry_hash(head.seq, head.prev_hash, row) != head.hash
    assert not run_verify().ok


# --- late commits (PostgreSQL: ids are taken at write time, not commit time) --------------------

def _raw_entry(entry_id: int, action: str = "db.raw") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (id, at, actor_id, actor_name, action, op, object_type, object_id,"
            " unit_id, before, after, source, ip) VALUES (%s, %s, NULL, '', %s, 'update', 'org_apitoken', '1',"
            " NULL, '', '{}', 'db', '')", [entry_id, chain._now(), action])


def test_an_entry_committed_after_higher_ids_were_sealed_is_sealed_not_called_forged(cast):
    """A usage stamp written outside audited() takes id N, a concurrent service write takes N+1,
    seals it and commits first; the stamp commits after. It must be sealed, not reported as forged."""
    top = AuditEntry.objects.order_by("-id").first().id
    _raw_entry(top + 2, "service")  # the concurrent service write's entry, sealed first
    with chain.audited(actor=None, action="test.seal"):
        pass
    assert AuditSeal.objects.filter(entry_id=top + 2).exists()
    _raw_entry(top + 1)  # the stamp, committed late with a lower id
    result = run_verify()
    assert result.ok, result.problems  # pending, not forged
    assert result.warnings
    with chain.audited(actor=None, action="test.seal"):
        pass
    assert AuditSeal.objects.filter(entry_id=top + 1).exists()
    result = run_verify()
    assert result.ok and not result.warnings, (result.problems, result.warnings)


def test_the_checkpoint_command_seals_entries_that_committed_very_late(cast):
    top = AuditEntry.objects.order_by("-id").first().id
    far = top + chain.LATE_WINDOW + 10
    _raw_entry(far)
    with chain.audited(actor=None, action="test.seal"):
        pass
    _raw_entry(top + 1)  # below the window re-checked at every seal
    with chain.audited(actor=None, action="test.seal"):
        pass
    assert not AuditSeal.objects.filter(entry_id=top + 1).exists()
    assert run_verify().ok
    call_command("audit_checkpoint")
    assert AuditSeal.objects.filter(entry_id=top + 1).exists()
    result = run_verify()
    assert result.ok and not result.warnings


def test_incidental_writes_name_their_actor(cast, client):
    """Token use stamps, Django's last_login and the TOTP device's state are written outside the
    services; they are still attributed to the account, not recorded as anonymous db.raw."""
    from tests.conftest import PASSWORD
    from zhengdun.org.api_auth import token_create

    _token, plain = token_create(user=cast.clerk_a, name="script")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    stamp = AuditEntry.objects.filter(object_type="org_apitoken", op="update").latest("id")
    assert stamp.action == "api_token.use" and stamp.actor_id == cast.clerk_a.pk
    response = client.post("/api/auth/login", json.dumps({"username": "admin_a", "password": PASSWORD}),
                           content_type="application/json")
    assert response.status_code == 200
    last_login = AuditEntry.objects.filter(object_type="org_user", op="update",
                                           object_id=str(cast.admin_a.pk)).latest("id")
    assert "last_login" in last_login.after and last_login.actor_id == cast.admin_a.pk
    assert not AuditEntry.objects.filter(action="db.raw").exists()
    assert run_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time anyway")
def test_sign_in_does_not_wait_behind_a_long_audited_write(db):
    """Another connection holds the chain lock (as a long roster import does): a sign-in still
    completes at once, its entries stay pending, and the next audited write seals them.
    (No cast here: an audited write of the test's own transaction would hold the lock itself.)"""
    import psycopg

    from tests.conftest import PASSWORD
    from zhengdun.org import auth_services
    from zhengdun.org.models import User

    User.objects.create_user(username="walker", password=PASSWORD)
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k not in {"cursor_factory", "context"}},
                            autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [chain._LOCK_KEY])
        result = auth_services.sign_in(None, username="walker", password=PASSWORD)
        assert result.user is not None
        entry = AuditEntry.objects.filter(action="auth.login").latest("id")
        assert not AuditSeal.objects.filter(entry_id=entry.id).exists()
    finally:
        other.execute("SELECT pg_advisory_unlock(%s)", [chain._LOCK_KEY])
        other.close()
    with chain.audited(actor=None, action="test.seal"):
        pass
    assert AuditSeal.objects.filter(entry_id=entry.id).exists() and run_verify().ok
