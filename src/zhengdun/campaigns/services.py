"""Writes for campaigns, templates, actions, completions and reminders.

Each service checks access, validates (ValidationError with a Chinese message naming the field)
and writes in one audited transaction.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.audit.chain import audited
from zhengdun.campaigns import builtin
from zhengdun.campaigns.lights import YELLOW_DAYS
from zhengdun.campaigns.models import (
    DONE_STATUSES,
    Action,
    ActionCompletion,
    ActionKind,
    Campaign,
    CampaignScopeUnit,
    CampaignTemplate,
    ChronicProblem,
    CompletionEvent,
    CompletionEventKind,
    CompletionStatus,
    FocusProblem,
    Notification,
    NotificationKind,
    Phase,
    Task,
    csv_field,
)
from zhengdun.org.access import Scope, scope_for
from zhengdun.org.models import Level, Role, Unit, UnitKind, User


def _scope(actor) -> Scope | None:
    return scope_for(actor) if actor is not None else None


def _require_office(scope: Scope | None, unit: Unit, message: str) -> None:
    """Only an office administrator whose scope covers `unit` (or a system administrator) may act for it."""
    if scope is None:
        return
    if not (scope.everything or (scope.has_role(Role.OFFICE_ADMIN) and scope.can_write_unit(unit))):
        raise PermissionDenied(message)


# --- templates --------------------------------------------------------------------------------

def template_copy(*, actor: User, template: CampaignTemplate, unit: Unit, name: str = "") -> CampaignTemplate:
    """An office copies a template (built-in or its own) into an editable template of its own."""
    _require_office(_scope(actor), unit, "只有教整办管理员可以复制模板")
    name = (name or f"{template.name}（副本）").strip()[:100]
    with audited(actor=actor, action="campaign_template.copy"):
        return CampaignTemplate.objects.create(name=name, description=template.description, unit=unit,
                                               is_builtin=False, data=copy.deepcopy(template.data),
                                               source=template)


def template_update(*, actor: User, template: CampaignTemplate, name: str, description: str,
                    data: dict) -> CampaignTemplate:
    """Edit an office's own template; built-in templates are read-only (copy them first)."""
    if template.is_builtin or template.unit_id is None:
        raise PermissionDenied("内置模板不能修改，请先复制为本单位模板")
    _require_office(_scope(actor), template.unit, "无权修改该模板")
    if not name.strip():
        raise ValidationError({"name": "模板名称不能为空"})
    builtin.validate_template_data(data)
    with audited(actor=actor, action="campaign_template.update"):
        template.name = name.strip()[:100]
        template.description = description
        template.data = data
        template.save()
    return template


def template_seed_builtin() -> CampaignTemplate:
    """Create (or refresh) the built-in 2021 template; used by the data migration and by tests."""
    template = CampaignTemplate.objects.filter(code=builtin.BUILTIN_2021_CODE, is_builtin=True).first()
    if template is None:
        with audited(actor=None, action="campaign_template.seed"):
            template = CampaignTemplate.objects.create(
                code=builtin.BUILTIN_2021_CODE, is_builtin=True, name="2021年政法队伍教育整顿（内置模板）",
                description="“1345”：一个目标、三个环节、四项任务、五大问题；含六大顽瘴痼疾和各环节规定动作示例。",
                data=copy.deepcopy(builtin.BUILTIN_2021))
    return template


# --- campaigns --------------------------------------------------------------------------------

def campaign_create_from_template(*, actor: User | None, template: CampaignTemplate, name: str, year: int,
                                  owner_unit: Unit, offset_days: int = 0, with_actions: bool = True,
                                  scope_units: list[Unit] | None = None, batch: str | None = None) -> Campaign:
    """Create a campaign with the template's phases, tasks, problems and (by default) its example
    required actions, issued by the owner office for every unit below it.

    `offset_days` shifts every date of the template (used to place a demo campaign around today).
    """
    scope = _scope(actor)
    _require_office(scope, owner_unit, "只有教整办管理员可以为本单位创建整顿计划")
    if not (name or "").strip():
        raise ValidationError({"name": "整顿计划名称不能为空"})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": "年度应在 2000–2100 之间"})
    data = builtin.validate_template_data(template.data, year=year)
    shift = dt.timedelta(days=offset_days)

    def day(value, field):
        return builtin.month_day(value, year, field=field) + shift

    phases = data["phases"]
    start = day(data.get("start") or phases[0]["start"], "start")
    end = day(data.get("end") or phases[-1]["end"], "end")
    roots = scope_units or [owner_unit]
    for root in roots:
        if not root.path.startswith(owner_unit.path):
            raise ValidationError({"scope_units": f"参加单位“{root.name}”不在本单位管辖范围内"})
    with audited(actor=actor, action="campaign.create_from_template"):
        campaign = Campaign.objects.create(
            unit=owner_unit, name=name.strip(), year=year, batch=batch or data.get("batch") or "first",
            goal=data.get("goal", ""), start_date=start, end_date=end,
            officer_categories=csv_field(data.get("officer_categories") or []), template=template,
            created_by=actor if getattr(actor, "pk", None) else None)
        CampaignScopeUnit.objects.bulk_create([CampaignScopeUnit(campaign=campaign, unit=u) for u in roots])
        by_key = {}
        for order, p in enumerate(phases, start=1):
            phase = Phase.objects.create(
                campaign=campaign, key=str(p.get("key") or f"phase{order}"), name=p["name"], order=order,
                start_date=day(p["start"], "phases"), end_date=day(p["end"], "phases"),
                goals=p.get("goals", ""), throughout=bool(p.get("throughout")))
            by_key[phase.key] = by_key[phase.name] = phase
        for model, section in ((Task, "tasks"), (FocusProblem, "problems"), (ChronicProblem, "chronic_problems")):
            model.objects.bulk_create([
                model(campaign=campaign, order=i, name=item["name"], description=item.get("description", ""))
                for i, item in enumerate(data.get(section) or [], start=1)])
        if with_actions:
            Action.objects.bulk_create([
                Action(unit=owner_unit, campaign=campaign, phase=by_key[a["phase"]], kind=ActionKind.REQUIRED,
                       title=a["title"], description=a.get("description", ""), deadline=day(a["due"], "actions"),
                       evidence_requirement=a.get("evidence", ""),
                       created_by=actor if getattr(actor, "pk", None) else None)
                for a in data.get("actions") or []])
    return campaign


# --- actions ----------------------------------------------------------------------------------

def _check_action_fields(*, campaign: Campaign, phase: Phase | None, title: str, deadline: dt.date) -> None:
    if not (title or "").strip():
        raise ValidationError({"title": "动作名称不能为空"})
    if phase is not None and phase.campaign_id != campaign.id:
        raise ValidationError({"phase": "所选环节不属于该整顿计划"})
    if deadline is None:
        raise ValidationError({"deadline": "请填写完成时限"})
    if not (campaign.start_date <= deadline <= campaign.end_date):
        raise ValidationError({"deadline": f"完成时限应在整顿计划期间（{campaign.start_date:%Y-%m-%d} 至 "
                                           f"{campaign.end_date:%Y-%m-%d}）内"})


def required_action_create(*, actor: User, campaign: Campaign, issuing_unit: Unit, title: str, deadline: dt.date,
                           phase: Phase | None = None, description: str = "", evidence_requirement: str = "",
                           target_kinds: list[str] | None = None,
                           target_levels: list[str] | None = None) -> Action:
    """An office issues a required action (规定动作) for the units below it: all of them, or those of the
    given kinds and/or levels. The issuing unit must take part in the campaign."""
    _require_office(_scope(actor), issuing_unit, "只有本级教整办管理员可以下达规定动作")
    _check_action_fields(campaign=campaign, phase=phase, title=title, deadline=deadline)
    roots = list(campaign.scope_units.all())
    if not any(issuing_unit.path.startswith(r.path) or r.path.startswith(issuing_unit.path) for r in roots) \
            and not issuing_unit.path.startswith(campaign.unit.path):
        raise ValidationError({"issuing_unit": "下达单位不在该整顿计划的参加范围内"})
    kinds = [k for k in (target_kinds or []) if k]
    levels = [v for v in (target_levels or []) if v]
    if set(kinds) - set(UnitKind.values):
        raise ValidationError({"target_kinds": "对象单位类别不正确"})
    if set(levels) - set(Level.values):
        raise ValidationError({"target_levels": "对象单位级别不正确"})
    if not Unit.objects.filter(path__startswith=issuing_unit.path).exclude(pk=issuing_unit.pk).exists():
        raise ValidationError({"issuing_unit": "该单位没有下级单位，请改为添加自选动作"})
    with audited(actor=actor, action="action.issue"):
        return Action.objects.create(
            unit=issuing_unit, campaign=campaign, phase=phase, kind=ActionKind.REQUIRED, title=title.strip(),
            description=description, deadline=deadline, evidence_requirement=evidence_requirement,
            target_kinds=csv_field(kinds), target_levels=csv_field(levels), created_by=actor)


def optional_action_create(*, actor: User, campaign: Campaign, unit: Unit, title: str, deadline: dt.date,
                           phase: Phase | None = None, description: str = "",
                           evidence_requirement: str = "") -> Action:
    """A unit adds its own optional action (自选动作); the unit is its only target."""
    scope = _scope(actor)
    if scope is not None and not scope.can_write_unit(unit):
        raise PermissionDenied("无权为该单位添加自选动作")
    _check_action_fields(campaign=campaign, phase=phase, title=title, deadline=deadline)
    with audited(actor=actor, action="action.add_optional"):
        return Action.objects.create(
            unit=unit, campaign=campaign, phase=phase, kind=ActionKind.OPTIONAL, title=title.strip(),
            description=description, deadline=deadline, evidence_requirement=evidence_requirement,
            created_by=actor)


# --- completion -------------------------------------------------------------------------------

def completion_declare(*, actor: User | None, action: Action, unit: Unit, note: str,
                       files: list[tuple[object, str]] = (), activities=(),
                       today: dt.date | None = None) -> ActionCompletion:
    """A unit declares an action complete with evidence: a note, files, and/or the unit's activity
    records that fulfil it. One entry, many uses (一次录入，多次调用): an activity already recorded with
    its evidence is cited, not uploaded again — citing links the record to the action
    (ActivityRecord.action), and the unit's records already linked count as cited. When the action
    states an evidence requirement, a declaration needs a file or a cited/linked record.

    Only a target of the action may declare (below the issuer, of its kinds and levels, inside the
    campaign's participating units, active). A returned completion is re-declared. Every file is
    checked before anything is written; a bad file refuses the whole."""
    from zhengdun.activities import evidence
    from zhengdun.activities.models import ActivityRecord

    scope = _scope(actor)
    if scope is not None and not scope.can_write_unit(unit):
        raise PermissionDenied("无权为该单位申报完成情况")
    reason = action.why_not_target(unit)
    if reason:
        raise ValidationError({"action": reason})
    cited = list(activities or [])
    for record in cited:
        if record.unit_id != unit.id or record.campaign_id != action.campaign_id \
                or record.action_id not in (None, action.id):
            raise ValidationError({"activities": _("活动记录“%(title)s”不是本单位在该整顿计划中可引用的记录"
                                                   "（只能引用本单位登记、尚未关联其他动作的活动记录）")
                                   % {"title": record.title}})
    linked = ActivityRecord.objects.filter(unit=unit, action=action).exists()
    has_evidence = bool(files) or bool(cited) or linked
    if (action.evidence_requirement or "").strip() and not has_evidence:
        raise ValidationError({"files": _("该动作要求提供佐证材料（%(requirement)s）：请上传佐证材料，"
                                          "或引用本单位已登记的落实该动作的活动记录")
                               % {"requirement": action.evidence_requirement.strip()[:100]}})
    if not (note or "").strip() and not has_evidence:
        raise ValidationError({"note": "请填写完成情况说明或上传佐证材料"})
    checked = evidence.check_files(list(files))
    today = today or timezone.localdate()
    now = timezone.now()
    existing = ActionCompletion.objects.filter(action=action, unit=unit).first()
    if existing is not None and existing.status != CompletionStatus.RETURNED:
        raise ValidationError({"action": "该动作已申报完成，无需重复申报"})
    text = note.strip()
    if cited:
        text = "\n".join(filter(None, [text, _("引用活动记录：%(records)s") % {
            "records": "、".join(f"{r.title}（{r.date:%Y-%m-%d}）" for r in cited)}]))
    with evidence.StoredFiles() as stored, audited(actor=actor, action="action.declare"):
        if existing is None:
            completion = ActionCompletion.objects.create(
                action=action, unit=unit, status=CompletionStatus.DECLARED, note=note.strip(),
                declared_on=today, declared_at=now, declared_by=actor)
            kind = CompletionEventKind.DECLARE
        else:
            completion = existing
            completion.status = CompletionStatus.REDECLARED
            completion.note = note.strip()
            completion.declared_on, completion.declared_at, completion.declared_by = today, now, actor
            completion.save()
            kind = CompletionEventKind.REDECLARE
        ActivityRecord.objects.filter(pk__in=[r.pk for r in cited], action__isnull=True).update(action=action)
        CompletionEvent.objects.create(completion=completion, unit=unit, kind=kind, text=text, by=actor, at=now)
        stored.store(checked, unit_id=unit.id, actor=actor, completion=completion)
    return completion


def _require_issuer(actor, completion: ActionCompletion, message: str) -> None:
    _require_office(_scope(actor), completion.action.unit, message)
    if completion.action.kind == ActionKind.OPTIONAL:
        raise PermissionDenied("自选动作由本单位自行落实，无需上级审核")


def completion_return(*, actor: User, completion: ActionCompletion, reason: str) -> ActionCompletion:
    """The issuing level returns a declared completion with a reason; the unit is notified."""
    _require_issuer(actor, completion, "只有下达该动作的教整办可以退回")
    if not (reason or "").strip():
        raise ValidationError({"reason": "请填写退回理由"})
    if completion.status not in (CompletionStatus.DECLARED, CompletionStatus.REDECLARED, CompletionStatus.ACCEPTED):
        raise ValidationError({"status": "该动作当前不是已申报状态，不能退回"})
    now = timezone.now()
    with audited(actor=actor, action="action.return"):
        completion.status = CompletionStatus.RETURNED
        completion.return_reason = reason.strip()
        completion.return_count += 1
        completion.reviewed_at, completion.reviewed_by = now, actor
        completion.save()
        CompletionEvent.objects.create(completion=completion, unit_id=completion.unit_id,
                                       kind=CompletionEventKind.RETURN, text=reason.strip(), by=actor, at=now)
        Notification.objects.get_or_create(
            unit_id=completion.unit_id, action=completion.action, kind=NotificationKind.RETURNED,
            day=timezone.localdate(),
            defaults={"message": f"“{completion.action.title}”被退回：{reason.strip()}"[:300]})
    return completion


def completion_accept(*, actor: User, completion: ActionCompletion) -> ActionCompletion:
    _require_issuer(actor, completion, "只有下达该动作的教整办可以确认")
    if completion.status not in (CompletionStatus.DECLARED, CompletionStatus.REDECLARED):
        raise ValidationError({"status": "只有已申报的动作可以确认完成"})
    now = timezone.now()
    with audited(actor=actor, action="action.accept"):
        completion.status = CompletionStatus.ACCEPTED
        completion.reviewed_at, completion.reviewed_by = now, actor
        completion.save()
        CompletionEvent.objects.create(completion=completion, unit_id=completion.unit_id,
                                       kind=CompletionEventKind.ACCEPT, by=actor, at=now)
    return completion


def completion_accept_many(*, actor: User, action: Action, completions: list[ActionCompletion]) -> dict[str, int]:
    """The issuing office confirms several declarations of one action at once (确认所选). Each is
    confirmed exactly as one at a time (completion_accept: the issuer's check, its own event and
    audit entry), all in one transaction. Only declared or re-declared ones are confirmed; the
    others are skipped, never changed — returning needs a reason per unit, so it is never bulk.
    Returns {"accepted": n, "skipped": m}."""
    _require_office(_scope(actor), action.unit, "只有下达该动作的教整办可以确认")
    if action.kind == ActionKind.OPTIONAL:
        raise PermissionDenied("自选动作由本单位自行落实，无需上级审核")
    accepted = skipped = 0
    with audited(actor=actor, action="action.accept_selected"):
        for completion in completions:
            if completion.action_id != action.id:
                raise ValidationError({"units": "所选单位的申报不属于该动作"})
            if completion.status not in (CompletionStatus.DECLARED, CompletionStatus.REDECLARED):
                skipped += 1
                continue
            completion_accept(actor=actor, completion=completion)
            accepted += 1
    return {"accepted": accepted, "skipped": skipped}


# --- reminders --------------------------------------------------------------------------------

def target_units_q(action: Action, root_paths: list[str] | None = None) -> Q:
    """Units an action asks something of, as a Q on Unit (prefix below the issuer, kind/level filters,
    inside the campaign's participating roots; `root_paths`: their paths, when the caller has
    already read them)."""
    if action.kind == ActionKind.OPTIONAL:
        return Q(pk=action.unit_id)
    q = Q(path__startswith=action.unit.path) & ~Q(pk=action.unit_id) & Q(is_active=True)
    if action.target_kinds:
        q &= Q(kind__in=action.target_kind_list())
    if action.target_levels:
        q &= Q(level__in=action.target_level_list())
    roots = Q(pk__in=[])
    if root_paths is None:
        root_paths = list(action.campaign.scope_units.values_list("path", flat=True))
    for path in root_paths:
        roots |= Q(path__startswith=path)
    return q & roots


def reminders_send(*, today: dt.date | None = None) -> int:
    """The daily reminder run: unit reminders (unit_reminders_send) and the issuing offices' digests
    (office_digests_send). Idempotent per day: returns how many notifications are new."""
    today = today or timezone.localdate()
    return unit_reminders_send(today=today) + office_digests_send(today=today)


def unit_reminders_send(*, today: dt.date | None = None) -> int:
    """Create in-app reminders for every unit whose action is yellow (due within YELLOW_DAYS) or red
    (overdue) and not done, in campaigns still running. Idempotent per day: returns how many new."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=YELLOW_DAYS)
    actions = (Action.objects.filter(deadline__lte=horizon, campaign__end_date__gte=today,
                                     campaign__start_date__lte=today)
               .select_related("unit", "campaign"))
    created = 0
    with audited(actor=None, action="reminders.send"):
        for action in actions:
            kind = NotificationKind.OVERDUE if action.deadline < today else NotificationKind.DUE_SOON
            done = ActionCompletion.objects.filter(action=action, status__in=DONE_STATUSES).values("unit_id")
            unit_ids = list(Unit.objects.filter(target_units_q(action)).exclude(pk__in=done)
                            .values_list("pk", flat=True))
            if not unit_ids:
                continue
            if kind == NotificationKind.OVERDUE:
                message = f"“{action.title}”已超过完成时限（{action.deadline:%m月%d日}），请尽快落实并申报"
            else:
                message = f"“{action.title}”将于 {action.deadline:%m月%d日} 到期，请按时落实并申报"
            existing = set(Notification.objects.filter(action=action, kind=kind, day=today, unit_id__in=unit_ids)
                           .values_list("unit_id", flat=True))
            rows = [Notification(unit_id=u, action=action, kind=kind, day=today, message=message[:300])
                    for u in unit_ids if u not in existing]
            Notification.objects.bulk_create(rows, batch_size=1000)
            created += len(rows)
    return created


def office_digests_send(*, today: dt.date | None = None) -> int:
    """A daily digest to each issuing office: for each of its required actions in a running campaign,
    how many target units are overdue (deadline passed, not declared; returned ones included) and how
    many have a declaration returned and not yet re-declared. The units get their own reminders; the
    office gets one line per action, linking to its matrix, so it does not have to read theirs.
    An action with nothing overdue or returned sends nothing. Idempotent per day (one digest per
    action and day): returns how many are new."""
    today = today or timezone.localdate()
    returned = ActionCompletion.objects.filter(action=OuterRef("pk"), status=CompletionStatus.RETURNED)
    actions = list(Action.objects.filter(kind=ActionKind.REQUIRED, campaign__start_date__lte=today,
                                         campaign__end_date__gte=today)
                   .filter(Q(deadline__lt=today) | Exists(returned)).select_related("unit", "campaign"))
    sent = set(Notification.objects.filter(kind=NotificationKind.DIGEST, day=today,
                                           action__in=[a.id for a in actions]).values_list("action_id", flat=True))
    rows = []
    for action in actions:
        if action.id in sent:
            continue
        done = ActionCompletion.objects.filter(action=action, status__in=DONE_STATUSES).values("unit_id")
        back = ActionCompletion.objects.filter(action=action, status=CompletionStatus.RETURNED).values("unit_id")
        counts = Unit.objects.filter(target_units_q(action)).aggregate(
            total=Count("pk"), open=Count("pk", filter=~Q(pk__in=done)), returned=Count("pk", filter=Q(pk__in=back)))
        overdue = counts["open"] if action.deadline < today else 0
        if not (overdue or counts["returned"]):
            continue
        values = {"title": action.title, "deadline": action.deadline.strftime("%Y-%m-%d"), "overdue": overdue,
                  "returned": counts["returned"], "total": counts["total"]}
        if overdue:
            message = _("“%(title)s”已过完成时限（%(deadline)s）：%(overdue)d 个对象单位逾期未完成"
                        "（其中被退回 %(returned)d 个），共 %(total)d 个对象单位") % values
        else:
            message = _("“%(title)s”：%(returned)d 个对象单位的申报被退回、尚未重新申报"
                        "（共 %(total)d 个对象单位，时限 %(deadline)s）") % values
        rows.append(Notification(unit_id=action.unit_id, action=action, kind=NotificationKind.DIGEST, day=today,
                                 message=message[:300]))
    with audited(actor=None, action="reminders.digest"):
        Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)  # a concurrent run
    return len(rows)


def notification_mark_read(*, actor: User, notification: Notification) -> None:
    scope = scope_for(actor)
    if not scope.can_read_unit(notification.unit):
        raise PermissionDenied("无权处理该提醒")
    with audited(actor=actor, action="notification.read"):
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread reminder in the actor's scope as read (the same rule as one at a time:
    reminders of the units the actor reads); returns how many were marked."""
    scope = scope_for(actor)
    with audited(actor=actor, action="notification.read_all"):
        return Notification.objects.within(scope).filter(read_at__isnull=True).update(read_at=timezone.now())



