"""Database triggers that write an audit entry for every row change of every audited table.

Triggers catch what ORM signals miss: bulk_create, queryset.update(), raw SQL and
changes made with a database client. They also make the audit tables append-only.
Installed (idempotently) after every migrate.
"""

from django.apps import apps
from django.db import connections

EXCLUDED_COLUMNS = {"org_user": ["password"], "otp_totp_totpdevice": ["key"]}
AUDIT_TABLES = ["audit_auditentry", "audit_auditseal"]
_ENTRY_COLUMNS = "at, actor_id, actor_name, action, op, object_type, object_id, unit_id, before, after, source, ip"


def audited_models():
    """Every concrete model of the project's apps (and OTP devices), except the audit app's own."""
    result = []
    for model in apps.get_models():
        label = model._meta.app_label
        module = model.__module__
        if model._meta.proxy or not model._meta.managed or getattr(model, "audit_exempt", False):
            continue  # audit_exempt: derived data rebuilt from audited records (e.g. statistics rollups)
        if (module.startswith("zhengdun.") and label != "audit") or model._meta.db_table == "otp_totp_totpdevice":
            result.append(model)
    return result


def install(using: str = "default") -> None:
    connection = connections[using]
    statements = _postgres_statements() if connection.vendor == "postgresql" else _sqlite_statements()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_after_migrate(sender, using="default", **kwargs):
    if sender.label == "audit" or any(m._meta.app_label == sender.label for m in audited_models()):
        install(using)


def _columns(model) -> list[str]:
    skip = set(EXCLUDED_COLUMNS.get(model._meta.db_table, []))
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _sqlite_statements() -> list[str]:
    statements = []
    for table in AUDIT_TABLES:
        for op in ("UPDATE", "DELETE"):
            name = f"zd_immutable_{table}_{op.lower()}"
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            statements.append(
                f"CREATE TRIGGER {name} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能修改或删除'); END"
            )
    for model in audited_models():
        table = model._meta.db_table
        cols = _columns(model)
        has_unit = any(f.column == "unit_id" for f in model._meta.concrete_fields)
        pk = model._meta.pk.column
        for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            name = f"zd_audit_{table}_{op.lower()}"
            before = _sqlite_json("OLD", cols) if op != "INSERT" else "''"
            after = _sqlite_json("NEW", cols) if op != "DELETE" else "''"
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            # One read of the (single-row) context per audited row, joined rather than four sub-queries.
            statements.append(
                f"CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN "
                f"INSERT INTO audit_auditentry ({_ENTRY_COLUMNS}) SELECT "
                f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ctx.actor_id, COALESCE(ctx.actor_name, ''), "
                f"COALESCE(NULLIF(ctx.action, ''), 'db.raw'), '{op.lower()}', '{table}', "
                f"CAST({row}.\"{pk}\" AS TEXT), {row + '.unit_id' if has_unit else 'NULL'}, "
                f"{before}, {after}, 'db', COALESCE(ctx.ip, '') "
                f"FROM (SELECT 1) LEFT JOIN (SELECT * FROM audit_auditcontext LIMIT 1) AS ctx; END"
            )
    return statements


def _sqlite_json(row: str, cols: list[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.\"{c}\"" for c in cols) + ")"


_PG_CONTEXT = """
    to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    NULLIF(current_setting('zhengdun.actor_id', true), '')::bigint,
    COALESCE(current_setting('zhengdun.actor_name', true), ''),
    COALESCE(NULLIF(current_setting('zhengdun.action', true), ''), 'db.raw')"""

# Statement-level triggers over transition tables: one call per statement, not per row, so bulk
# writes stay fast; still one audit entry per changed row, in id order.
_PG_STATEMENT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zd_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  excluded text[] := COALESCE(TG_ARGV, '{{}}'::text[]);
  ip text := COALESCE(current_setting('zhengdun.ip', true), '');
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_auditentry ({_ENTRY_COLUMNS})
    SELECT {_PG_CONTEXT}, 'insert', TG_TABLE_NAME, n.j->>'id', NULLIF(n.j->>'unit_id', '')::bigint,
           '', n.j::text, 'db', ip
    FROM (SELECT to_jsonb(r) - excluded AS j FROM zd_new r) n ORDER BY (n.j->>'id')::bigint;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO audit_auditentry ({_ENTRY_COLUMNS})
    SELECT {_PG_CONTEXT}, 'update', TG_TABLE_NAME, n.j->>'id', NULLIF(n.j->>'unit_id', '')::bigint,
           o.j::text, n.j::text, 'db', ip
    FROM (SELECT to_jsonb(r) - excluded AS j FROM zd_new r) n
    JOIN (SELECT to_jsonb(r) - excluded AS j FROM zd_old r) o ON o.j->>'id' = n.j->>'id'
    ORDER BY (n.j->>'id')::bigint;
  ELSE
    INSERT INTO audit_auditentry ({_ENTRY_COLUMNS})
    SELECT {_PG_CONTEXT}, 'delete', TG_TABLE_NAME, o.j->>'id', NULLIF(o.j->>'unit_id', '')::bigint,
           o.j::text, '', 'db', ip
    FROM (SELECT to_jsonb(r) - excluded AS j FROM zd_old r) o ORDER BY (o.j->>'id')::bigint;
  END IF;
  RETURN NULL;
END $$;
"""

_PG_IMMUTABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION zd_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '审计记录只能追加，不能修改或删除 (audit rows are append-only)';
END $$;
"""


def _postgres_statements() -> list[str]:
    statements = [_PG_STATEMENT_FUNCTION, _PG_IMMUTABLE_FUNCTION]
    for table in AUDIT_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS zd_immutable ON {table}")
        statements.append(
            f"CREATE TRIGGER zd_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION zd_audit_immutable()"
        )
    for model in audited_models():
        table = model._meta.db_table
        excluded = ", ".join(f"'{c}'" for c in EXCLUDED_COLUMNS.get(table, []))
        statements.append(f"DROP TRIGGER IF EXISTS zd_audit ON {table}")  # the former row-level trigger
        for op, referencing in (("insert", "NEW TABLE AS zd_new"), ("update", "OLD TABLE AS zd_old NEW TABLE AS zd_new"),
                                ("delete", "OLD TABLE AS zd_old")):
            statements.append(f"DROP TRIGGER IF EXISTS zd_audit_{op} ON {table}")
            statements.append(
                f"CREATE TRIGGER zd_audit_{op} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION zd_audit_statement({excluded})"
            )
    return statements


def installed_trigger_tables(using: str = "default") -> set[str]:
    """Tables that carry the audit trigger (for the test that no table escapes it)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT event_object_table FROM information_schema.triggers "
                           "WHERE trigger_name IN ('zd_audit_insert', 'zd_audit_update', 'zd_audit_delete') "
                           "GROUP BY event_object_table HAVING count(DISTINCT trigger_name) = 3")
            return {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'zd_audit_%'")
        return {row[0] for row in cursor.fetchall()}
