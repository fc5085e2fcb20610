"""Recompute every rollup table from the records, set-based (`zhengdun rebuild-rollups`).

Each source is first grouped per unit (one pass over the big table), then expanded to the unit's
ancestors through stats_unitancestor, so the join touches grouped rows, not raw records. Distinct
counts are grouped per officer (stats_officerfirst) and expanded by the officer's current unit. The
triggers are removed during the rebuild and installed again at the end, in one transaction (on
PostgreSQL, writers of the source tables wait for the rebuild to commit).
"""

from __future__ import annotations

import time

from django.db import connections, transaction

from zhengdun.stats import triggers
from zhengdun.stats.triggers import OFFICER_COLUMNS, ROSTER, Dialect, action_rows


def _group(*exprs: str) -> str:
    """GROUP BY list without constants (a bare integer there means a column position)."""
    return ", ".join(e for e in exprs if not (e.isdigit() or e.startswith("'")))


TABLES = ["stats_countdaily", "stats_counttotal", "stats_distinctdaily", "stats_officerfirst", "stats_rostercount",
          "stats_actionroll", "stats_unitancestor"]


def _count(kind: str, source: str, campaign: str, date: str, dim_a: str = "''", dim_b: str = "''",
           total: str = "0") -> str:
    return (
        "INSERT INTO stats_countdaily (unit_id, kind, campaign_id, date, dim_a, dim_b, n, total) "
        f"SELECT c.ancestor_id, '{kind}', x.ck, x.d, x.a, x.b, SUM(x.n), SUM(x.t) FROM ("
        f"SELECT s.unit_id, {campaign} AS ck, {date} AS d, {dim_a} AS a, {dim_b} AS b, COUNT(*) AS n, "
        f"SUM({total}) AS t FROM {source} GROUP BY {_group('s.unit_id', campaign, date, dim_a, dim_b)}) x "
        "JOIN stats_unitancestor c ON c.unit_id = x.unit_id GROUP BY c.ancestor_id, x.ck, x.d, x.a, x.b"
    )


COUNT_TOTAL_FROM_DAILY = (
    "INSERT INTO stats_counttotal (unit_id, kind, campaign_id, dim_a, dim_b, n, total) "
    "SELECT unit_id, kind, campaign_id, dim_a, dim_b, SUM(n), SUM(total) FROM stats_countdaily "
    "GROUP BY unit_id, kind, campaign_id, dim_a, dim_b ORDER BY unit_id")  # a unit's rows on few pages


# PostgreSQL only: covering indexes so the dashboard's reads of a unit and its children are
# index-only scans (the rows of one unit are spread over many heap pages; reading them through the
# heap was most of the query time). The unique keys stay as they are (the triggers upsert on them).
COVERING_INDEXES = [
    "CREATE INDEX IF NOT EXISTS stats_distinctdaily_cover ON stats_distinctdaily "
    "(unit_id, kind, campaign_id, date) INCLUDE (category, n)",
    "CREATE INDEX IF NOT EXISTS stats_counttotal_cover ON stats_counttotal "
    "(unit_id, kind, campaign_id, dim_a, dim_b) INCLUDE (n, total)",
    "CREATE INDEX IF NOT EXISTS stats_actionroll_cover ON stats_actionroll "
    "(unit_id, deadline) INCLUDE (campaign_id, expected, done, returned)",
]


def _first(kind: str, source: str, campaign: str, date: str, where: str = "1=1") -> str:
    """Per officer (wherever the records were filed) the first date and the count, with copies of the
    officer's current unit, category and roster status."""
    return (
        "INSERT INTO stats_officerfirst (officer_id, kind, campaign_id, unit_id, category, roster, first_date, n) "
        f"SELECT o.id, '{kind}', x.ck, {OFFICER_COLUMNS}, x.d, x.n FROM ("
        f"SELECT s.officer_id, {campaign} AS ck, MIN({date}) AS d, COUNT(*) AS n FROM {source} "
        f"WHERE {where} GROUP BY {_group('s.officer_id', campaign)}) x JOIN org_officer o ON o.id = x.officer_id"
    )


DISTINCT_DAILY_FROM_FIRST = (
    "INSERT INTO stats_distinctdaily (unit_id, kind, campaign_id, category, date, n) "
    "SELECT c.ancestor_id, x.kind, x.campaign_id, x.category, x.first_date, SUM(x.n) FROM ("
    "SELECT unit_id, kind, campaign_id, category, first_date, COUNT(*) AS n FROM stats_officerfirst WHERE roster "
    "GROUP BY unit_id, kind, campaign_id, category, first_date) x "
    "JOIN stats_unitancestor c ON c.unit_id = x.unit_id "
    "GROUP BY c.ancestor_id, x.kind, x.campaign_id, x.category, x.first_date")


def statements(d: Dialect) -> list[str]:
    participant = "activities_activityparticipant s JOIN activities_activityrecord sa ON sa.id = s.activity_id"
    return [
        _count("act", "activities_activityrecord s", "s.campaign_id", "s.date", "CAST(s.activity_type_id AS TEXT)",
               "s.education_category", "s.person_times"),
        _count("talk", "activities_talkrecord s", "s.campaign_id", "s.date", "CAST(s.round AS TEXT)", "s.kind"),
        _count("pledge", "activities_pledgeletter s", "s.campaign_id", "s.signed_date"),
        _count("study", "learning_studyrecord s", "0", "s.date", "s.channel", "s.category"),
        _first("part", participant, "sa.campaign_id", "s.date"),
        _first("part", participant, "0", "s.date"),
        _first("pledge", "activities_pledgeletter s", "s.campaign_id", "s.signed_date"),
        _first("pledge", "activities_pledgeletter s", "0", "s.signed_date"),
        _first("study", "learning_studyrecord s", "0", "s.date"),
        _first("exam", "learning_examattempt s", "0", "s.submitted_on", "s.status = 'submitted'"),
        _first("pass", "learning_examattempt s", "0", "s.submitted_on", "s.status = 'submitted' AND s.passed"),
        DISTINCT_DAILY_FROM_FIRST,
        COUNT_TOTAL_FROM_DAILY,
        "INSERT INTO stats_rostercount (unit_id, category, n) SELECT c.ancestor_id, x.category, SUM(x.n) FROM ("
        f"SELECT unit_id, category, COUNT(*) AS n FROM org_officer WHERE status IN {ROSTER} "
        "GROUP BY unit_id, category) x JOIN stats_unitancestor c ON c.unit_id = x.unit_id "
        "GROUP BY c.ancestor_id, x.category",
        # Targets only (active, of the kinds/levels, inside the campaign's roots), with their completions.
        action_rows(d, "1=1"),
    ]


def _closure_rows(cursor) -> list[tuple[int, int]]:
    cursor.execute("SELECT id, path FROM org_unit")
    by_path = {path: uid for uid, path in cursor.fetchall()}
    rows = []
    for path, uid in by_path.items():
        codes = [c for c in path.strip("/").split("/") if c]
        for i in range(len(codes)):
            ancestor = by_path.get("/" + "/".join(codes[: i + 1]) + "/")
            if ancestor is not None:
                rows.append((uid, ancestor))
    return rows


def rebuild(using: str = "default", *, verbose=None) -> dict[str, float]:
    """Recompute all rollups from the records. Returns seconds per step."""
    connection = connections[using]
    d = Dialect(connection.vendor)
    timings = {}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        started = time.monotonic()
        triggers.uninstall(using)
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")
        rows = _closure_rows(cursor)
        for i in range(0, len(rows), 5000):
            chunk = rows[i:i + 5000]
            cursor.execute("INSERT INTO stats_unitancestor (unit_id, ancestor_id) VALUES "
                           + ", ".join(["(%s, %s)"] * len(chunk)), [v for row in chunk for v in row])
        timings["closure"] = time.monotonic() - started
        for number, sql in enumerate(statements(d), 1):
            t0 = time.monotonic()
            cursor.execute(sql)
            timings[f"step{number:02d}"] = time.monotonic() - t0
            if verbose:
                verbose(f"  {number:2d}. {sql[:70]}… {timings[f'step{number:02d}']:.1f}s")
        triggers.install(using)
        if connection.vendor == "postgresql":
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")
    timings["total"] = time.monotonic() - started
    return timings
