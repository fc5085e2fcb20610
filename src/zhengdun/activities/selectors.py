"""Reads of activities, talks, pledges and evidence; every one starts from the scoping layer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.db.models import Count, Q, QuerySet

from zhengdun.activities.models import (
    FIVE_HAVES,
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    EvidenceFile,
    EvidenceKind,
    PledgeLetter,
    TalkRecord,
)
from zhengdun.campaigns.models import Campaign
from zhengdun.org import identity, idnumbers
from zhengdun.org.access import Scope
from zhengdun.org.models import Officer, OfficerStatus, Role, RoleAssignment, Unit

# A picker answers with at most this many matches: the page never carries the roster.
PICKER_LIMIT = 30
_ID_TAIL = re.compile(r"^[0-9Xx]{1,4}$")


def activity_types(*, active_only: bool = True, include: int | None = None) -> QuerySet[ActivityType]:
    """Types to choose from; `include` keeps a record's own type on its edit page once deactivated."""
    types = ActivityType.objects.all()
    if not active_only:
        return types
    return types.filter(Q(is_active=True) | Q(pk=include)) if include else types.filter(is_active=True)


def activity_list(*, scope: Scope, unit: Unit | None = None, activity_type: ActivityType | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  campaign: Campaign | None = None, education_category: str = "",
                  query: str = "") -> QuerySet[ActivityRecord]:
    records = ActivityRecord.objects.within(scope).select_related("unit", "activity_type", "campaign")
    for term in (query or "").split():
        records = records.filter(title__contains=term)
    if unit is not None:
        records = records.filter(unit__path__startswith=unit.path)
    if activity_type is not None:
        records = records.filter(activity_type=activity_type)
    if date_from:
        records = records.filter(date__gte=date_from)
    if date_to:
        records = records.filter(date__lte=date_to)
    if campaign is not None:
        records = records.filter(campaign=campaign)
    if education_category:
        records = records.filter(education_category=education_category)
    return records.order_by("-date", "-id")


def activity_get(*, scope: Scope, activity_id: int) -> ActivityRecord | None:
    return (ActivityRecord.objects.within(scope).select_related("unit", "activity_type", "campaign", "action")
            .filter(pk=activity_id).first())


def activity_participants(*, activity: ActivityRecord) -> QuerySet[ActivityParticipant]:
    """Participants of an activity the caller could already read (checked by activity_get)."""
    return activity.participants.select_related("officer", "unit").order_by("unit__path", "officer__name")


def activity_participant_ids(*, activity: ActivityRecord) -> QuerySet:
    return activity.participants.values_list("officer_id", flat=True)


def activity_evidence(*, activity: ActivityRecord) -> list[EvidenceFile]:
    return list(activity.evidence.all())


def five_haves(files: list[EvidenceFile], *, mode: str = "") -> list[dict]:
    """The 五有 checklist computed from the kinds of the attached files."""
    kinds = {f.kind for f in files}
    labels = dict(EvidenceKind.choices)
    return [{"kind": k, "label": labels[k], "ok": k in kinds} for k in FIVE_HAVES]


def participant_officers(*, scope: Scope, unit: Unit, activity: ActivityRecord | None = None) -> QuerySet[Officer]:
    """Roster an activity of `unit` may pick from: the unit's subtree, inside the caller's scope;
    serving officers, and on an edit also the record's own participants who have since left
    (so correcting a record does not drop them)."""
    current = Q(status="serving")
    if activity is not None:
        current |= Q(pk__in=activity.participants.values("officer_id"))
    officers = Officer.objects.within(scope).filter(current, unit__path__startswith=unit.path)
    return officers.select_related("unit").order_by("unit__path", "name", "id")


def _evidence_readable(scope: Scope) -> QuerySet[EvidenceFile]:
    """Evidence files in scope (an officer also reaches the scan of their own pledge)."""
    files = EvidenceFile.objects.within(scope)
    if scope.officer_id:
        files = files | EvidenceFile.objects.filter(pledge__officer_id=scope.officer_id)
    return files


def evidence_get(*, scope: Scope, evidence_id: int) -> EvidenceFile | None:
    return _evidence_readable(scope).filter(pk=evidence_id).first()


# --- talks (confidential) ----------------------------------------------------------------------

def _office_admin_scope(scope: Scope) -> Scope:
    """The part of a scope that comes from office-administrator roles only (talks are confidential:
    unit clerks, supervisors and the system administrator do not see them)."""
    if not scope.has_role(Role.OFFICE_ADMIN) or scope.user_id is None:
        return Scope(user_id=scope.user_id)
    paths = RoleAssignment.objects.filter(user_id=scope.user_id, role=Role.OFFICE_ADMIN,
                                          unit__isnull=False).values_list("unit__path", flat=True)
    return dataclasses.replace(Scope(user_id=scope.user_id), subtree_paths=tuple(sorted(set(paths))))


def talk_list(*, scope: Scope, unit: Unit | None = None, campaign: Campaign | None = None,
              round: int | None = None, kind: str = "", date_from: dt.date | None = None,
              date_to: dt.date | None = None, query: str = "") -> QuerySet[TalkRecord]:
    """Confidential talks: office administrators of the subtree and the two people themselves.
    A talk marked not confidential is also visible through the ordinary unit scope. `query` matches
    the name of either person."""
    office = _office_admin_scope(scope)
    q = Q(pk__in=[])
    if office.subtree_paths:
        q |= office.unit_q("unit")
    if scope.officer_id:
        q |= Q(talker_id=scope.officer_id) | Q(officer_id=scope.officer_id)
    if not scope.everything and (scope.subtree_paths or scope.exact_unit_ids):
        q |= Q(is_confidential=False) & scope.unit_q("unit")
    talks = TalkRecord.objects.filter(q).select_related("talker", "officer", "unit", "campaign")
    if unit is not None:
        talks = talks.filter(unit__path__startswith=unit.path)
    if campaign is not None:
        talks = talks.filter(campaign=campaign)
    if round:
        talks = talks.filter(round=round)
    if kind:
        talks = talks.filter(kind=kind)
    if date_from:
        talks = talks.filter(date__gte=date_from)
    if date_to:
        talks = talks.filter(date__lte=date_to)
    for term in (query or "").split():
        talks = talks.filter(Q(officer__name__contains=term) | Q(talker__name__contains=term))
    return talks.order_by("-date", "-id")


def talk_get(*, scope: Scope, talk_id: int) -> TalkRecord | None:
    return talk_list(scope=scope).filter(pk=talk_id).first()


# --- pledges ----------------------------------------------------------------------------------

def pledge_list(*, scope: Scope, unit: Unit | None = None, campaign: Campaign | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                query: str = "") -> QuerySet[PledgeLetter]:
    pledges = PledgeLetter.objects.within(scope).select_related("officer", "unit", "campaign")
    if unit is not None:
        pledges = pledges.filter(unit__path__startswith=unit.path)
    if campaign is not None:
        pledges = pledges.filter(campaign=campaign)
    if date_from:
        pledges = pledges.filter(signed_date__gte=date_from)
    if date_to:
        pledges = pledges.filter(signed_date__lte=date_to)
    for term in (query or "").split():
        pledges = pledges.filter(officer__name__contains=term)
    return pledges.order_by("-signed_date", "-id")


def pledge_get(*, scope: Scope, pledge_id: int) -> PledgeLetter | None:
    return pledge_list(scope=scope).filter(pk=pledge_id).first()


# --- one officer (the officer file, 一人一档) ---------------------------------------------------

def officer_participations(*, scope: Scope, officer: Officer) -> QuerySet[ActivityParticipant]:
    """The activities an officer took part in (roster participation), newest first. A participation
    row carries the officer's unit, so it is in scope wherever the officer is, even when the activity
    was held by a unit above (whose record the viewer may not read: see activities_readable)."""
    return (ActivityParticipant.objects.within(scope).filter(officer=officer)
            .select_related("activity__activity_type", "activity__unit").order_by("-date", "-activity_id"))


def activities_readable(*, scope: Scope, activity_ids: list[int]) -> set[int]:
    """Which of these activity records the viewer may open (one query)."""
    return set(ActivityRecord.objects.within(scope).filter(pk__in=activity_ids).values_list("pk", flat=True))


def officer_talks(*, scope: Scope, officer: Officer) -> QuerySet[TalkRecord]:
    """Talks with the officer on either side (talked to, or the talker), under the talk rules of
    talk_list: confidential ones only for office administrators of the subtree and the two people."""
    return (talk_list(scope=scope).filter(Q(officer=officer) | Q(talker=officer))
            .select_related("talker__unit", "officer__unit"))


def officer_pledges(*, scope: Scope, officer: Officer) -> QuerySet[PledgeLetter]:
    return pledge_list(scope=scope).filter(officer=officer)


def pledge_scans_readable(*, scope: Scope, pledge_ids: list[int]) -> dict[int, EvidenceFile]:
    """The scan of each pledge that the viewer may download (same rule as evidence_get), one query."""
    files = _evidence_readable(scope).filter(pledge_id__in=pledge_ids).order_by("id")
    result: dict[int, EvidenceFile] = {}
    for f in files:
        result.setdefault(f.pledge_id, f)
    return result


def officer_choices(*, scope: Scope, unit: Unit | None = None) -> QuerySet[Officer]:
    officers = Officer.objects.within(scope).select_related("unit")
    if unit is not None:
        officers = officers.filter(unit__path__startswith=unit.path)
    return officers.order_by("unit__path", "name", "id")


def unit_get(*, scope: Scope, unit_id: int) -> Unit | None:
    return Unit.objects.within(scope).filter(pk=unit_id).first()


# --- pickers (search instead of listing the roster) ----------------------------------------------

def officer_search(*, scope: Scope, query: str, root: Unit | None = None, serving_only: bool = False,
                   limit: int = PICKER_LIMIT) -> list[Officer]:
    """At most `limit` officers in scope (and below `root`) matching the query: every word must
    match the name or the unit's name; a full ID number finds its officer by the keyed hash, 1–4
    digits match the tail of the masked number. An empty query finds nobody."""
    query = (query or "").strip()
    if not query:
        return []
    officers = Officer.objects.within(scope).select_related("unit")
    if root is not None:
        officers = officers.filter(unit__path__startswith=root.path)
    if serving_only:
        officers = officers.filter(status=OfficerStatus.SERVING)
    try:
        number = idnumbers.normalize(query)
    except idnumbers.InvalidIdNumber:
        number = None
    if number is not None:
        officers = officers.filter(id_number_hash=identity.lookup_hash(number))
    elif _ID_TAIL.match(query):
        officers = officers.filter(id_number_masked__endswith=query.upper())
    else:
        for term in query.split():
            officers = officers.filter(Q(name__contains=term) | Q(unit__name__contains=term))
    return list(officers.order_by("unit__path", "name", "id")[:limit])


def unit_search(*, scope: Scope, query: str = "", root: Unit | None = None,
                limit: int = PICKER_LIMIT) -> list[Unit]:
    """At most `limit` units in scope (and below `root`) whose name or code contains the query;
    with no query, the first units of the subtree in tree order (the root first)."""
    units = Unit.objects.within(scope).filter(is_active=True)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    for term in (query or "").split():
        units = units.filter(Q(name__contains=term) | Q(code__iexact=term))
    return list(units.order_by("path")[:limit])


def serving_counts(*, scope: Scope, units: list[Unit], root: Unit | None = None) -> dict[int, int]:
    """Serving officers in scope in each unit's subtree (and below `root`), in one query."""
    if not units:
        return {}
    officers = Officer.objects.within(scope).filter(status=OfficerStatus.SERVING)
    if root is not None:
        officers = officers.filter(unit__path__startswith=root.path)
    counts = officers.aggregate(**{f"u{u.id}": Count("id", filter=Q(unit__path__startswith=u.path)) for u in units})
    return {u.id: counts[f"u{u.id}"] or 0 for u in units}


def officers_by_ids(*, officers: QuerySet[Officer], ids) -> list[Officer]:
    """The officers of `officers` (an already scoped queryset) among the given ids, ignoring junk."""
    clean = {int(i) for i in ids if str(i).isdigit()}
    if not clean:
        return []
    return list(officers.filter(pk__in=clean).select_related("unit").order_by("unit__path", "name", "id"))


def units_by_ids(*, scope: Scope, ids, root: Unit | None = None) -> list[Unit]:
    clean = {int(i) for i in ids if str(i).isdigit()}
    if not clean:
        return []
    units = Unit.objects.within(scope).filter(pk__in=clean)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    return list(units.order_by("path"))


def participant_units(*, scope: Scope, unit: Unit) -> QuerySet[Unit]:
    """Units whose whole serving roster an activity of `unit` may add at once: its subtree, in scope."""
    return Unit.objects.within(scope).filter(path__startswith=unit.path)
