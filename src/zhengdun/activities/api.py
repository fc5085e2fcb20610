"""API for activity records (list, create, get); same scoping and services as the pages.
Evidence files are uploaded through the page (multipart); the API records the activity itself."""


from datetime import date

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from zhengdun.activities import selectors, services
from zhengdun.campaigns import selectors as campaign_selectors
from zhengdun.org import selectors as org_selectors
from zhengdun.org.access import STAFF_ROLES, get_scope
from zhengdun.org.api_auth import ApiHttpError, api_policy
from zhengdun.org.models import Role

router = Router(tags=["activities"])


class ActivityOut(Schema):
    id: int
    unit: int
    campaign: int
    activity_type: str
    education_category: str
    title: str
    date: date
    place: str
    organiser: str
    participant_mode: str
    person_times: int
    action: int | None
    five_haves: dict[str, bool]


class ActivityDetailOut(ActivityOut):
    participants: list[int]
    summary: str


class ActivityIn(Schema):
    unit: int
    campaign: int
    activity_type: str
    title: str
    date: date
    place: str = ""
    organiser: str = ""
    education_category: str | None = None
    participants: list[int] = []
    headcount: int | None = None
    action: int | None = None
    summary: str = ""


def _out(a, detail: bool = False) -> dict:
    files = list(a.evidence.all())
    data = {"id": a.id, "unit": a.unit_id, "campaign": a.campaign_id, "activity_type": a.activity_type.code,
            "education_category": a.education_category, "title": a.title, "date": a.date, "place": a.place,
            "organiser": a.organiser, "participant_mode": a.participant_mode, "person_times": a.person_times,
            "action": a.action_id, "five_haves": {i["kind"]: i["ok"] for i in selectors.five_haves(files)}}
    if detail:
        data["participants"] = list(a.participants.values_list("officer_id", flat=True))
        data["summary"] = a.summary
    return data


@router.get("/activities", response=list[ActivityOut])
@api_policy(*STAFF_ROLES)
@paginate(PageNumberPagination, page_size=50)
def activity_list(request, unit: int | None = None, activity_type: str | None = None,
                  date_from: date | None = None, date_to: date | None = None, campaign: int | None = None):
    scope = get_scope(request)
    root = None
    if unit is not None:
        root = campaign_selectors.unit_get(scope=scope, unit_id=unit)
        if root is None:
            raise Http404
    kind = None
    if activity_type:
        kind = selectors.activity_types(active_only=False).filter(code=activity_type).first()
        if kind is None:
            raise ApiHttpError(400, "invalid", f"活动类型“{activity_type}”不存在")
    camp = campaign_selectors.campaign_get(scope=scope, campaign_id=campaign) if campaign else None
    if campaign and camp is None:
        raise Http404
    records = selectors.activity_list(scope=scope, unit=root, activity_type=kind, date_from=date_from,
                                      date_to=date_to, campaign=camp).prefetch_related("evidence")
    return [_out(a) for a in records]


@router.get("/activities/{activity_id}", response=ActivityDetailOut)
@api_policy(*STAFF_ROLES)
def activity_get(request, activity_id: int):
    activity = selectors.activity_get(scope=get_scope(request), activity_id=activity_id)
    if activity is None:
        raise Http404
    return _out(activity, detail=True)


@router.post("/activities", response={201: ActivityDetailOut})
@api_policy(Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SYSADMIN)
def activity_create(request, payload: ActivityIn):
    scope = get_scope(request)
    unit = campaign_selectors.unit_get(scope=scope, unit_id=payload.unit)
    campaign = campaign_selectors.campaign_get(scope=scope, campaign_id=payload.campaign)
    if unit is None or campaign is None:
        raise Http404
    kind = selectors.activity_types().filter(code=payload.activity_type).first()
    if kind is None:
        raise ApiHttpError(400, "invalid", f"活动类型“{payload.activity_type}”不存在或已停用")
    action = None
    if payload.action is not None:
        action = campaign_selectors.action_get(scope=scope, action_id=payload.action)
        if action is None:
            raise Http404
    officers = list(org_selectors.officer_list(scope=scope).filter(pk__in=payload.participants))
    if len(officers) != len(set(payload.participants)):
        raise ApiHttpError(400, "invalid", "部分参加人员不存在或不在您的管辖范围内")
    activity = services.activity_create(
        actor=request.user, unit=unit, campaign=campaign, activity_type=kind, title=payload.title,
        date=payload.date, place=payload.place, organiser=payload.organiser,
        education_category=payload.education_category, participants=officers, headcount=payload.headcount,
        action=action, summary=payload.summary)
    return Status(201, _out(activity, detail=True))
