"""PostgreSQL privileges: the application's role may append to the audit tables but never change them."""

from django.db import connection

from zhengdun.audit.triggers import AUDIT_TABLES


def grant_app_role(role: str, password: str | None = None, *, create: bool = True) -> list[str]:
    """Create (optionally) and grant the application role; returns the statements run."""
    if connection.vendor != "postgresql":
        raise RuntimeError("只适用于 PostgreSQL")
    quote = connection.ops.quote_name
    name = quote(role)
    database = quote(connection.settings_dict["NAME"])
    statements = []
    if create:
        statements.append(f"CREATE ROLE {name} LOGIN" + (" PASSWORD %s" if password else ""))
    statements += [
        f"GRANT CONNECT ON DATABASE {database} TO {name}",
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {name}",
    ]
    for table in AUDIT_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {name}, PUBLIC")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [password] if "PASSWORD %s" in sql else None)
    return statements
