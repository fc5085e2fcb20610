"""API for campaigns and actions (with their traffic light); same scoping as the pages.
Every resource carries its `unit` (the owning/issuing unit)."""


from datetime import date

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from zhengdun.campaigns import selectors
from zhengdun.org.access import STAFF_ROLES, get_scope
from zhengdun.org.api_auth import api_policy
from zhengdun.org.models import Role

router = Router(tags=["campaigns"])


class PhaseOut(Schema):
    id: int
    key: str
    name: str
    order: int
    start_date: date
    end_date: date
    throughout: bool
    goals: str


class NamedOut(Schema):
    order: int
    name: str
    description: str


class CampaignOut(Schema):
    id: int
    unit: int
    name: str
    year: int
    batch: str
    goal: str
    start_date: date
    end_date: date
    officer_categories: list[str]
    scope_units: list[int]


class CampaignDetailOut(CampaignOut):
    phases: list[PhaseOut]
    tasks: list[NamedOut]
    problems: list[NamedOut]
    chronic_problems: list[NamedOut]


class ActionOut(Schema):
    id: int
    unit: int
    campaign: int
    phase: int | None
    kind: str
    title: str
    deadline: date
    evidence_requirement: str
    target_kinds: list[str]
    target_levels: list[str]


class UnitActionOut(ActionOut):
    for_unit: int
    light: str
    status: str | None
    late: bool
    return_reason: str


def _campaign_out(c, detail: bool = False) -> dict:
    data = {"id": c.id, "unit": c.unit_id, "name": c.name, "year": c.year, "batch": c.batch, "goal": c.goal,
            "start_date": c.start_date, "end_date": c.end_date, "officer_categories": c.category_list,
            "scope_units": list(c.scope_links.values_list("unit_id", flat=True))}
    if detail:
        d = selectors.campaign_detail(c)
        data["phases"] = [{"id": p.id, "key": p.key, "name": p.name, "order": p.order, "start_date": p.start_date,
                           "end_date": p.end_date, "throughout": p.throughout, "goals": p.goals} for p in d["phases"]]
        for key in ("tasks", "problems", "chronic_problems"):
            data[key] = [{"order": i.order, "name": i.name, "description": i.description} for i in d[key]]
    return data


def _action_out(a) -> dict:
    return {"id": a.id, "unit": a.unit_id, "campaign": a.campaign_id, "phase": a.phase_id, "kind": a.kind,
            "title": a.title, "deadline": a.deadline, "evidence_requirement": a.evidence_requirement,
            "target_kinds": a.target_kind_list(), "target_levels": a.target_level_list()}


@router.get("/campaigns", response=list[CampaignOut])
@api_policy(*STAFF_ROLES, Role.OFFICER)
def campaign_list(request):
    return [_campaign_out(c) for c in selectors.campaign_list(scope=get_scope(request))]


@router.get("/campaigns/{campaign_id}", response=CampaignDetailOut)
@api_policy(*STAFF_ROLES, Role.OFFICER)
def campaign_get(request, campaign_id: int):
    campaign = selectors.campaign_get(scope=get_scope(request), campaign_id=campaign_id)
    if campaign is None:
        raise Http404
    return _campaign_out(campaign, detail=True)


@router.get("/actions", response=list[UnitActionOut], tags=["actions"])
@api_policy(*STAFF_ROLES)
@paginate(PageNumberPagination, page_size=100)
def unit_action_list(request, unit: int, campaign: int | None = None):
    """What every level above requires of `unit` plus its own optional actions, with the light."""
    scope = get_scope(request)
    target = selectors.unit_get(scope=scope, unit_id=unit)
    if target is None:
        raise Http404
    camp = None
    if campaign is not None:
        camp = selectors.campaign_get(scope=scope, campaign_id=campaign)
        if camp is None:
            raise Http404
    rows = selectors.action_rows_for_unit(scope=scope, unit=target, campaign=camp)
    return [dict(_action_out(r.action), for_unit=target.id, light=r.light.color, status=r.light.status,
                 late=r.light.late, return_reason=(r.completion.return_reason if r.completion else ""))
            for r in rows]


@router.get("/actions/{action_id}", response=ActionOut, tags=["actions"])
@api_policy(*STAFF_ROLES)
def action_get(request, action_id: int):
    action = selectors.action_get(scope=get_scope(request), action_id=action_id)
    if action is None:
        raise Http404
    return _action_out(action)
