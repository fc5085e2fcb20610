"""Writes for activity records, talks and pledge letters. A record and its files are created in one
audited transaction; files are checked before anything is stored (see evidence.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengdun.activities import evidence
from zhengdun.activities.models import (
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    EvidenceFile,
    EvidenceKind,
    ParticipantMode,
    PledgeLetter,
    TalkRecord,
)
from zhengdun.audit.chain import audited
from zhengdun.campaigns.models import Action, Campaign
from zhengdun.org.access import Scope, scope_for
from zhengdun.org.models import Officer, Role, Unit, User


def _scope(actor) -> Scope | None:
    return scope_for(actor) if actor is not None else None


def _require_write(scope: Scope | None, unit: Unit, message: str = "无权为该单位登记记录") -> None:
    if scope is not None and not scope.can_write_unit(unit):
        raise PermissionDenied(message)


def _check_date_in_campaign(campaign: Campaign, day: dt.date | None, field: str = "date") -> None:
    if day is None:
        raise ValidationError({field: "请填写日期"})
    if not (campaign.start_date <= day <= campaign.end_date):
        raise ValidationError({field: f"日期 {day:%Y-%m-%d} 不在整顿计划期间（{campaign.start_date:%Y-%m-%d} 至 "
                                      f"{campaign.end_date:%Y-%m-%d}）内"})


def _check_campaign_covers(campaign: Campaign, unit: Unit) -> None:
    roots = list(campaign.scope_units.values_list("path", flat=True))
    if not any(unit.path.startswith(p) for p in roots):
        raise ValidationError({"campaign": f"“{unit.name}”不在该整顿计划的参加范围内"})


def _check_activity(*, scope: Scope | None, unit: Unit, campaign: Campaign, activity_type: ActivityType, title: str,
                    date: dt.date, action: Action | None, participants: list[Officer], headcount: int | None,
                    has_sign_in: bool, type_unchanged: bool = False) -> tuple[str, int]:
    """The rules of an activity record, the same on create and edit; returns (mode, person-times).
    Participants come from the roster of the unit's subtree inside the actor's scope; a head-count
    needs a sign-in sheet."""
    if not (title or "").strip():
        raise ValidationError({"title": "请填写活动名称"})
    if not activity_type.is_active and not type_unchanged:
        raise ValidationError({"activity_type": "该活动类型已停用"})
    _check_campaign_covers(campaign, unit)
    _check_date_in_campaign(campaign, date)
    if action is not None:
        if action.campaign_id != campaign.id:
            raise ValidationError({"action": "所选动作不属于该整顿计划"})
        if not action.targets(unit) and action.unit_id != unit.id:
            raise ValidationError({"action": "所选动作不是对本单位的要求"})
    if participants:
        ids = {o.id for o in participants}
        if len(ids) != len(participants):
            raise ValidationError({"participants": "参加人员有重复"})
        allowed = Officer.objects.filter(pk__in=ids, unit__path__startswith=unit.path)
        if scope is not None and not scope.everything:
            allowed = allowed.filter(scope.unit_q("unit"))
        allowed_ids = set(allowed.values_list("pk", flat=True))
        outside = [o.name for o in participants if o.id not in allowed_ids]
        if outside:
            raise ValidationError({"participants": f"参加人员{('、'.join(outside[:5]))}不属于“{unit.name}”及其下级单位"
                                                   f"或不在您的管辖范围内"})
        return ParticipantMode.ROSTER, len(participants)
    if not headcount or headcount <= 0:
        raise ValidationError({"headcount": "请从名册选择参加人员，或填写参加人数并上传签到表"})
    if not has_sign_in:
        raise ValidationError({"files": "按人数登记时必须上传签到表"})
    return ParticipantMode.HEADCOUNT, int(headcount)


def _has_sign_in(files) -> bool:
    return any(kind == EvidenceKind.SIGN_IN for upload, kind in files if upload)


def activity_create(*, actor: User | None, unit: Unit, campaign: Campaign, activity_type: ActivityType, title: str,
                    date: dt.date, place: str = "", organiser: str = "", education_category: str | None = None,
                    participants: list[Officer] | None = None, headcount: int | None = None,
                    action: Action | None = None, summary: str = "",
                    files: list[tuple[object, str]] = ()) -> ActivityRecord:
    """Record an activity once. Participants are picked from the roster of the unit's subtree (and the
    actor's scope), or given as a head-count with a sign-in sheet attached."""
    scope = _scope(actor)
    _require_write(scope, unit)
    participants = list(participants or [])
    mode, person_times = _check_activity(scope=scope, unit=unit, campaign=campaign, activity_type=activity_type,
                                         title=title, date=date, action=action, participants=participants,
                                         headcount=headcount, has_sign_in=_has_sign_in(files))
    category = activity_type.education_category if education_category is None else education_category
    checked = evidence.check_files(list(files))
    with evidence.StoredFiles() as stored, audited(actor=actor, action="activity.create"):
        record = ActivityRecord.objects.create(
            unit=unit, campaign=campaign, activity_type=activity_type, education_category=category or "",
            title=title.strip(), date=date, place=place, organiser=organiser, participant_mode=mode,
            headcount=int(headcount or 0) if mode == ParticipantMode.HEADCOUNT else 0, person_times=person_times,
            action=action, summary=summary, created_by=actor if getattr(actor, "pk", None) else None)
        ActivityParticipant.objects.bulk_create([
            ActivityParticipant(activity=record, officer=o, unit_id=o.unit_id, date=date) for o in participants
        ], batch_size=1000)
        stored.store(checked, unit_id=unit.id, actor=actor, activity=record)
    return record


def activity_update(*, actor: User, activity: ActivityRecord, campaign: Campaign, activity_type: ActivityType,
                    title: str, date: dt.date, place: str = "", organiser: str = "",
                    education_category: str | None = None, participants: list[Officer] | None = None,
                    headcount: int | None = None, action: Action | None = None, summary: str = "",
                    files: list[tuple[object, str]] = (), remove_evidence: list[int] = ()) -> ActivityRecord:
    """Correct an activity record: only the unit that owns it (a writer of that unit), under the same
    rules as on create. The unit stays; participants are replaced by the new list (rows kept for
    those who stay, so the figures move only by the difference); files may be added and removed —
    a head-count record keeps at least one sign-in sheet. Removed files leave the disk after commit."""
    scope = _scope(actor)
    _require_write(scope, activity.unit, "只有登记该活动的单位可以修改该记录")
    participants = list(participants or [])
    current_files = list(EvidenceFile.objects.filter(activity=activity))
    removing = {int(i) for i in remove_evidence}
    unknown = removing - {f.id for f in current_files}
    if unknown:
        raise ValidationError({"remove_evidence": "要删除的材料不属于该活动记录"})
    kept_sign_in = any(f.kind == EvidenceKind.SIGN_IN and f.id not in removing for f in current_files)
    mode, person_times = _check_activity(
        scope=scope, unit=activity.unit, campaign=campaign, activity_type=activity_type, title=title, date=date,
        action=action, participants=participants, headcount=headcount,
        has_sign_in=kept_sign_in or _has_sign_in(files), type_unchanged=activity_type.pk == activity.activity_type_id)
    category = activity_type.education_category if education_category is None else education_category
    checked = evidence.check_files(list(files))
    doomed = [f for f in current_files if f.id in removing]
    with evidence.StoredFiles() as stored, audited(actor=actor, action="activity.update"):
        activity.campaign, activity.activity_type, activity.education_category = campaign, activity_type, category or ""
        activity.title, activity.date, activity.place, activity.organiser = title.strip(), date, place, organiser
        activity.participant_mode, activity.person_times = mode, person_times
        activity.headcount = int(headcount or 0) if mode == ParticipantMode.HEADCOUNT else 0
        activity.action, activity.summary = action, summary
        activity.save()
        rows = dict(ActivityParticipant.objects.filter(activity=activity).values_list("officer_id", "id"))
        wanted = {o.id for o in participants}
        gone = [pk for officer_id, pk in rows.items() if officer_id not in wanted]
        if gone:
            ActivityParticipant.objects.filter(pk__in=gone).delete()
        ActivityParticipant.objects.filter(activity=activity).exclude(date=date).update(date=date)
        ActivityParticipant.objects.bulk_create([
            ActivityParticipant(activity=activity, officer=o, unit_id=o.unit_id, date=date)
            for o in participants if o.id not in rows
        ], batch_size=1000)
        if doomed:
            EvidenceFile.objects.filter(pk__in=[f.id for f in doomed]).delete()
            paths = [evidence.path_of(f) for f in doomed]
            transaction.on_commit(lambda: [p.unlink(missing_ok=True) for p in paths])
        stored.store(checked, unit_id=activity.unit_id, actor=actor, activity=activity)
    return activity


def activity_add_evidence(*, actor: User, activity: ActivityRecord, files: list[tuple[object, str]]) -> int:
    _require_write(_scope(actor), activity.unit)
    checked = evidence.check_files(list(files))
    if not checked:
        raise ValidationError({"files": "请选择要上传的文件"})
    with evidence.StoredFiles() as stored, audited(actor=actor, action="activity.add_evidence"):
        stored.store(checked, unit_id=activity.unit_id, actor=actor, activity=activity)
    return len(checked)


def activity_type_create(*, actor: User, code: str, name: str, education_category: str = "",
                         sort_order: int = 100) -> ActivityType:
    """Add a configurable activity type (system or office administrators)."""
    scope = scope_for(actor)
    if not (scope.everything or scope.has_role(Role.OFFICE_ADMIN)):
        raise PermissionDenied("只有系统管理员或教整办管理员可以新增活动类型")
    if not (name or "").strip() or not (code or "").strip():
        raise ValidationError({"name": "请填写活动类型代码和名称"})
    if ActivityType.objects.filter(name=name.strip()).exists() or ActivityType.objects.filter(code=code).exists():
        raise ValidationError({"name": "该活动类型已存在"})
    with audited(actor=actor, action="activity_type.create"):
        return ActivityType.objects.create(code=code.strip(), name=name.strip(),
                                           education_category=education_category, sort_order=sort_order)


def talk_create(*, actor: User | None, campaign: Campaign, talker: Officer, officer: Officer, round: int,
                date: dt.date, kind: str, note: str = "", is_confidential: bool = True) -> TalkRecord:
    """Record a heart-to-heart talk between two officers in a round (confidential by default)."""
    scope = _scope(actor)
    _require_write(scope, officer.unit, "无权为该干警登记谈话")
    if scope is not None and not scope.can_read_unit(talker.unit):
        raise ValidationError({"talker": _("谈话人“%(name)s”不在您的管辖范围内，请从本单位及下级单位的干警中选择")
                               % {"name": talker.name}})
    if talker.id == officer.id:
        raise ValidationError({"officer": "谈话人和谈话对象不能是同一人"})
    if not round or round < 1:
        raise ValidationError({"round": "轮次应为 1 或以上的整数"})
    _check_campaign_covers(campaign, officer.unit)
    _check_date_in_campaign(campaign, date)
    if TalkRecord.objects.filter(campaign=campaign, talker=talker, officer=officer, round=round).exists():
        raise ValidationError({"round": f"第 {round} 轮中已登记过 {talker.name} 与 {officer.name} 的谈话"})
    with audited(actor=actor, action="talk.create"):
        return TalkRecord.objects.create(campaign=campaign, unit_id=officer.unit_id, talker=talker, officer=officer,
                                         round=round, date=date, kind=kind, note=note,
                                         is_confidential=is_confidential,
                                         created_by=actor if getattr(actor, "pk", None) else None)


def pledge_create(*, actor: User | None, campaign: Campaign, officer: Officer, signed_date: dt.date,
                  scan=None, note: str = "") -> PledgeLetter:
    """Register an officer's signed pledge letter with its scan (one per officer per campaign). The
    scan is required and is an image or a PDF (jpg/png/pdf), as the form says."""
    scope = _scope(actor)
    _require_write(scope, officer.unit, "无权为该干警登记承诺书")
    _check_campaign_covers(campaign, officer.unit)
    _check_date_in_campaign(campaign, signed_date, "signed_date")
    if PledgeLetter.objects.filter(campaign=campaign, officer=officer).exists():
        raise ValidationError({"officer": f"{officer.name} 在该整顿计划中已登记承诺书"})
    if not scan:
        raise ValidationError({"scan": _("请上传签字后的承诺书扫描件（jpg、png 或 pdf）")})
    try:
        checked = [evidence.check_file(scan, kind=EvidenceKind.SCAN, allowed=evidence.SCAN_TYPES)]
    except ValidationError as exc:
        raise ValidationError({"scan": exc.messages}) from exc
    with evidence.StoredFiles() as stored, audited(actor=actor, action="pledge.create"):
        pledge = PledgeLetter.objects.create(campaign=campaign, unit_id=officer.unit_id, officer=officer,
                                             signed_date=signed_date, note=note,
                                             created_by=actor if getattr(actor, "pk", None) else None)
        stored.store(checked, unit_id=officer.unit_id, actor=actor, pledge=pledge)
    return pledge
