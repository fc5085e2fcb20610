"""Database triggers that keep the rollup tables (stats/models.py) equal to the records, inside the
transaction that writes a record — whatever writes it: a service, a bulk_create, a raw import.

Each source table contributes to rollups through `Contribution`s. An INSERT applies the NEW row with
sign +1, a DELETE applies the OLD row with sign -1, an UPDATE of a counted column does both. Count
contributions are ancestor-expanded through stats_unitancestor, so a row is added to its unit and to
every unit above it. Distinct-officer contributions go to stats_officerfirst (one row per officer,
kind and campaign key, wherever the records were filed); its own trigger expands them to the
ancestors of the officer's *current* unit in stats_distinctdaily.

The tree and the roster change under the rollups too, and the triggers follow:
- org_unit: a new unit joins the closure and becomes a target of the actions issued above it; a
  change of parent (unit_move) moves the subtree's closure rows and moves the subtree's count rows
  (read at the moved unit itself: its rows are exactly the subtree's contribution) from the old
  ancestors to the new ones; a change of parent, kind, level or is_active takes the affected target
  units' contribution to the required actions out under the old state and puts it back under the
  new one (exact deltas, no full recompute).
- org_officer: a transfer, a change of status or of category updates the officer's rows in
  stats_officerfirst, whose trigger moves them in stats_distinctdaily (and stats_rostercount).
- campaigns_campaignscopeunit: a change of a campaign's participating units recomputes the rows of
  that campaign's actions.

The same SQL is generated for SQLite (three triggers per table) and PostgreSQL (one plpgsql function
per table). Installed (idempotently) after every migrate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections

ROSTER = "('serving', 'seconded')"
DONE = "('declared', 'redeclared', 'accepted')"


@dataclass(frozen=True)
class Dialect:
    name: str

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.name == "postgresql" else f"MIN({a}, {b})"

    def strpos(self, hay: str, needle: str) -> str:
        return f"strpos({hay}, {needle})" if self.name == "postgresql" else f"instr({hay}, {needle})"

    def differs(self, a: str, b: str) -> str:
        """NULL-safe 'a is not b'."""
        return f"({a} IS DISTINCT FROM {b})" if self.name == "postgresql" else f"({a} IS NOT {b})"


@dataclass(frozen=True)
class Count:
    """+/-1 record (and +/- `total`) in stats_countdaily and stats_counttotal, at the record's unit
    and every unit above it."""

    kind: str
    campaign: str
    date: str
    dim_a: str = "''"
    dim_b: str = "''"
    total: str = "0"
    cond: str = "1=1"

    def sql(self, r: str, sign: int, d: Dialect) -> list[str]:
        f = lambda e: e.format(R=r)  # noqa: E731
        return [
            "INSERT INTO stats_countdaily (unit_id, kind, campaign_id, date, dim_a, dim_b, n, total) "
            f"SELECT c.ancestor_id, '{self.kind}', {f(self.campaign)}, {f(self.date)}, {f(self.dim_a)}, "
            f"{f(self.dim_b)}, {sign}, {sign} * ({f(self.total)}) "
            f"FROM stats_unitancestor c WHERE c.unit_id = {r}.unit_id AND {f(self.cond)} "
            "ON CONFLICT (unit_id, kind, campaign_id, date, dim_a, dim_b) DO UPDATE SET "
            "n = stats_countdaily.n + excluded.n, total = stats_countdaily.total + excluded.total",
            "INSERT INTO stats_counttotal (unit_id, kind, campaign_id, dim_a, dim_b, n, total) "
            f"SELECT c.ancestor_id, '{self.kind}', {f(self.campaign)}, {f(self.dim_a)}, "
            f"{f(self.dim_b)}, {sign}, {sign} * ({f(self.total)}) "
            f"FROM stats_unitancestor c WHERE c.unit_id = {r}.unit_id AND {f(self.cond)} "
            "ON CONFLICT (unit_id, kind, campaign_id, dim_a, dim_b) DO UPDATE SET "
            "n = stats_counttotal.n + excluded.n, total = stats_counttotal.total + excluded.total",
        ]


OFFICER_COLUMNS = f"o.unit_id, o.category, o.status IN {ROSTER}"  # OfficerFirst's copies of the officer


@dataclass(frozen=True)
class First:
    """The officer's first record date per (officer, kind, campaign key) in stats_officerfirst,
    wherever the record was filed. On delete the first date is recomputed from the officer's
    remaining source rows (`source`, aliased s; indexed by officer)."""

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
        key = f"kind = '{self.kind}' AND campaign_id = {f(self.campaign)} AND officer_id = {r}.officer_id"
        if sign > 0:
            return [
                "INSERT INTO stats_officerfirst (officer_id, kind, campaign_id, unit_id, category, roster, "
                f"first_date, n) SELECT o.id, '{self.kind}', {f(self.campaign)}, {OFFICER_COLUMNS}, "
                f"{f(self.date)}, 1 FROM org_officer o WHERE o.id = {r}.officer_id AND {f(self.cond)} "
                "ON CONFLICT (officer_id, kind, campaign_id) DO UPDATE SET n = stats_officerfirst.n + 1, "
                f"first_date = {d.least('stats_officerfirst.first_date', 'excluded.first_date')}"
            ]
        campaign_match = (f" AND (stats_officerfirst.campaign_id = 0 OR {self.source_campaign} = "
                          "stats_officerfirst.campaign_id)") if self.source_campaign else ""
        guard = f"({f(self.cond)}) AND ({f(self.campaign)}) IS NOT NULL"
        return [
            f"UPDATE stats_officerfirst SET n = n - 1 WHERE {key} AND {guard}",
            f"DELETE FROM stats_officerfirst WHERE {key} AND n <= 0 AND {guard}",
            f"UPDATE stats_officerfirst SET first_date = (SELECT MIN({self.source_date}) FROM {self.source} "
            f"WHERE s.officer_id = stats_officerfirst.officer_id AND {self.source_cond}{campaign_match}) "
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
    extra: dict = field(default_factory=dict)  # op -> callable(dialect) -> statements (after the default)
    update_when: object = None  # callable(dialect) -> condition on OLD/NEW for the UPDATE trigger


PARTICIPANT_CAMPAIGN = "(SELECT campaign_id FROM activities_activityrecord WHERE id = {R}.activity_id)"
PARTICIPANT_SOURCE = ("activities_activityparticipant s JOIN activities_activityrecord sa "
                      "ON sa.id = s.activity_id")


def _first_pair(kind: str, campaign: str, **kw) -> tuple[First, First]:
    """Distinct counts per campaign and across campaigns (campaign key 0)."""
    return (First(kind=kind, campaign=campaign, **kw), First(kind=kind, campaign="0", **kw))


# --- required actions: who is a target, and the rows of stats_actionroll ---------------------------

def target_condition(d: Dialect, a: str = "a", t: str = "t") -> str:
    """Unit `t` (columns id, kind, level, is_active) is a target of required action `a`, given that the
    issuer is above it: active, not the issuer, of the action's kinds and levels, and inside one of
    the campaign's participating roots (through the closure: exact, no LIKE on paths). The Python
    mirrors are Action.targets and campaigns.services.target_units_q."""
    kinds = d.strpos(f"{a}.target_kinds", f"',' || {t}.kind || ','")
    levels = d.strpos(f"{a}.target_levels", f"',' || {t}.level || ','")
    return (
        f"{a}.kind = 'required' AND {t}.is_active AND {t}.id <> {a}.unit_id "
        f"AND ({a}.target_kinds = '' OR {kinds} > 0) AND ({a}.target_levels = '' OR {levels} > 0) "
        "AND EXISTS (SELECT 1 FROM campaigns_campaignscopeunit cs JOIN stats_unitancestor ca "
        f"ON ca.ancestor_id = cs.unit_id WHERE cs.campaign_id = {a}.campaign_id AND ca.unit_id = {t}.id)"
    )


def _roll(d: Dialect, sign: int, source: str) -> str:
    """Add `sign` × (targets, done, returned) per (ancestor, action) for the (action a, target t)
    pairs of `source` (a FROM … WHERE … over a, t, their completion ac and t's ancestors c)."""
    return (
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        f"SELECT c.ancestor_id, a.id, a.campaign_id, a.deadline, {sign} * COUNT(*), "
        f"{sign} * SUM(CASE WHEN ac.status IN {DONE} THEN 1 ELSE 0 END), "
        f"{sign} * SUM(CASE WHEN ac.status = 'returned' THEN 1 ELSE 0 END) "
        f"{source} AND {target_condition(d)} "
        "GROUP BY c.ancestor_id, a.id, a.campaign_id, a.deadline "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET expected = stats_actionroll.expected + excluded.expected, "
        "done = stats_actionroll.done + excluded.done, returned = stats_actionroll.returned + excluded.returned"
    )


def action_rows(d: Dialect, action_cond: str) -> str:
    """Rows of the actions matching `action_cond` (in terms of a): every unit below the issuer that is
    a target. Used when an action is issued or changed, when a campaign's scope changes, and by the
    rebuild (action_cond '1=1')."""
    return _roll(d, 1, "FROM campaigns_action a JOIN stats_unitancestor dsc ON dsc.ancestor_id = a.unit_id "
                       "JOIN org_unit t ON t.id = dsc.unit_id "
                       "LEFT JOIN campaigns_actioncompletion ac ON ac.action_id = a.id AND ac.unit_id = t.id "
                       f"JOIN stats_unitancestor c ON c.unit_id = t.id WHERE {action_cond}")


def target_rows(d: Dialect, sign: int, targets: str) -> str:
    """+/- the contribution of the units of `targets` (a derived table with id, kind, level,
    is_active) to every action issued above them (found through their closure rows)."""
    return _roll(d, sign, f"FROM {targets} t JOIN stats_unitancestor ia ON ia.unit_id = t.id "
                          "JOIN campaigns_action a ON a.unit_id = ia.ancestor_id "
                          "LEFT JOIN campaigns_actioncompletion ac ON ac.action_id = a.id AND ac.unit_id = t.id "
                          "JOIN stats_unitancestor c ON c.unit_id = t.id WHERE 1=1")


def _completion(d: Dialect) -> str:
    """A completion counts (done / returned) only when its unit is a target of its action."""
    return (
        "INSERT INTO stats_actionroll (unit_id, action_id, campaign_id, deadline, expected, done, returned) "
        "SELECT c.ancestor_id, a.id, a.campaign_id, a.deadline, 0, "
        "{SIGN} * (CASE WHEN {R}.status IN " + DONE + " THEN 1 ELSE 0 END), "
        "{SIGN} * (CASE WHEN {R}.status = 'returned' THEN 1 ELSE 0 END) "
        "FROM org_unit t JOIN campaigns_action a ON a.id = {R}.action_id "
        "JOIN stats_unitancestor c ON c.unit_id = t.id "
        "WHERE t.id = {R}.unit_id AND EXISTS (SELECT 1 FROM stats_unitancestor ia "
        "WHERE ia.unit_id = t.id AND ia.ancestor_id = a.unit_id) AND " + target_condition(d) + " "
        "ON CONFLICT (unit_id, action_id) DO UPDATE SET done = stats_actionroll.done + excluded.done, "
        "returned = stats_actionroll.returned + excluded.returned"
    )


def _campaign_actions(d: Dialect, campaign: str) -> list[str]:
    return [f"DELETE FROM stats_actionroll WHERE action_id IN (SELECT id FROM campaigns_action "
            f"WHERE campaign_id = {campaign})", action_rows(d, f"a.campaign_id = {campaign}")]


# --- the unit tree -----------------------------------------------------------------------------

# Tables whose rows at a unit are exactly its subtree's contribution: (table, key columns, values).
SUBTREE_ROWS = [
    ("stats_countdaily", ("kind", "campaign_id", "date", "dim_a", "dim_b"), ("n", "total")),
    ("stats_counttotal", ("kind", "campaign_id", "dim_a", "dim_b"), ("n", "total")),
    ("stats_distinctdaily", ("kind", "campaign_id", "category", "date"), ("n",)),
    ("stats_rostercount", ("category",), ("n",)),
]


def _moved(d: Dialect) -> str:
    return d.differs("OLD.parent_id", "NEW.parent_id")


def _subtree_targets(d: Dialect, *, old: bool) -> str:
    """The units whose target status may change: the unit, and on a move its whole subtree; with
    the unit's attributes before (old) or after the update."""
    def col(name):
        return f"CASE WHEN x.id = OLD.id THEN OLD.{name} ELSE x.{name} END" if old else f"x.{name}"

    return (f"(SELECT x.id AS id, {col('kind')} AS kind, {col('level')} AS level, "
            f"{col('is_active')} AS is_active FROM org_unit x WHERE x.id = NEW.id OR ({_moved(d)} AND x.id IN "
            "(SELECT unit_id FROM stats_unitancestor WHERE ancestor_id = NEW.id)))")


def _shift_subtree_rows(d: Dialect, sign: int, here: str, there: str) -> list[str]:
    """Add sign × (the moved unit's rows) to the ancestors of `here` that are not ancestors of
    `there` (ancestors both share keep their numbers)."""
    out = []
    for table, keys, values in SUBTREE_ROWS:
        cols = ", ".join(keys)
        out.append(
            f"INSERT INTO {table} (unit_id, {cols}, {', '.join(values)}) "
            f"SELECT p.ancestor_id, {', '.join('r.' + k for k in keys)}, "
            f"{', '.join(f'{sign} * r.{v}' for v in values)} "
            f"FROM {table} r JOIN stats_unitancestor p ON p.unit_id = {here} "
            f"WHERE r.unit_id = NEW.id AND {_moved(d)} AND p.ancestor_id NOT IN "
            f"(SELECT ancestor_id FROM stats_unitancestor WHERE unit_id = {there}) "
            f"ON CONFLICT (unit_id, {cols}) DO UPDATE SET "
            + ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values))
    return out


def _unit_update(d: Dialect) -> list[str]:
    moved = _moved(d)
    return [
        target_rows(d, -1, _subtree_targets(d, old=True)),  # under the old closure and attributes
        *_shift_subtree_rows(d, -1, "OLD.parent_id", "NEW.parent_id"),
        *_shift_subtree_rows(d, 1, "NEW.parent_id", "OLD.parent_id"),
        f"DELETE FROM stats_unitancestor WHERE {moved} "
        "AND unit_id IN (SELECT unit_id FROM stats_unitancestor WHERE ancestor_id = NEW.id) "
        "AND ancestor_id IN (SELECT ancestor_id FROM stats_unitancestor WHERE unit_id = OLD.parent_id)",
        "INSERT INTO stats_unitancestor (unit_id, ancestor_id) SELECT s.unit_id, p.ancestor_id "
        "FROM stats_unitancestor s JOIN stats_unitancestor p ON p.unit_id = NEW.parent_id "
        f"WHERE s.ancestor_id = NEW.id AND {moved}",
        target_rows(d, 1, _subtree_targets(d, old=False)),  # under the new closure and attributes
    ]


def _unit_changed(d: Dialect) -> str:
    return " OR ".join([_moved(d)] + [d.differs(f"OLD.{c}", f"NEW.{c}") for c in ("kind", "level", "is_active")])


def _one_unit(r: str) -> str:
    return f"(SELECT {r}.id AS id, {r}.kind AS kind, {r}.level AS level, {r}.is_active AS is_active)"


SOURCES = [
    Source("org_unit", (), update_columns=("parent_id", "kind", "level", "is_active"), custom={
        "INSERT": lambda d: [
            "INSERT INTO stats_unitancestor (unit_id, ancestor_id) "
            "SELECT NEW.id, ancestor_id FROM stats_unitancestor WHERE unit_id = NEW.parent_id "
            "UNION ALL SELECT NEW.id, NEW.id",
            target_rows(d, 1, _one_unit("NEW")),  # a new target of the actions issued above it
        ],
        "UPDATE": _unit_update,
        "DELETE": lambda d: [  # (a unit with records cannot be deleted: they protect it)
            target_rows(d, -1, _one_unit("OLD")),
            *[f"DELETE FROM {table} WHERE unit_id = OLD.id" for table, _k, _v in SUBTREE_ROWS],
            "DELETE FROM stats_actionroll WHERE unit_id = OLD.id",
            "DELETE FROM stats_unitancestor WHERE unit_id = OLD.id OR ancestor_id = OLD.id",
        ],
    }, update_when=_unit_changed),
    Source("org_officer", (Plain((
        "INSERT INTO stats_rostercount (unit_id, category, n) SELECT c.ancestor_id, {R}.category, {SIGN} "
        "FROM stats_unitancestor c WHERE c.unit_id = {R}.unit_id AND {R}.status IN " + ROSTER + " "
        "ON CONFLICT (unit_id, category) DO UPDATE SET n = stats_rostercount.n + excluded.n",
    )),), update_columns=("unit_id", "status", "category"), extra={
        # The officer's distinct rows follow them (their trigger moves stats_distinctdaily).
        "UPDATE": lambda d: [f"UPDATE stats_officerfirst SET unit_id = NEW.unit_id, category = NEW.category, "
                             f"roster = (NEW.status IN {ROSTER}) WHERE officer_id = NEW.id"],
        "DELETE": lambda d: ["DELETE FROM stats_officerfirst WHERE officer_id = OLD.id"],
    }, update_when=lambda d: " OR ".join(d.differs(f"OLD.{c}", f"NEW.{c}")
                                         for c in ("unit_id", "status", "category"))),  # imports rewrite rows
    Source("activities_activityrecord", (
        Count(kind="act", campaign="{R}.campaign_id", date="{R}.date", dim_a="CAST({R}.activity_type_id AS TEXT)",
              dim_b="{R}.education_category", total="{R}.person_times"),
    ), update_columns=("unit_id", "campaign_id", "date", "activity_type_id", "education_category", "person_times"),
        extra={"UPDATE": lambda d: _activity_campaign_changed(d)}),
    Source("activities_activityparticipant", _first_pair(
        "part", PARTICIPANT_CAMPAIGN, date="{R}.date", source=PARTICIPANT_SOURCE, source_date="s.date",
        source_campaign="sa.campaign_id"), update_columns=("officer_id", "date", "activity_id")),
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
    ), update_columns=("officer_id", "status", "passed", "submitted_on")),
    Source("campaigns_actioncompletion", (), update_columns=("unit_id", "action_id", "status"), custom={
        "INSERT": lambda d: [_completion(d).format(R="NEW", SIGN=1)],
        "DELETE": lambda d: [_completion(d).format(R="OLD", SIGN=-1)],
        "UPDATE": lambda d: [_completion(d).format(R="OLD", SIGN=-1), _completion(d).format(R="NEW", SIGN=1)],
    }),
    Source("campaigns_action", (), update_columns=(
        "unit_id", "campaign_id", "kind", "deadline", "target_kinds", "target_levels"), custom={
        "INSERT": lambda d: [action_rows(d, "a.id = NEW.id")],
        "DELETE": lambda d: ["DELETE FROM stats_actionroll WHERE action_id = OLD.id"],
        "UPDATE": lambda d: ["DELETE FROM stats_actionroll WHERE action_id = OLD.id", action_rows(d, "a.id = NEW.id")],
    }),
    Source("campaigns_campaignscopeunit", (), update_columns=("campaign_id", "unit_id"), custom={
        "INSERT": lambda d: _campaign_actions(d, "NEW.campaign_id"),
        "DELETE": lambda d: _campaign_actions(d, "OLD.campaign_id"),
        "UPDATE": lambda d: _campaign_actions(d, "OLD.campaign_id") + _campaign_actions(d, "NEW.campaign_id"),
    }),
    # Distinct counts by day follow the officers' first dates, current units, categories and status.
    Source("stats_officerfirst", (Plain((
        "INSERT INTO stats_distinctdaily (unit_id, kind, campaign_id, category, date, n) "
        "SELECT c.ancestor_id, {R}.kind, {R}.campaign_id, {R}.category, {R}.first_date, {SIGN} "
        "FROM stats_unitancestor c WHERE c.unit_id = {R}.unit_id AND {R}.roster "
        "ON CONFLICT (unit_id, kind, campaign_id, category, date) DO UPDATE SET "
        "n = stats_distinctdaily.n + excluded.n",
    )),), update_columns=("first_date", "unit_id", "category", "roster"),
        update_when=lambda d: " OR ".join(d.differs(f"OLD.{c}", f"NEW.{c}")
                                          for c in ("first_date", "unit_id", "category", "roster"))),
]


def _activity_campaign_changed(d: Dialect) -> list[str]:
    """An activity moved to another campaign takes its participants' campaign-keyed rows with it."""
    changed = "OLD.campaign_id <> NEW.campaign_id"
    theirs = "officer_id IN (SELECT officer_id FROM activities_activityparticipant WHERE activity_id = NEW.id)"
    old_rows = f"kind = 'part' AND campaign_id = OLD.campaign_id AND {changed} AND {theirs}"
    return [
        "UPDATE stats_officerfirst SET n = n - (SELECT COUNT(*) FROM activities_activityparticipant p "
        f"WHERE p.activity_id = NEW.id AND p.officer_id = stats_officerfirst.officer_id) WHERE {old_rows}",
        f"DELETE FROM stats_officerfirst WHERE n <= 0 AND {old_rows}",
        f"UPDATE stats_officerfirst SET first_date = (SELECT MIN(s.date) FROM {PARTICIPANT_SOURCE} "
        "WHERE s.officer_id = stats_officerfirst.officer_id AND sa.campaign_id = stats_officerfirst.campaign_id) "
        f"WHERE {old_rows}",
        "INSERT INTO stats_officerfirst (officer_id, kind, campaign_id, unit_id, category, roster, first_date, n) "
        f"SELECT o.id, 'part', NEW.campaign_id, {OFFICER_COLUMNS}, p.date, 1 "
        "FROM activities_activityparticipant p JOIN org_officer o ON o.id = p.officer_id "
        f"WHERE p.activity_id = NEW.id AND {changed} "
        "ON CONFLICT (officer_id, kind, campaign_id) DO UPDATE SET n = stats_officerfirst.n + excluded.n, "
        f"first_date = {d.least('stats_officerfirst.first_date', 'excluded.first_date')}",
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
    if op in source.extra:
        out += source.extra[op](d)
    return out


def sqlite_statements() -> list[str]:
    d = Dialect("sqlite")
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
                if source.update_when:
                    when = f" WHEN {source.update_when(d)}"
            result.append(f"CREATE TRIGGER {name} AFTER {event} ON {source.table}{when} BEGIN "
                          + "; ".join(body) + "; END")
    return result


def postgres_statements() -> list[str]:
    d = Dialect("postgresql")
    result = []
    for source in SOURCES:
        fn = f"zd_stats_{source.table}"
        parts = []
        for op in ("INSERT", "UPDATE", "DELETE"):
            body = _statements(source, op, d)
            if not body:
                continue
            cond = f"TG_OP = '{op}'"
            if op == "UPDATE" and source.update_when:
                cond += f" AND ({source.update_when(d)})"
            parts.append(f"IF {cond} THEN\n    " + ";\n    ".join(body) + ";\n  END IF;")
        result.append(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  "
                      + "\n  ".join(parts) + "\n  RETURN NULL;\nEND $$")
        events = [op for op in ("INSERT", "DELETE") if _statements(source, op, d)]
        if _statements(source, "UPDATE", d):
            events.append(f"UPDATE OF {', '.join(source.update_columns)}")
        result.append(f"DROP TRIGGER IF EXISTS zd_stats ON {source.table}")
        result.append(f"CREATE TRIGGER zd_stats AFTER {' OR '.join(events)} ON {source.table} "
                      f"FOR EACH ROW EXECUTE FUNCTION {fn}()")
    return result


def drop_statements(vendor: str) -> list[str]:
    """Remove the triggers (bulk loads: load, then `rebuild-rollups`, then install again)."""
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS zd_stats ON {s.table}" for s in SOURCES]
    return [f"DROP TRIGGER IF EXISTS zd_stats_{s.table}_{op}" for s in SOURCES for op in ("insert", "update", "delete")]


def install(using: str = "default") -> None:
    connection = connections[using]
    statements = postgres_statements() if connection.vendor == "postgresql" else sqlite_statements()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)


# --- bulk officer inserts (the roster import) ---------------------------------------------------

_OFFICER_INSERT_TRIGGER = "zd_stats_org_officer_insert"
# The roster counts of the officers inserted since `low`, applied set-based: exactly what the row
# trigger adds one row at a time (+1 per serving/seconded officer, at its unit and every unit above).
_ROSTER_DELTA = (
    "INSERT INTO stats_rostercount (unit_id, category, n) "
    "SELECT c.ancestor_id, t.category, SUM(t.n) FROM (SELECT unit_id, category, COUNT(*) AS n FROM org_officer "
    f"WHERE id > %s AND status IN {ROSTER} GROUP BY unit_id, category) t "
    "JOIN stats_unitancestor c ON c.unit_id = t.unit_id GROUP BY c.ancestor_id, t.category "
    "ON CONFLICT (unit_id, category) DO UPDATE SET n = stats_rostercount.n + excluded.n"
)


@contextmanager
def officer_inserts(using: str = "default") -> Iterator[None]:
    """Around the INSERT statements of a bulk load of officers (the roster import), inside its
    transaction: on SQLite the per-row roster-count trigger is taken out for those statements only,
    and the counts of the rows they inserted are added in one statement at the end (200,000 officers
    fired 800,000 single-row upserts). Nothing else may run inside the block.

    Why this stays exact and nothing slips through: SQLite DDL is transactional and an SQLite
    database has one writer at a time. The trigger is dropped and re-created inside the importer's
    write transaction, so no other connection ever sees the database without it (they see the last
    commit, and cannot write until this transaction ends), and a rollback restores it. The rows added
    are exactly those with ids above the highest id before the block (ids only grow, and no other
    connection can insert meanwhile); the counts are computed from those rows as stored, and the
    trigger is re-created whatever happens inside the block. The audit triggers are not touched.
    On PostgreSQL (concurrent writers; DROP TRIGGER would lock the table for readers) the row
    trigger simply stays in place."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block or not connection.connection.in_transaction:
        raise RuntimeError("officer_inserts() must run inside the writing transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [_OFFICER_INSERT_TRIGGER])
        found = cursor.fetchone()
    if found is None:  # the triggers were uninstalled for a bulk load (rebuild-rollups follows): leave it so
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM org_officer")
        low = cursor.fetchone()[0]
        cursor.execute(f"DROP TRIGGER {_OFFICER_INSERT_TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(found[0])  # the trigger exactly as it was
            cursor.execute(_ROSTER_DELTA, [low])


ROLLUP_TABLES = {"stats_unitancestor", "stats_countdaily", "stats_counttotal", "stats_officerfirst",
                 "stats_distinctdaily", "stats_rostercount", "stats_actionroll"}


def install_after_migrate(sender, using="default", **kwargs):
    if sender.label in ("stats", "org", "activities", "learning", "campaigns"):
        tables = set(connections[using or "default"].introspection.table_names())
        if {s.table for s in SOURCES} | ROLLUP_TABLES <= tables:
            install(using or "default")
