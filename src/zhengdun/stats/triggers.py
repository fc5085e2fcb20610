"""Database triggers that keep the rollup tables (stats/models.py) equal to the records, inside the
transaction that writes a record — whatever writes it: a service, a bulk_create, a raw import.

Each source table contributes to rollups through `Contribution`s. An INSERT applies the NEW row with
sign +1, a DELETE applies the OLD row with sign -1, an UPDATE of a counted column does both. Every
contribution is ancestor-expanded through stats_unitancestor, so a row is added to its unit and to
every unit above it. The same SQL is generated for SQLite (three triggers per table) and PostgreSQL
(one plpgsql function per table). Installed (idempotently) after every migrate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections

ROSTER = "('serving', 'seconded')"
DONE = "('declared', 'redeclared', 'accepted')"


@dataclass(frozen=True)
class Dialect:
    name: str
    totals: bool = True  # stats_counttotal exists (it does from migration stats 0002 on)

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.name == "postgresql" else f"MIN({a}, {b})"

    def strpos(self, hay: str, needle: str) -> str:
        return f"strpos({hay}, {needle})" if self.name == "postgresql" else f"instr({hay}, {needle})"


@dataclass(frozen=True)
class Count:
    """+/-1 record (and +/- `total`) in stats_countdaily."""

    kind: str
    campaign: str
    date: str
    dim_a: str = "''"
    dim_b: str = "''"
    total: str = "0"
    cond: str = "1=1"

    def sql(self, r: str, sign: int, d: Dialect) -> list[str]:
        f = lambda e: e.format(R=r)  # noqa: E731
        out = [
            "INSERT INTO stats_countdaily (unit_id, kind, campaign_id, date, dim_a, dim_b, n, total) "
            f"SELECT c.ancestor_id, '{self.kind}', {f(self.campaign)}, {f(self.date)}, {f(self.dim_a)}, "
            f"{f(self.dim_b)}, {sign}, {sign} * ({f(self.total)}) "
            f"FROM stats_unitancestor c WHERE c.unit_id = {r}.unit_id AND {f(self.cond)} "
            "ON CONFLICT (unit_id, kind, campaign_id, date, dim_a, dim_b) DO UPDATE SET "
            "n = stats_countdaily.n + excluded.n, total = stats_countdaily.total + excluded.total"
        ]
        if d.totals:
            out.append(
                "INSERT INTO stats_counttotal (unit_id, kind, campaign_id, dim_a, dim_b, n, total) "
                f"SELECT c.ancestor_id, '{self.kind}', {f(self.campaign)}, {f(self.dim_a)}, "
                f"{f(self.dim_b)}, {sign}, {sign} * ({f(self.total)}) "
                f"FROM stats_unitancestor c WHERE c.unit_id = {r}.unit_id AND {f(self.cond)} "
                "ON CONFLICT (unit_id, kind, campaign_id, dim_a, dim_b) DO UPDATE SET "
                "n = stats_counttotal.n + excluded.n, total = stats_counttotal.total + excluded.total")
        return out


@dataclass(frozen=True)
class First:
    """The officer's first record date per (ancestor, kind, campaign key) in stats_distinctfirst.
    On delete the first date is recomputed from the remaining source rows (`source`, aliased s)."""

    kind: str
    campaign: str  # campaign key of the row: "0" or an expression
    date: str
    source: str  # FROM clause of the source rows, alias s (joined tables allowed)
    source_date: str
    source_cond: str = "1=1"  # which source rows count (in terms of s)
    source_campaign: str = ""  # expression of a source row's campaign (when campaign keys are used)
    cond: str = "1=1"

    def sql(self, r: str, sign: int, d: Dialect) -> list[str]:
        f = lambda e: e.format(R=r)  # noqa: E731
        ancestors = f"(SELECT ancestor_id FROM stats_unitancestor WHERE unit_id = {r}.unit_id)"
        key = (f"kind = '{self.kind}' AND campaign_id = {f(self.campaign)} AND officer_id = {r}.officer_id "
               f"AND unit_id IN {ancestors}")
        if sign > 0:
            return [
                "INSERT INTO stats_distinctfirst (unit_id, kind, campaign_id, officer_id, first_date, n) "
                f"SELECT c.ancestor_id, '{self.kind}', {f(self.campaign)}, {r}.officer_id, {f(self.date)}, 1 "
                f"FROM stats_unitancestor c WHERE c.unit_id = {r}.unit_id AND {f(self.cond)} "
                "ON CONFLICT (unit_id, kind, campaign_id, officer_id) DO UPDATE SET "
                "n = stats_distinctfirst.n + 1, "
                f"first_date = {d.least('stats_distinctfirst.first_date', 'excluded.first_date')}"
            ]
        campaign_match = (f" AND (stats_distinctfirst.campaign_id = 0 OR {self.source_campaign} = "
                          "stats_distinctfirst.campaign_id)") if self.source_campaign else ""
        guard = f"({f(self.cond)}) AND ({f(self.campaign)}) IS NOT NULL"
        return [
            f"UPDATE stats_distinctfirst SET n = n - 1 WHERE {key} AND {guard}",
            f"DELETE FROM stats_distinctfirst WHERE {key} AND n <= 0 AND {guard}",
            f"UPDATE stats_distinctfirst SET first_date = (SELECT MIN({self.source_date}) FROM {self.source} "
            "JOIN stats_unitancestor c2 ON c2.unit_id = s.unit_id "
            "WHERE c2.ancestor_id = stats_distinctfirst.unit_id AND s.officer_id = stats_distinctfirst.officer_id "
            f"AND {self.source_cond}{campaign_match}) "
            f"WHERE {key} AND first_date = {f(self.date)} AND {guard}",
        ]


@dataclass(frozen=True)
class Plain:
    """Literal statements (already in terms of NEW/OLD)."""

    statements: tuple[str, ...]

    def sql(self, r: str, sign: int, d: Dialect) -> list[str]:
        return [s.format(R=r, SIGN=sign) for s in self.statements]


@dataclass(frozen=True)
class Source:
    table: str
    contributions: tuple
    update_columns: tuple[str, ...] = ()  # an UPDATE of these re-applies the row (-OLD, +NEW)
    custom: dict = field(default_factory=dict)  # op -> callable(dialect) -> statements (replaces default)


PARTICIPANT_CAMPAIGN = "(SELECT campaign_id FROM activities_activityrecord WHERE id = {R}.activity_id)"
PARTICIPANT_SOURCE = ("activities_activityparticipant s JOIN activities_activityrecord sa "
                      "ON sa.id = s.activity_id")


def _first_pair(kind: str, campaign: str, **kw) -> tuple[First, First]:
    """Distinct counts per campaign and across campaigns (campaign key 0)."""
    return (First(kind=kind, campaign=campaign, **kw), First(kind=kind, campaign="0", **kw))


def _action_expected(d: Dialect, r: str) -> str:
    def within_csv(column: str, value: str) -> str:
        needle = f"',' || {value} || ','"
        return f"({r}.{column} = '' OR {d.strpos(f'{r}.{column}', needle)} > 0)"

    return (
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        f"SELECT c.ancestor_id, {r}.id, {r}.campaign_id, {r}.deadline, COUNT(*), 0, 0 "
        "FROM org_unit t JOIN stats_unitancestor c ON c.unit_id = t.id "
        f"JOIN org_unit iss ON iss.id = {r}.unit_id "
        f"WHERE {r}.kind = 'required' AND t.path LIKE iss.path || '%' AND t.id <> iss.id AND t.is_active "
        f"AND {within_csv('target_kinds', 't.kind')} AND {within_csv('target_levels', 't.level')} "
        "AND EXISTS (SELECT 1 FROM campaigns_campaignscopeunit cs JOIN org_unit root ON root.id = cs.unit_id "
        f"WHERE cs.campaign_id = {r}.campaign_id AND t.path LIKE root.path || '%') "
        "GROUP BY c.ancestor_id "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET expected = excluded.expected, "
        "campaign_id = excluded.campaign_id, deadline = excluded.deadline"
    )


def _unit_joins_actions(d: Dialect) -> str:
    """A new unit is a new target of the required actions issued above it."""
    kinds = d.strpos("a.target_kinds", "',' || NEW.kind || ','")
    levels = d.strpos("a.target_levels", "',' || NEW.level || ','")
    return (
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        "SELECT c.ancestor_id, a.id, a.campaign_id, a.deadline, 1, 0, 0 "
        "FROM campaigns_action a JOIN org_unit iss ON iss.id = a.unit_id "
        "JOIN stats_unitancestor c ON c.unit_id = NEW.id "
        "WHERE a.kind = 'required' AND NEW.path LIKE iss.path || '%' AND iss.id <> NEW.id AND NEW.is_active "
        f"AND (a.target_kinds = '' OR {kinds} > 0) AND (a.target_levels = '' OR {levels} > 0) "
        "AND EXISTS (SELECT 1 FROM campaigns_campaignscopeunit cs JOIN org_unit root ON root.id = cs.unit_id "
        "WHERE cs.campaign_id = a.campaign_id AND NEW.path LIKE root.path || '%') "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET expected = stats_actionroll.expected + excluded.expected"
    )


def _action_recount_done(r: str) -> str:
    return (
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        f"SELECT c.ancestor_id, {r}.id, {r}.campaign_id, {r}.deadline, 0, "
        f"SUM(CASE WHEN ac.status IN {DONE} THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN ac.status = 'returned' THEN 1 ELSE 0 END) "
        "FROM campaigns_actioncompletion ac JOIN stats_unitancestor c ON c.unit_id = ac.unit_id "
        f"WHERE ac.action_id = {r}.id AND {r}.kind = 'required' GROUP BY c.ancestor_id "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET done = excluded.done, returned = excluded.returned"
    )


SOURCES = [
    Source("org_unit", (), custom={
        "INSERT": lambda d: [
            "INSERT INTO stats_unitancestor (unit_id, ancestor_id) "
            "SELECT NEW.id, ancestor_id FROM stats_unitancestor WHERE unit_id = NEW.parent_id "
            "UNION ALL SELECT NEW.id, NEW.id",
            _unit_joins_actions(d),
        ],
    }),
    Source("org_officer", (Plain((
        "INSERT INTO stats_rostercount (unit_id, category, n) SELECT c.ancestor_id, {R}.category, {SIGN} "
        "FROM stats_unitancestor c WHERE c.unit_id = {R}.unit_id AND {R}.status IN " + ROSTER + " "
        "ON CONFLICT (unit_id, category) DO UPDATE SET n = stats_rostercount.n + excluded.n",
    )),), update_columns=("unit_id", "status", "category")),
    Source("activities_activityrecord", (
        Count(kind="act", campaign="{R}.campaign_id", date="{R}.date", dim_a="CAST({R}.activity_type_id AS TEXT)",
              dim_b="{R}.education_category", total="{R}.person_times"),
    ), update_columns=("unit_id", "campaign_id", "date", "activity_type_id", "education_category", "person_times")),
    Source("activities_activityparticipant", _first_pair(
        "part", PARTICIPANT_CAMPAIGN, date="{R}.date", source=PARTICIPANT_SOURCE, source_date="s.date",
        source_campaign="sa.campaign_id"), update_columns=("unit_id", "officer_id", "date", "activity_id")),
    Source("activities_talkrecord", (
        Count(kind="talk", campaign="{R}.campaign_id", date="{R}.date", dim_a="CAST({R}.round AS TEXT)",
              dim_b="{R}.kind"),
    ), update_columns=("unit_id", "campaign_id", "date", "round", "kind")),
    Source("activities_pledgeletter", (
        Count(kind="pledge", campaign="{R}.campaign_id", date="{R}.signed_date"),
        *_first_pair("pledge", "{R}.campaign_id", date="{R}.signed_date", source="activities_pledgeletter s",
                     source_date="s.signed_date", source_campaign="s.campaign_id"),
    ), update_columns=("unit_id", "campaign_id", "signed_date", "officer_id")),
    Source("learning_studyrecord", (
        Count(kind="study", campaign="0", date="{R}.date", dim_a="{R}.channel", dim_b="{R}.category"),
        First(kind="study", campaign="0", date="{R}.date", source="learning_studyrecord s", source_date="s.date"),
    ), update_columns=("unit_id", "officer_id", "date", "channel", "category")),
    Source("learning_examattempt", (
        First(kind="exam", campaign="0", date="{R}.submitted_on", source="learning_examattempt s",
              source_date="s.submitted_on", source_cond="s.status = 'submitted'", cond="{R}.status = 'submitted'"),
        First(kind="pass", campaign="0", date="{R}.submitted_on", source="learning_examattempt s",
              source_date="s.submitted_on", source_cond="s.status = 'submitted' AND s.passed",
              cond="{R}.status = 'submitted' AND {R}.passed"),
    ), update_columns=("unit_id", "officer_id", "status", "passed", "submitted_on")),
    Source("campaigns_actioncompletion", (Plain((
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        "SELECT c.ancestor_id, a.id, a.campaign_id, a.deadline, 0, "
        "{SIGN} * (CASE WHEN {R}.status IN " + DONE + " THEN 1 ELSE 0 END), "
        "{SIGN} * (CASE WHEN {R}.status = 'returned' THEN 1 ELSE 0 END) "
        "FROM stats_unitancestor c JOIN campaigns_action a ON a.id = {R}.action_id "
        "WHERE c.unit_id = {R}.unit_id AND a.kind = 'required' "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET done = stats_actionroll.done + excluded.done, "
        "returned = stats_actionroll.returned + excluded.returned",
    )),), update_columns=("unit_id", "action_id", "status")),
    Source("campaigns_action", (), update_columns=(
        "unit_id", "campaign_id", "kind", "deadline", "target_kinds", "target_levels"), custom={
        "INSERT": lambda d: [_action_expected(d, "NEW")],
        "DELETE": lambda d: ["DELETE FROM stats_actionroll WHERE action_id = OLD.id"],
        "UPDATE": lambda d: ["DELETE FROM stats_actionroll WHERE action_id = OLD.id", _action_expected(d, "NEW"),
                             _action_recount_done("NEW")],
    }),
    # Distinct counts by day follow the first dates.
    Source("stats_distinctfirst", (Plain((
        "INSERT INTO stats_distinctdaily (unit_id, kind, campaign_id, date, n) "
        "SELECT {R}.unit_id, {R}.kind, {R}.campaign_id, {R}.first_date, {SIGN} WHERE 1=1 "
        "ON CONFLICT (unit_id, kind, campaign_id, date) DO UPDATE SET n = stats_distinctdaily.n + excluded.n",
    )),), update_columns=("first_date",)),
]


def _statements(source: Source, op: str, d: Dialect) -> list[str]:
    if op in source.custom:
        return source.custom[op](d)
    if op == "UPDATE" and not source.update_columns:
        return []
    out = []
    if op in ("DELETE", "UPDATE"):
        for c in source.contributions:
            out += c.sql("OLD", -1, d)
    if op in ("INSERT", "UPDATE"):
        for c in source.contributions:
            out += c.sql("NEW", 1, d)
    return out


def sqlite_statements(totals: bool = True) -> list[str]:
    d = Dialect("sqlite", totals)
    result = []
    for source in SOURCES:
        for op in ("INSERT", "UPDATE", "DELETE"):
            name = f"zd_stats_{source.table}_{op.lower()}"
            result.append(f"DROP TRIGGER IF EXISTS {name}")
            body = _statements(source, op, d)
            if not body:
                continue
            event = op
            when = ""
            if op == "UPDATE":
                event = f"UPDATE OF {', '.join(source.update_columns)}"
                if source.table == "stats_distinctfirst":
                    when = " WHEN OLD.first_date <> NEW.first_date"
            result.append(f"CREATE TRIGGER {name} AFTER {event} ON {source.table}{when} BEGIN "
                          + "; ".join(body) + "; END")
    return result


def postgres_statements(totals: bool = True) -> list[str]:
    d = Dialect("postgresql", totals)
    result = []
    for source in SOURCES:
        fn = f"zd_stats_{source.table}"
        parts = []
        for op in ("INSERT", "UPDATE", "DELETE"):
            body = _statements(source, op, d)
            if body:
                parts.append(f"IF TG_OP = '{op}' THEN\n    " + ";\n    ".join(body) + ";\n  END IF;")
        result.append(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  "
                      + "\n  ".join(parts) + "\n  RETURN NULL;\nEND $$")
        events = [op for op in ("INSERT", "DELETE") if _statements(source, op, d)]
        if _statements(source, "UPDATE", d):
            events.append(f"UPDATE OF {', '.join(source.update_columns)}")
        when = ""
        if source.table == "stats_distinctfirst":
            when = " WHEN (OLD.first_date IS DISTINCT FROM NEW.first_date)"
            result.append(f"DROP TRIGGER IF EXISTS zd_stats_ins ON {source.table}")
            result.append(f"DROP TRIGGER IF EXISTS zd_stats_upd ON {source.table}")
            result.append(f"CREATE TRIGGER zd_stats_ins AFTER INSERT OR DELETE ON {source.table} "
                          f"FOR EACH ROW EXECUTE FUNCTION {fn}()")
            result.append(f"CREATE TRIGGER zd_stats_upd AFTER UPDATE OF first_date ON {source.table} "
                          f"FOR EACH ROW{when} EXECUTE FUNCTION {fn}()")
            continue
        result.append(f"DROP TRIGGER IF EXISTS zd_stats ON {source.table}")
        result.append(f"CREATE TRIGGER zd_stats AFTER {' OR '.join(events)} ON {source.table} "
                      f"FOR EACH ROW EXECUTE FUNCTION {fn}()")
    return result


def drop_statements(vendor: str) -> list[str]:
    """Remove the triggers (bulk loads: load, then `rebuild-rollups`, then install again)."""
    if vendor == "postgresql":
        out = []
        for s in SOURCES:
            names = ["zd_stats_ins", "zd_stats_upd"] if s.table == "stats_distinctfirst" else ["zd_stats"]
            out += [f"DROP TRIGGER IF EXISTS {n} ON {s.table}" for n in names]
        return out
    return [f"DROP TRIGGER IF EXISTS zd_stats_{s.table}_{op}" for s in SOURCES for op in ("insert", "update", "delete")]


def install(using: str = "default") -> None:
    connection = connections[using]
    # Migration stats 0001 installs the triggers before 0002 has created stats_counttotal.
    totals = "stats_counttotal" in connection.introspection.table_names()
    statements = postgres_statements(totals) if connection.vendor == "postgresql" else sqlite_statements(totals)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)


def install_after_migrate(sender, using="default", **kwargs):
    if sender.label in ("stats", "org", "activities", "learning", "campaigns"):
        from django.db import connection as default_connection

        tables = set(connections[using].introspection.table_names()) if using else set(
            default_connection.introspection.table_names())
        needed = {s.table for s in SOURCES} | {"stats_countdaily", "stats_unitancestor"}
        if needed <= tables:
            install(using)
