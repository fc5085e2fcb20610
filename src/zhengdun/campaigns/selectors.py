"""Reads of campaigns, templates, actions and their traffic lights.

Campaigns and required actions are issued by an office but seen by the units below it, so they are
read with `visible_to(scope)` (see models) rather than plain `within(scope)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zhengdun.campaigns.lights import Light, light_for
from zhengdun.campaigns.models import (
    Action,
    ActionCompletion,
    ActionKind,
    Campaign,
    CampaignTemplate,
    Notification,
)
from zhengdun.campaigns.services import target_units_q
from zhengdun.org import selectors as org_selectors
from zhengdun.org.access import Scope
from zhengdun.org.models import Role, Unit

# --- campaigns and templates ------------------------------------------------------------------

def campaign_list(*, scope: Scope) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(scope).select_related("unit").order_by("-start_date", "id")


def campaign_get(*, scope: Scope, campaign_id: int) -> Campaign | None:
    return campaign_list(scope=scope).filter(pk=campaign_id).first()


def campaign_current(*, scope: Scope, today: dt.date | None = None) -> Campaign | None:
    today = today or timezone.localdate()
    campaigns = campaign_list(scope=scope)
    return (campaigns.filter(start_date__lte=today, end_date__gte=today).first() or campaigns.first())


def campaign_detail(campaign: Campaign) -> dict:
    return {
        "phases": list(campaign.phases.all()),
        "tasks": list(campaign.tasks.all()),
        "problems": list(campaign.focusproblems.all()),
        "chronic_problems": list(campaign.chronicproblems.all()),
        "scope_units": list(campaign.scope_units.all()),
    }


def phase_for_day(campaign: Campaign, day: dt.date):
    """The phase running on `day` (a 'throughout' phase yields to the specific one)."""
    running = [p for p in campaign.phases.all() if p.start_date <= day <= p.end_date]
    return running[-1] if running else None


def template_list(*, scope: Scope) -> QuerySet[CampaignTemplate]:
    return CampaignTemplate.objects.within(scope).select_related("unit")


def template_get(*, scope: Scope, template_id: int) -> CampaignTemplate | None:
    return template_list(scope=scope).filter(pk=template_id).first()


def office_units(*, scope: Scope) -> QuerySet[Unit]:
    """Units an office administrator acts for (its anchors), used as owner/issuer choices."""
    if scope.everything:
        return Unit.objects.filter(depth__lte=2).order_by("path")
    if not scope.has_role(Role.OFFICE_ADMIN):
        return Unit.objects.none()
    return Unit.objects.filter(path__in=list(scope.write_paths)).order_by("path")


def unit_get(*, scope: Scope, unit_id: int) -> Unit | None:
    return Unit.objects.within(scope).filter(pk=unit_id).first()


def units_readable(*, scope: Scope) -> QuerySet[Unit]:
    return Unit.objects.within(scope).order_by("path")


def units_writable(*, scope: Scope) -> QuerySet[Unit]:
    """Units the user may record for: the same as the units whose people they may change."""
    return org_selectors.units_writable(scope=scope)


# --- actions ----------------------------------------------------------------------------------

@dataclass
class ActionRow:
    action: Action
    unit: Unit
    completion: ActionCompletion | None
    light: Light
    cited: int = 0  # the unit's activity records that carry out the action (evidence without upload)


def required_actions_for(unit: Unit, *, campaign: Campaign | None = None) -> QuerySet[Action]:
    """Union of what every level above requires of `unit` plus its own optional actions (SQL)."""
    actions = Action.objects.for_unit(unit).select_related("unit", "phase", "campaign")
    if campaign is not None:
        actions = actions.filter(campaign=campaign)
    return actions.order_by("deadline", "id")


def action_rows_for_unit(*, scope: Scope, unit: Unit, campaign: Campaign | None = None,
                         today: dt.date | None = None) -> list[ActionRow]:
    """The unit's action list with lights. `unit` must be readable in `scope` (checked by the caller
    through unit_get)."""
    today = today or timezone.localdate()
    actions = list(required_actions_for(unit, campaign=campaign))
    completions = {c.action_id: c for c in ActionCompletion.objects.within(scope)
                   .filter(unit=unit, action__in=[a.id for a in actions])}
    rows = []
    for action in actions:
        c = completions.get(action.id)
        rows.append(ActionRow(action, unit, c, light_for(deadline=action.deadline, status=c.status if c else None,
                                                         declared_on=c.declared_on if c else None, today=today)))
    return rows


def action_list_visible(*, scope: Scope) -> QuerySet[Action]:
    return Action.objects.visible_to(scope).select_related("unit", "phase", "campaign")


def action_get(*, scope: Scope, action_id: int) -> Action | None:
    return action_list_visible(scope=scope).filter(pk=action_id).first()


def issued_actions(*, scope: Scope, issuer: Unit, campaign: Campaign | None = None) -> QuerySet[Action]:
    actions = Action.objects.within(scope).filter(unit=issuer, kind=ActionKind.REQUIRED)
    if campaign is not None:
        actions = actions.filter(campaign=campaign)
    return actions.select_related("phase", "unit", "campaign").order_by("deadline", "id")


def action_target_units(*, scope: Scope, action: Action) -> QuerySet[Unit]:
    return Unit.objects.within(scope).filter(target_units_q(action)).order_by("path")


def completion_get(*, scope: Scope, action: Action, unit: Unit) -> ActionCompletion | None:
    return ActionCompletion.objects.within(scope).filter(action=action, unit=unit).first()


def completions_of_units(*, scope: Scope, action: Action, unit_ids) -> list[ActionCompletion]:
    """The action's completions of the chosen units (those in scope; other ids are ignored)."""
    ids = [int(u) for u in unit_ids if str(u).isdigit()]
    return list(ActionCompletion.objects.within(scope).filter(action=action, unit_id__in=ids)
                .select_related("unit", "action", "action__unit").order_by("unit__path"))


@dataclass
class IssuedRow:
    """One required action an office issued, with how far its target units are."""

    action: Action
    expected: int
    done: int
    returned: int
    today: dt.date

    @property
    def open(self) -> int:
        return self.expected - self.done

    @property
    def overdue(self) -> int:
        return self.open if self.action.deadline < self.today else 0


def issued_progress(*, scope: Scope, issuer: Unit, campaign: Campaign | None = None,
                    today: dt.date | None = None) -> list[IssuedRow]:
    """The required actions `issuer` gave the units below it, each with its target units and how
    many of them have declared (done), been returned, or are still open. Counts only target units,
    like the statistics (campaigns.services.target_units_q)."""
    from zhengdun.campaigns.models import DONE_STATUSES, CompletionStatus

    today = today or timezone.localdate()
    rows = []
    for action in issued_actions(scope=scope, issuer=issuer, campaign=campaign):
        targets = Unit.objects.within(scope).filter(target_units_q(action))
        counts = ActionCompletion.objects.within(scope).filter(action=action, unit__in=targets).aggregate(
            done=Count("pk", filter=Q(status__in=DONE_STATUSES)),
            returned=Count("pk", filter=Q(status=CompletionStatus.RETURNED)))
        rows.append(IssuedRow(action, targets.count(), counts["done"], counts["returned"], today))
    return rows


def fulfilling_activities(*, scope: Scope, action: Action, unit: Unit) -> QuerySet:
    """The unit's activity records that name this action (ActivityRecord.action), with their evidence:
    they are the declaration's evidence, cited rather than uploaded again (一次录入，多次调用)."""
    from zhengdun.activities.models import ActivityRecord

    return (ActivityRecord.objects.within(scope).filter(unit=unit, action=action)
            .select_related("activity_type").prefetch_related("evidence").order_by("-date", "-id"))


def citable_activities(*, scope: Scope, action: Action, unit: Unit) -> QuerySet:
    """The unit's activity records of the action's campaign not yet linked to any action: a
    declaration may cite them (which links them to this action)."""
    from zhengdun.activities.models import ActivityRecord

    return (ActivityRecord.objects.within(scope).filter(unit=unit, campaign_id=action.campaign_id,
                                                        action__isnull=True)
            .select_related("activity_type").prefetch_related("evidence").order_by("-date", "-id"))


@dataclass
class Matrix:
    actions: list[Action]
    units: list[Unit]
    cells: dict  # (unit_id, action_id) -> ActionRow, only where the action targets the unit
    totals: dict  # color -> count

    @property
    def rows(self) -> list[tuple[Unit, list[ActionRow | None]]]:
        return [(u, [self.cells.get((u.id, a.id)) for a in self.actions]) for u in self.units]


def office_matrix(*, scope: Scope, issuer: Unit, campaign: Campaign | None = None,
                  today: dt.date | None = None, only_attention: bool = False) -> Matrix:
    """Actions the office issued × units below with their light: one query for the units, one for
    the completions, whatever the size of the subtree."""
    today = today or timezone.localdate()
    actions = list(issued_actions(scope=scope, issuer=issuer, campaign=campaign))
    units = list(Unit.objects.within(scope).filter(path__startswith=issuer.path, is_active=True)
                 .exclude(pk=issuer.pk).order_by("path"))
    completions = {(c.unit_id, c.action_id): c for c in ActionCompletion.objects.within(scope)
                   .filter(action__in=[a.id for a in actions], unit__path__startswith=issuer.path)}
    roots = {}
    for a in actions:
        roots.setdefault(a.campaign_id, list(a.campaign.scope_units.values_list("path", flat=True)))
    cells, totals = {}, {"green": 0, "yellow": 0, "red": 0, "grey": 0}
    for unit in units:
        for a in actions:
            if not a.targets(unit) or not any(unit.path.startswith(p) for p in roots[a.campaign_id]):
                continue
            c = completions.get((unit.id, a.id))
            light = light_for(deadline=a.deadline, status=c.status if c else None,
                              declared_on=c.declared_on if c else None, today=today)
            cells[(unit.id, a.id)] = ActionRow(a, unit, c, light)
            totals[light.color] += 1
    if only_attention:
        keep = {uid for (uid, _aid), row in cells.items() if row.light.needs_attention or row.light.status == "returned"}
        units = [u for u in units if u.id in keep]
    return Matrix(actions, units, cells, totals)


def action_status_rows(*, scope: Scope, action: Action, today: dt.date | None = None) -> list[ActionRow]:
    """One action across its target units (the issuing office's view of a single action)."""
    from zhengdun.activities.models import ActivityRecord

    today = today or timezone.localdate()
    units = list(action_target_units(scope=scope, action=action))
    completions = {c.unit_id: c for c in ActionCompletion.objects.within(scope).filter(action=action)
                   .prefetch_related("evidence")}
    cited = dict(ActivityRecord.objects.within(scope).filter(action=action).values("unit_id")
                 .annotate(n=Count("pk")).values_list("unit_id", "n").order_by())
    return [ActionRow(action, u, completions.get(u.id),
                      light_for(deadline=action.deadline, status=getattr(completions.get(u.id), "status", None),
                                declared_on=getattr(completions.get(u.id), "declared_on", None), today=today),
                      cited.get(u.id, 0))
            for u in units]


# --- notifications ----------------------------------------------------------------------------

def notification_list(*, scope: Scope, unit: Unit | None = None, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.within(scope).select_related("unit", "action")
    if unit is not None:
        notes = notes.filter(unit__path__startswith=unit.path)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.order_by("-day", "-id")


def notification_get(*, scope: Scope, notification_id: int) -> Notification | None:
    return Notification.objects.within(scope).select_related("unit", "action").filter(pk=notification_id).first()
