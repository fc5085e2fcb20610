"""The figure registry: every statistic defined once — key, Chinese label, the selector for its value
(from a Snapshot of the rollups) and the selector for the records behind it. The dashboard, the
child-unit table, the .xlsx/.docx exports, the API and the drill-down test all iterate FIGURES.

A *count* figure's value is the number of its records (or, with `measure`, the sum of a field over
them, e.g. person-times). A *rate* figure has a numerator list and a denominator list (and, where it
is a share of the roster, an "uncovered" list = roster minus numerator).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengdun.stats import selectors as s
from zhengdun.stats.selectors import Ctx, Snapshot

# Measure words after a figure (545 场次), with their own gettext context: "545 sessions", where the
# same words as column headings are "Sessions".
SESSIONS = pgettext_lazy("measure word", "场次")
PERSON_TIMES = pgettext_lazy("measure word", "人次")
ITEMS = pgettext_lazy("measure word", "项")
LETTERS = pgettext_lazy("measure word", "份")


@dataclass(frozen=True)
class Value:
    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # gettext_lazy: Chinese msgid, English through the catalogue
    unit: str  # 场次, 人次, %, 项 … (a measure word in gettext, except "%")
    value: Callable[[Snapshot, int], Value]
    records: Callable[[Ctx], object] | None = None  # count figures: the records counted
    numerator: Callable[[Ctx], object] | None = None  # rate figures
    denominator: Callable[[Ctx], object] | None = None
    uncovered: Callable[[Ctx], object] | None = None
    measure: str = ""  # sum this field over `records` instead of counting them
    columns: str = ""  # which table template the drill-down uses
    confidential: bool = False  # talks: shown only to office administrators of the subtree
    breakdown: str = ""  # which `type`/`cat` values the figure can be filtered by
    # A rate's drill-down tabs in words an office uses (已完成 / 应完成 / 未完成), not 分子 / 分母.
    part_labels: tuple = ()

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None

    def parts(self) -> list[tuple[str, object]]:
        """[(part key, tab label)] of a rate's drill-down: numerator, denominator, and uncovered
        where the figure has it."""
        if not self.is_rate:
            return []
        labels = dict(zip(("numerator", "denominator", "uncovered"),
                          self.part_labels or (_("分子"), _("分母"), _("未覆盖")), strict=False))
        return [(key, labels.get(key, key)) for key in ("numerator", "denominator", "uncovered")
                if key != "uncovered" or self.uncovered is not None]

    def available(self, ctx: Ctx) -> bool:
        return not self.confidential or s.sees_talks(ctx.scope, ctx.unit)

    def drilldown_url(self, ctx: Ctx, **extra) -> str:
        # Built by hand (not reverse()+urlencode per link): the dashboard renders a few hundred links.
        query = f"unit={ctx.unit.id}&from={ctx.date_from.isoformat()}&to={ctx.date_to.isoformat()}"
        if ctx.campaign:
            query += f"&campaign={ctx.campaign.id}"
        for name, value in (("type", ctx.type), ("cat", ctx.cat), *extra.items()):
            if value not in (None, ""):
                query += f"&{name}={quote_plus(str(value))}"
        return f"{_records_prefix()}{self.key}/?{query}"


@functools.lru_cache(maxsize=1)
def _records_prefix() -> str:
    return reverse("stats:records", args=["x"])[:-2]


def _rate(num: int, den: int) -> Value:
    return Value(round(num / den, 4) if den else None, num, den)


def _count(kind: str, measure: str = "n"):
    def value(snap: Snapshot, unit_id: int) -> Value:
        c = snap.ctx
        return Value(snap.count(unit_id, kind, a=c.type, b=c.cat, measure=measure))
    return value


def _act_type(c: Ctx) -> Ctx:
    """`type` may be an activity type code; the rollup keys activity types by id."""
    if c.type and not c.type.isdigit():
        from zhengdun.activities.models import ActivityType

        found = ActivityType.objects.filter(code=c.type).values_list("id", flat=True).first()
        return c.with_filter(type=str(found or 0), cat=c.cat)
    return c


def _act_count(measure: str):
    def value(snap: Snapshot, unit_id: int) -> Value:
        c = _act_type(snap.ctx)
        return Value(snap.count(unit_id, "act", a=c.type, b=c.cat, measure=measure))
    return value


def _share(kind: str):
    def value(snap: Snapshot, unit_id: int) -> Value:
        return _rate(snap.distinct[unit_id].get(kind, 0), snap.roster[unit_id])
    return value


def _pass_rate(snap: Snapshot, unit_id: int) -> Value:
    d = snap.distinct[unit_id]
    return _rate(d.get("pass", 0), d.get("exam", 0))


def _completion(snap: Snapshot, unit_id: int) -> Value:
    a = snap.actions[unit_id]
    return _rate(a["done"], a["expected"])


FIGURES: list[Figure] = [
    Figure("sessions", _("活动场次"), SESSIONS, _act_count("n"), records=s.activity_records, columns="activity",
           breakdown="activity"),
    Figure("person_times", _("活动人次"), PERSON_TIMES, _act_count("total"), records=s.activity_records,
           measure="person_times", columns="activity", breakdown="activity"),
    Figure("coverage", _("活动覆盖率"), "%", _share("part"),
           numerator=lambda c: s.officers_with(c, "part"), denominator=s.roster,
           uncovered=lambda c: s.roster_without(c, "part"), columns="officer",
           part_labels=(_("已参加活动"), _("应参加（名册）"), _("未参加活动"))),
    Figure("completion", _("规定动作完成率"), "%", _completion,
           numerator=lambda c: s.completion_records(c, statuses=s.DONE_STATUSES), denominator=s.PairList,
           uncovered=lambda c: s.PairList(c, open_only=True), columns="completion",
           part_labels=(_("已完成"), _("应完成"), _("未完成"))),
    Figure("returned", _("被退回动作"), ITEMS, lambda snap, u: Value(snap.actions[u]["returned"]),
           records=lambda c: s.completion_records(c, statuses=["returned"]), columns="completion"),
    Figure("overdue", _("逾期未完成动作"), ITEMS, lambda snap, u: Value(snap.actions[u]["overdue"]),
           records=lambda c: s.PairList(c, overdue_only=True), columns="pair"),
    Figure("study_times", _("学习人次"), PERSON_TIMES, _count("study"), records=s.study_records, columns="study",
           breakdown="study"),
    Figure("study_rate", _("学习覆盖率"), "%", _share("study"),
           numerator=lambda c: s.officers_with(c, "study"), denominator=s.roster,
           uncovered=lambda c: s.roster_without(c, "study"), columns="officer",
           part_labels=(_("已学习"), _("应学习（名册）"), _("未学习"))),
    Figure("exam_rate", _("参考率"), "%", _share("exam"),
           numerator=lambda c: s.officers_with(c, "exam"), denominator=s.roster,
           uncovered=lambda c: s.roster_without(c, "exam"), columns="officer",
           part_labels=(_("已参考"), _("应参考（名册）"), _("未参考"))),
    Figure("pass_rate", _("考试及格率"), "%", _pass_rate,
           numerator=lambda c: s.officers_with(c, "pass"), denominator=lambda c: s.officers_with(c, "exam"),
           uncovered=s.examined_not_passed, columns="officer",
           part_labels=(_("及格"), _("已参考"), _("未及格"))),
    Figure("talks", _("谈心谈话人次"), PERSON_TIMES, _count("talk"), records=s.talk_records, columns="talk",
           confidential=True, breakdown="talk"),
    Figure("pledges", _("承诺书份数"), LETTERS, _count("pledge"), records=s.pledge_records, columns="pledge"),
    Figure("pledge_rate", _("承诺书签订率"), "%", _share("pledge"),
           numerator=lambda c: s.officers_with(c, "pledge"), denominator=s.roster,
           uncovered=lambda c: s.roster_without(c, "pledge"), columns="officer",
           part_labels=(_("已签订"), _("应签订（名册）"), _("未签订"))),
]

BY_KEY = {f.key: f for f in FIGURES}


def figures_for(ctx: Ctx) -> list[Figure]:
    return [f for f in FIGURES if f.available(ctx)]


def evaluate(ctx: Ctx, *, with_children: bool = True) -> tuple[dict[str, Value], list[tuple], Snapshot]:
    """Values of every available figure for ctx.unit and (optionally) each child unit.
    Returns (values of the unit, [(child, values)], the snapshot used)."""
    children = s.child_units(scope=ctx.scope, unit=ctx.unit) if with_children else []
    snap = Snapshot(ctx, [ctx.unit, *children])
    figures = figures_for(ctx)
    snap.talks_visible = any(f.confidential for f in figures)
    own = {f.key: f.value(snap, ctx.unit.id) for f in figures}
    rows = [(child, {f.key: f.value(snap, child.id) for f in figures}) for child in children]
    return own, rows, snap


def count_records(figure: Figure, ctx: Ctx, part: str = "records") -> int:
    """The size of a drill-down list (or the sum of `measure` over it)."""
    getter = {"records": figure.records, "numerator": figure.numerator, "denominator": figure.denominator,
              "uncovered": figure.uncovered}[part]
    items = getter(ctx)
    if part == "records" and figure.measure:
        return s.records_sum(items, figure.measure)
    return items.count()


def format_value(figure: Figure, v: Value) -> str:
    if v.value is None:
        return "—"
    if figure.is_rate:
        return f"{v.value * 100:.1f}%"
    return f"{v.value:,}"
