"""Reads of activities, talks, pledges and evidence; every one starts from the scoping layer."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q, QuerySet

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
from zhengdun.org.access import Scope
from zhengdun.org.models import Officer, Role, RoleAssignment, Unit


def activity_types(*, active_only: bool = True) -> QuerySet[ActivityType]:
    types = ActivityType.objects.all()
    return types.filter(is_active=True) if active_only else types


def activity_list(*, scope: Scope, unit: Unit | None = None, activity_type: ActivityType | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  campaign: Campaign | None = None, education_category: str = "") -> QuerySet[ActivityRecord]:
    records = ActivityRecord.objects.within(scope).select_related("unit", "activity_type", "campaign")
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


def activity_evidence(*, activity: ActivityRecord) -> list[EvidenceFile]:
    return list(activity.evidence.all())


def five_haves(files: list[EvidenceFile], *, mode: str = "") -> list[dict]:
    """The 五有 checklist computed from the kinds of the attached files."""
    kinds = {f.kind for f in files}
    labels = dict(EvidenceKind.choices)
    return [{"kind": k, "label": labels[k], "ok": k in kinds} for k in FIVE_HAVES]


def participant_officers(*, scope: Scope, unit: Unit) -> QuerySet[Officer]:
    """Roster an activity of `unit` may pick from: the unit's subtree, inside the caller's scope."""
    officers = Officer.objects.within(scope).filter(unit__path__startswith=unit.path, status="serving")
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
              round: int | None = None) -> QuerySet[TalkRecord]:
    """Confidential talks: office administrators of the subtree and the two people themselves.
    A talk marked not confidential is also visible through the ordinary unit scope."""
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
    return talks.order_by("-date", "-id")


def talk_get(*, scope: Scope, talk_id: int) -> TalkRecord | None:
    return talk_list(scope=scope).filter(pk=talk_id).first()


# --- pledges ----------------------------------------------------------------------------------

def pledge_list(*, scope: Scope, unit: Unit | None = None, campaign: Campaign | None = None) -> QuerySet[PledgeLetter]:
    pledges = PledgeLetter.objects.within(scope).select_related("officer", "unit", "campaign")
    if unit is not None:
        pledges = pledges.filter(unit__path__startswith=unit.path)
    if campaign is not None:
        pledges = pledges.filter(campaign=campaign)
    return pledges.order_by("-signed_date", "-id")


def pledge_evidence(*, pledge_ids: list[int]) -> dict[int, EvidenceFile]:
    return {f.pledge_id: f for f in EvidenceFile.objects.filter(pledge_id__in=pledge_ids)}


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
