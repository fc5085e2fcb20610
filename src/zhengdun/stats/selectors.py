"""Reads behind the statistics: figure values from the rollup tables, and the records behind them.

`Snapshot` answers every figure for a set of units (the chosen unit and the units directly below
it) with a handful of grouped queries on the rollup tables, each an exact look-up on `unit_id IN
(...)` (rows are ancestor-expanded). Counts (场次, 人次, talks, pledges) are by the unit of the record.
Rates of the roster (coverage, study, exam and pledge rates) are about the *current* roster: the
numerator is the roster officers (serving or seconded now in the subtree, of the campaign's
categories) with a counted record in the range, wherever it was filed, so numerator ⊆ denominator
and numerator + uncovered = denominator. They come from DistinctDaily (keyed by the officer's current
unit) when the range starts on or before the subtree's first record (then summing "officers first
seen that day" is exact); otherwise they are counted live from the roster.

The `*_records` functions return the records a figure counts, always starting from
`.within(scope)`; a test checks for every figure that they agree with the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat
from django.db.models.lookups import StartsWith
from django.utils import timezone

from zhengdun.activities.models import (
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    PledgeLetter,
    TalkRecord,
)
from zhengdun.campaigns.lights import light_for
from zhengdun.campaigns.models import (
    DONE_STATUSES,
    Action,
    ActionCompletion,
    ActionKind,
    Campaign,
    CampaignScopeUnit,
    ancestor_paths,
)
from zhengdun.campaigns.services import target_units_q
from zhengdun.learning.models import ROSTER_STATUSES, AttemptStatus, ExamAttempt, StudyRecord
from zhengdun.org.access import Scope
from zhengdun.org.models import Officer, Role, RoleAssignment, Unit
from zhengdun.stats.models import ActionRoll, CountDaily, CountTotal, DistinctDaily, RosterCount

# Distinct kinds that follow a chosen campaign (the others have no campaign: campaign key 0).
CAMPAIGN_DISTINCT = {"part", "pledge"}
CAMPAIGN_COUNTS = {"act", "talk", "pledge"}
COUNT_KINDS = ("act", "study", "talk", "pledge")


@dataclass(frozen=True)
class Ctx:
    """What a figure is asked for: a unit subtree (in scope), a date range, optionally a campaign
    and a breakdown value (`type` = activity type code / channel / round, `cat` = category / kind)."""

    scope: Scope
    unit: Unit
    date_from: dt.date
    date_to: dt.date
    campaign: Campaign | None = None
    type: str = ""
    cat: str = ""
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def campaign_key(self) -> int:
        return self.campaign.id if self.campaign else 0

    @property
    def categories(self) -> list[str]:
        return self.campaign.category_list if self.campaign else []

    def with_unit(self, unit: Unit) -> Ctx:
        return Ctx(self.scope, unit, self.date_from, self.date_to, self.campaign, self.type, self.cat, self.today)

    def with_filter(self, type: str = "", cat: str = "") -> Ctx:
        return Ctx(self.scope, self.unit, self.date_from, self.date_to, self.campaign, type, cat, self.today)


# --- units and defaults --------------------------------------------------------------------------

def stats_units(*, scope: Scope) -> QuerySet[Unit]:
    """Units whose whole subtree the user may read: below a subtree anchor (office admin, supervisor)
    or everything (system administrator). A clerk's own unit counts only when it has no units below."""
    if scope.everything:
        return Unit.objects.order_by("path")
    q = Q(pk__in=[])
    for path in scope.subtree_paths:
        q |= Q(path__startswith=path)
    if scope.exact_unit_ids:
        leaves = Unit.objects.filter(pk__in=scope.exact_unit_ids).exclude(
            Exists(Unit.objects.filter(parent=OuterRef("pk"))))
        q |= Q(pk__in=leaves.values("pk"))
    return Unit.objects.within(scope).filter(q).order_by("path")


def stats_unit_get(*, scope: Scope, unit_id) -> Unit | None:
    try:
        return stats_units(scope=scope).filter(pk=int(unit_id)).first()
    except (TypeError, ValueError):
        return None


def default_unit(*, scope: Scope) -> Unit | None:
    """The top of the user's reach. The shallowest unit of stats_units is an anchor of a subtree or
    one of the clerk's leaf units, so only those are looked at (indexed look-ups by path and id,
    not a sort of the whole reach: a province has ten thousand units)."""
    if scope.everything:
        return Unit.objects.order_by("depth", "path").first()
    q = Q(path__in=list(scope.subtree_paths)) | Q(pk__in=list(scope.exact_unit_ids))
    tops = stats_units(scope=scope).filter(q).order_by("depth", "path")
    return tops.first()


def picker_units(*, scope: Scope, unit: Unit) -> list[Unit]:
    """Units offered by the picker: the top of the user's reach and the level below it, the chosen
    unit's ancestors in reach, the unit itself and its children (a short list, not the whole tree)."""
    reach = stats_units(scope=scope)
    # Units at the top depth of the reach and one below are its shallowest anchors, the anchors one
    # level deeper and the children of the shallowest: indexed look-ups by id, path and parent
    # rather than a depth filter over the whole reach (ten thousand units for a province).
    if scope.everything:
        anchors = list(Unit.objects.filter(parent__isnull=True).values_list("id", "depth"))
    else:
        q = Q(path__in=list(scope.subtree_paths)) | Q(pk__in=list(scope.exact_unit_ids))
        anchors = list(reach.filter(q).values_list("id", "depth"))
    top = min((depth for _id, depth in anchors), default=0)
    q = (Q(pk__in=[i for i, depth in anchors if depth <= top + 1])
         | Q(parent_id__in=[i for i, depth in anchors if depth == top])
         | Q(path__in=ancestor_paths(unit.path)) | Q(parent=unit))
    return list(reach.filter(q).order_by("path")[:300])


def child_units(*, scope: Scope, unit: Unit) -> list[Unit]:
    return list(Unit.objects.within(scope).filter(parent=unit).order_by("sort_order", "code"))


def stats_campaigns(*, scope: Scope) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(scope).order_by("-start_date", "id")


def running_campaign(*, scope: Scope, today: dt.date) -> Campaign | None:
    campaigns = stats_campaigns(scope=scope)
    return campaigns.filter(start_date__lte=today, end_date__gte=today).first() or campaigns.first()


def activity_types() -> dict[str, ActivityType]:
    return {str(t.id): t for t in ActivityType.objects.all()}


def sees_talks(scope: Scope, unit: Unit) -> bool:
    """Talks are confidential: their figures are shown to office administrators of the subtree only
    (the same people who may list them, see activities.selectors.talk_list)."""
    if not scope.has_role(Role.OFFICE_ADMIN) or scope.user_id is None:
        return False
    paths = RoleAssignment.objects.filter(user_id=scope.user_id, role=Role.OFFICE_ADMIN,
                                          unit__isnull=False).values_list("unit__path", flat=True)
    return any(unit.path.startswith(p) for p in paths)


# --- values from the rollups ---------------------------------------------------------------------

class Snapshot:
    """Every figure's inputs for `units` (the chosen unit and its children) under one context."""

    def __init__(self, ctx: Ctx, units: list[Unit]):
        self.ctx = ctx
        self.units = units
        self.ids = [u.id for u in units]
        self.by_id = {u.id: u for u in units}
        self.live_fallbacks: list[tuple[int, str]] = []
        self.talks_visible: bool | None = None

    def _rollup(self, model):
        # the snapshot's units come from scoped queries; for_units re-checks them without a join
        return model.objects.for_units(self.ctx.scope, self.units)

    def _count_rows(self, model, units: list[Unit] | None = None):
        """CountDaily / CountTotal rows of `units` (default: the snapshot's) under the campaign choice
        (talks only for those who see them)."""
        c = self.ctx
        rows = model.objects.for_units(c.scope, self.units if units is None else units)
        if c.campaign:
            rows = rows.filter(Q(kind__in=CAMPAIGN_COUNTS, campaign_id=c.campaign.id) | ~Q(kind__in=CAMPAIGN_COUNTS))
        visible = self.talks_visible if self.talks_visible is not None else sees_talks(c.scope, c.unit)
        if not visible:
            rows = rows.exclude(kind="talk")
        return rows

    @cached_property
    def total_kinds(self) -> set[str]:
        """Count kinds whose every (non-zero) dated row at the chosen unit lies inside the range. For
        them CountTotal (no date) holds the same sums as CountDaily over the range — for the unit and
        for every unit below it, whose rows are a subset of the unit's (ancestor expansion) — so the
        dashboard reads a few dozen rows per unit instead of one per day. The default range (the
        campaign window) is normally such a range."""
        c = self.ctx
        outside = (self._count_rows(CountDaily, [c.unit]).exclude(n=0)
                   .filter(Q(date__lt=c.date_from) | Q(date__gt=c.date_to))
                   .values_list("kind", flat=True).distinct().order_by())
        return set(COUNT_KINDS) - set(outside)

    @cached_property
    def counts(self) -> dict[int, dict[tuple[str, str, str], tuple[int, int]]]:
        """unit -> (kind, dim_a, dim_b) -> (n, total). The chosen unit is read per dimension (its
        breakdown tables); the units below only per kind (dims '') unless a `type`/`cat` filter asks
        for a dimension."""
        c = self.ctx
        out: dict = {i: {} for i in self.ids}
        totals = self.total_kinds
        children = [i for i in self.ids if i != c.unit.id]
        for unit_ids, dims in (([c.unit.id], True), (children, bool(c.type or c.cat))):
            if not unit_ids:
                continue
            units = [self.by_id[i] for i in unit_ids]
            sources = []
            if totals:
                sources.append(self._count_rows(CountTotal, units).filter(kind__in=totals))
            if totals != set(COUNT_KINDS):
                sources.append(self._count_rows(CountDaily, units).filter(date__gte=c.date_from, date__lte=c.date_to)
                               .exclude(kind__in=totals))
            fields = ["unit_id", "kind", "dim_a", "dim_b"] if dims else ["unit_id", "kind"]
            for rows in sources:
                for r in rows.values(*fields).annotate(n_=Sum("n"), t_=Sum("total")).order_by():
                    key = (r["kind"], r.get("dim_a", ""), r.get("dim_b", ""))
                    n, t = out[r["unit_id"]].get(key, (0, 0))
                    out[r["unit_id"]][key] = (n + int(r["n_"] or 0), t + int(r["t_"] or 0))
        return out

    @cached_property
    def kind_totals(self) -> dict[int, dict[str, tuple[int, int]]]:
        """unit -> kind -> (n, total) over all dimensions: what the cards and the child table read."""
        out: dict = {}
        for unit_id, rows in self.counts.items():
            totals = out.setdefault(unit_id, {})
            for (k, _da, _db), (n, t) in rows.items():
                n0, t0 = totals.get(k, (0, 0))
                totals[k] = (n0 + n, t0 + t)
        return out

    def count(self, unit_id: int, kind: str, *, a: str = "", b: str = "", measure: str = "n") -> int:
        index = 0 if measure == "n" else 1
        if not a and not b:
            return self.kind_totals[unit_id].get(kind, (0, 0))[index]
        return sum(v[index] for (k, da, db), v in self.counts[unit_id].items()
                   if k == kind and (not a or da == a) and (not b or db == b))

    def breakdown(self, unit_id: int, kind: str, dim: str) -> dict[str, tuple[int, int]]:
        out: dict[str, list[int]] = {}
        for (k, da, db), (n, t) in self.counts[unit_id].items():
            if k != kind:
                continue
            key = da if dim == "a" else db
            acc = out.setdefault(key, [0, 0])
            acc[0] += n
            acc[1] += t
        return {k: (v[0], v[1]) for k, v in out.items()}

    @cached_property
    def distinct(self) -> dict[int, dict[str, int]]:
        """unit -> kind -> roster officers (now in the unit's subtree, of the campaign's categories)
        with a record in the range."""
        c = self.ctx
        keyed = Q(kind__in=CAMPAIGN_DISTINCT, campaign_id=c.campaign_key) | Q(
            ~Q(kind__in=CAMPAIGN_DISTINCT), campaign_id=0)
        rows = self._rollup(DistinctDaily).filter(keyed, date__lte=c.date_to)
        if c.categories:
            rows = rows.filter(category__in=c.categories)
        rows = (rows.values("unit_id", "kind")
                .annotate(inside=Sum("n", filter=Q(date__gte=c.date_from)), early=Sum("n", filter=Q(date__lt=c.date_from)))
                .order_by())
        out: dict = {i: {} for i in self.ids}
        for r in rows:
            if r["early"]:
                # Some officer's first record in this subtree predates the range: the rollup cannot
                # tell whether they also have one inside it, so count from the records.
                unit = self.by_id[r["unit_id"]]
                self.live_fallbacks.append((unit.id, r["kind"]))
                out[r["unit_id"]][r["kind"]] = officers_with(c.with_unit(unit), r["kind"]).count()
            else:
                out[r["unit_id"]][r["kind"]] = int(r["inside"] or 0)
        return out

    @cached_property
    def roster(self) -> dict[int, int]:
        rows = self._rollup(RosterCount)
        if self.ctx.categories:
            rows = rows.filter(category__in=self.ctx.categories)
        out = {i: 0 for i in self.ids}
        for r in rows.values("unit_id").annotate(n_=Sum("n")).order_by():
            out[r["unit_id"]] = int(r["n_"] or 0)
        return out

    @cached_property
    def actions(self) -> dict[int, dict[str, int]]:
        c = self.ctx
        rows = self._rollup(ActionRoll).filter(deadline__gte=c.date_from, deadline__lte=c.date_to)
        if c.campaign:
            rows = rows.filter(campaign_id=c.campaign.id)
        out = {i: {"expected": 0, "done": 0, "returned": 0, "overdue": 0} for i in self.ids}
        for r in rows.values("unit_id").annotate(
                e=Sum("expected"), d=Sum("done"), r=Sum("returned"),
                late_e=Sum("expected", filter=Q(deadline__lt=c.today)),
                late_d=Sum("done", filter=Q(deadline__lt=c.today))).order_by():
            out[r["unit_id"]] = {"expected": int(r["e"] or 0), "done": int(r["d"] or 0), "returned": int(r["r"] or 0),
                                 "overdue": int(r["late_e"] or 0) - int(r["late_d"] or 0)}
        return out

    @cached_property
    def study_series(self) -> list[tuple[dt.date, int]]:
        """Study person-times per day for the chosen unit (line chart)."""
        c = self.ctx
        rows = (CountDaily.objects.for_units(c.scope, [c.unit]).filter(kind="study", date__gte=c.date_from,
                                                          date__lte=c.date_to)
                .values("date").annotate(n_=Sum("n")).order_by("date"))
        return [(r["date"], int(r["n_"])) for r in rows]


# --- the records behind the figures --------------------------------------------------------------

def _subtree(qs, c: Ctx, field: str = "unit"):
    return qs.filter(**{f"{field}__path__startswith": c.unit.path})


def activity_records(c: Ctx) -> QuerySet[ActivityRecord]:
    qs = _subtree(ActivityRecord.objects.within(c.scope), c).filter(date__gte=c.date_from, date__lte=c.date_to)
    if c.campaign:
        qs = qs.filter(campaign=c.campaign)
    if c.type:
        qs = qs.filter(activity_type_id=c.type) if c.type.isdigit() else qs.filter(activity_type__code=c.type)
    if c.cat:
        qs = qs.filter(education_category=c.cat)
    return qs.select_related("unit", "activity_type").order_by("-date", "-id")


def study_records(c: Ctx) -> QuerySet[StudyRecord]:
    qs = _subtree(StudyRecord.objects.within(c.scope), c).filter(date__gte=c.date_from, date__lte=c.date_to)
    if c.type:
        qs = qs.filter(channel=c.type)
    if c.cat:
        qs = qs.filter(category=c.cat)
    return qs.select_related("unit", "officer").order_by("-date", "-id")


def talk_records(c: Ctx) -> QuerySet[TalkRecord]:
    """Talks in the subtree, for office administrators of it (sees_talks); notes are never read."""
    if not sees_talks(c.scope, c.unit):
        return TalkRecord.objects.none()
    qs = TalkRecord.objects.filter(unit__path__startswith=c.unit.path, date__gte=c.date_from, date__lte=c.date_to)
    if c.campaign:
        qs = qs.filter(campaign=c.campaign)
    if c.type:
        qs = qs.filter(round=int(c.type)) if c.type.isdigit() else qs.none()
    if c.cat:
        qs = qs.filter(kind=c.cat)
    return qs.select_related("unit", "talker", "officer").defer("note").order_by("-date", "-id")


def pledge_records(c: Ctx) -> QuerySet[PledgeLetter]:
    qs = _subtree(PledgeLetter.objects.within(c.scope), c).filter(signed_date__gte=c.date_from,
                                                                   signed_date__lte=c.date_to)
    if c.campaign:
        qs = qs.filter(campaign=c.campaign)
    return qs.select_related("unit", "officer").order_by("-signed_date", "-id")


def _officer_records(c: Ctx, kind: str) -> QuerySet:
    """The records of one officer (OuterRef "pk") that a distinct figure counts: in the date range
    (and the campaign), wherever they were filed — coverage-type rates are about the officers now on
    the roster, whose records may predate a transfer."""
    officer = OuterRef("pk")
    if kind == "part":
        rows = ActivityParticipant.objects.filter(officer=officer, date__gte=c.date_from, date__lte=c.date_to)
        return rows.filter(activity__campaign=c.campaign) if c.campaign else rows
    if kind == "study":
        return StudyRecord.objects.filter(officer=officer, date__gte=c.date_from, date__lte=c.date_to)
    if kind in ("exam", "pass"):
        rows = ExamAttempt.objects.filter(officer=officer, status=AttemptStatus.SUBMITTED,
                                          submitted_on__gte=c.date_from, submitted_on__lte=c.date_to)
        return rows.filter(passed=True) if kind == "pass" else rows
    if kind == "pledge":
        rows = PledgeLetter.objects.filter(officer=officer, signed_date__gte=c.date_from, signed_date__lte=c.date_to)
        return rows.filter(campaign=c.campaign) if c.campaign else rows
    raise ValueError(kind)


def officers_with(c: Ctx, kind: str) -> QuerySet[Officer]:
    """The numerator of a rate: roster officers (the denominator's set) with a counted record."""
    return roster(c).filter(Exists(_officer_records(c, kind)))


def roster(c: Ctx) -> QuerySet[Officer]:
    """Officers who should take part: now serving or seconded in the subtree (and of the campaign's categories)."""
    qs = _subtree(Officer.objects.within(c.scope), c).filter(status__in=ROSTER_STATUSES)
    if c.categories:
        qs = qs.filter(category__in=c.categories)
    return qs.select_related("unit").order_by("unit__path", "name", "id")


def roster_without(c: Ctx, kind: str) -> QuerySet[Officer]:
    """未覆盖: roster officers with no counted record (numerator + uncovered = roster)."""
    return roster(c).exclude(Exists(_officer_records(c, kind)))


def examined_not_passed(c: Ctx) -> QuerySet[Officer]:
    """未及格: roster officers who sat an exam in the range and passed none (pass-rate denominator
    minus its numerator)."""
    return officers_with(c, "exam").exclude(Exists(_officer_records(c, "pass")))


def _required_actions(c: Ctx) -> QuerySet[Action]:
    """Required actions that can ask something of a unit in the subtree: issued above it or inside it."""
    qs = Action.objects.visible_to(c.scope).filter(kind=ActionKind.REQUIRED, deadline__gte=c.date_from,
                                                   deadline__lte=c.date_to)
    qs = qs.filter(Q(unit__path__in=ancestor_paths(c.unit.path)) | Q(unit__path__startswith=c.unit.path))
    if c.campaign:
        qs = qs.filter(campaign=c.campaign)
    return qs.select_related("unit", "campaign").order_by("deadline", "id")


def _completion_of_a_target() -> Q:
    """The completion's unit is a target of its action (SQL mirror of campaigns.services.target_units_q):
    below the issuer, active, of the action's kinds and levels, inside the campaign's participating
    roots. A completion of any other unit is not counted."""
    unit_kind = Concat(Value(","), F("unit__kind"), Value(","))
    unit_level = Concat(Value(","), F("unit__level"), Value(","))
    roots = CampaignScopeUnit.objects.filter(StartsWith(OuterRef("unit__path"), F("unit__path")),
                                             campaign_id=OuterRef("action__campaign_id"))
    return (Q(unit__path__startswith=F("action__unit__path")) & ~Q(unit_id=F("action__unit_id"))
            & Q(unit__is_active=True)
            & (Q(action__target_kinds="") | Q(action__target_kinds__contains=unit_kind))
            & (Q(action__target_levels="") | Q(action__target_levels__contains=unit_level))
            & Q(Exists(roots)))


def completion_records(c: Ctx, *, statuses) -> QuerySet[ActionCompletion]:
    qs = _subtree(ActionCompletion.objects.within(c.scope), c).filter(
        _completion_of_a_target(), status__in=statuses, action__kind=ActionKind.REQUIRED,
        action__deadline__gte=c.date_from, action__deadline__lte=c.date_to)
    if c.campaign:
        qs = qs.filter(action__campaign=c.campaign)
    return qs.select_related("unit", "action").order_by("action__deadline", "action_id", "unit__path")


@dataclass
class Pair:
    action: Action
    unit: Unit
    completion: ActionCompletion | None
    today: dt.date

    @property
    def light(self):
        c = self.completion
        return light_for(deadline=self.action.deadline, status=c.status if c else None,
                         declared_on=c.declared_on if c else None, today=self.today)


class PairList:
    """Expected (action, unit) pairs, listed lazily action by action (a province-wide action has
    thousands of target units); `open_only` keeps the pairs not done (未完成: expected minus done),
    `overdue_only` those of them whose deadline has passed."""

    def __init__(self, c: Ctx, *, overdue_only: bool = False, open_only: bool = False):
        self.c = c
        self.overdue_only = overdue_only
        self.open_only = open_only or overdue_only
        self.actions = list(_required_actions(c))
        if overdue_only:
            self.actions = [a for a in self.actions if a.deadline < c.today]

    @cached_property
    def _targets(self) -> dict[int, Q]:
        # one look-up of the campaigns' participating roots, not one per action, page or count
        roots: dict[int, list[str]] = {a.campaign_id: [] for a in self.actions}
        for campaign_id, path in (CampaignScopeUnit.objects.filter(campaign_id__in=list(roots))
                                  .values_list("campaign_id", "unit__path")):
            roots[campaign_id].append(path)
        return {a.id: target_units_q(a, roots[a.campaign_id]) for a in self.actions}

    def _units(self, action: Action) -> QuerySet[Unit]:
        units = Unit.objects.within(self.c.scope).filter(self._targets[action.id],
                                                         path__startswith=self.c.unit.path)
        if self.open_only:
            done = ActionCompletion.objects.filter(action=action, status__in=DONE_STATUSES).values("unit_id")
            units = units.exclude(pk__in=done)
        return units.order_by("path")

    @cached_property
    def _counts(self) -> list[int]:
        return [self._units(a).count() for a in self.actions]

    def count(self) -> int:
        return sum(self._counts)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("PairList supports slices only")
        start, stop = item.start or 0, item.stop if item.stop is not None else self.count()
        out, offset = [], 0
        for action, n in zip(self.actions, self._counts, strict=True):
            if offset + n > start and offset < stop:
                lo, hi = max(start - offset, 0), min(stop - offset, n)
                units = list(self._units(action)[lo:hi])
                done = {x.unit_id: x for x in ActionCompletion.objects.filter(action=action,
                                                                              unit_id__in=[u.id for u in units])}
                out += [Pair(action, u, done.get(u.id), self.c.today) for u in units]
            offset += n
            if offset >= stop:
                break
        return out


def records_sum(qs: QuerySet, field_name: str) -> int:
    return int(qs.order_by().aggregate(s=Sum(field_name))["s"] or 0)


def exam_attempt_counts(c: Ctx) -> dict:
    """Submitted attempts in the range (for the briefing)."""
    qs = _subtree(ExamAttempt.objects.within(c.scope), c).filter(status=AttemptStatus.SUBMITTED,
                                                                  submitted_on__gte=c.date_from,
                                                                  submitted_on__lte=c.date_to)
    return qs.aggregate(n=Count("id"))
