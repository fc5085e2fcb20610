import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from zhengdun.audit.models import AuditEntry
from zhengdun.audit.pg import grant_app_role

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL privileges only")


def test_app_role_can_append_but_not_change_audit_rows(cast):
    role = f"zd_app_test_{connection.settings_dict['NAME'][-12:]}".replace("-", "_").lower()
    grant_app_role(role, create=True)  # rolled back with the test transaction
    entry = AuditEntry.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
        try:
            cursor.execute("SELECT count(*) FROM audit_auditentry")
            assert cursor.fetchone()[0] > 0
            # Ordinary business writes still work (and are audited by the trigger, as an INSERT).
            cursor.execute("UPDATE org_officer SET position = 'x' WHERE id = %s", [cast.officers["judge_a"].id])
            for sql in ("UPDATE audit_auditentry SET actor_name = 'x' WHERE id = %s",
                        "DELETE FROM audit_auditentry WHERE id = %s",
                        "DELETE FROM audit_auditseal WHERE entry_id = %s"):
                with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                    cursor.execute(sql, [entry.id])
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        finally:
            cursor.execute("RESET ROLE")
