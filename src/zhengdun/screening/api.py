"""Screening API for clue handlers: runs with progress, hits, review."""

from datetime import date, datetime

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from zhengdun.org.api_auth import api_policy
from zhengdun.org.models import Role
from zhengdun.org.selectors import unit_list
from zhengdun.screening import selectors, services
from zhengdun.screening.selectors import handler_scope

router = Router(tags=["screening"])
HANDLER = Role.CLUE_HANDLER


class DatasetOut(Schema):
    id: int
    unit: int
    name: str
    source: str
    files: dict
    created_at: datetime


class RunIn(Schema):
    dataset: int
    as_of: date | None = None
    engine: str = "duckdb"
    rules: list[str] | None = None
    roster_source: str | None = None  # default: the data set's own roster if it has one, else the platform's
    unit: int | None = None  # default: the data set's unit; with the platform's roster, one below it


class RunOut(Schema):
    id: int
    unit: int
    dataset: int
    roster_source: str
    as_of: date
    engine: str
    rules: list[str]
    status: str
    progress: int
    stage: str
    summary: dict
    error: str
    previous: int | None
    compared_rules: list[str]


class HitOut(Schema):
    id: int
    unit: int
    run: int
    dataset: int
    lead_key: str
    rule: str
    officer_id: str
    officer: int | None
    subject: str
    subject_name: str
    registry: str
    record_key: str
    match: str
    score: float
    evidence: str
    is_new: bool
    review_status: str
    review_reason: str


class LeadOut(HitOut):
    dataset_name: str
    reviewed_by: str
    reviewed_at: datetime | None


class ReviewIn(Schema):
    status: str
    reason: str


class _PageRows:
    """A queryset that the paginator slices before each row is turned into a dict: a page
    reads its own rows only (the paginator counts through ``.all().count()``)."""

    def __init__(self, queryset, to_dict):
        self.queryset, self.to_dict = queryset, to_dict

    def all(self):
        return self.queryset

    def __getitem__(self, page: slice) -> list[dict]:
        if (page.start or 0) > 2 ** 40:  # a page number far past any list (SQL offsets are 64-bit)
            return []
        return [self.to_dict(row) for row in self.queryset[page]]


def _run_out(run) -> dict:
    return {"id": run.id, "unit": run.unit_id, "dataset": run.dataset_id, "roster_source": run.roster_source,
            "as_of": run.as_of, "engine": run.engine, "rules": run.rule_list, "status": run.status,
            "progress": run.progress, "stage": run.stage, "summary": run.summary, "error": run.error,
            "previous": run.previous_id, "compared_rules": run.compared_rules}


def _hit_out(h) -> dict:
    return {"id": h.id, "unit": h.unit_id, "run": h.run_id, "dataset": h.run.dataset_id, "lead_key": h.lead_key,
            "rule": h.rule, "officer_id": h.officer_key,
            "officer": h.officer_id, "subject": h.subject, "subject_name": h.subject_name, "registry": h.registry,
            "record_key": h.record_key, "match": h.match, "score": h.score, "evidence": h.evidence,
            "is_new": h.is_new, "review_status": h.review_status, "review_reason": h.review_reason}


def _lead_out(h) -> dict:
    return {**_hit_out(h), "dataset_name": h.run.dataset.name, "reviewed_by": str(h.reviewed_by or ""),
            "reviewed_at": h.reviewed_at}


@router.get("/datasets", response=list[DatasetOut])
@api_policy(HANDLER)
def dataset_list(request):
    return [{"id": d.id, "unit": d.unit_id, "name": d.name, "source": d.source, "files": d.files,
             "created_at": d.created_at} for d in selectors.dataset_list(scope=handler_scope(request))]


@router.post("/runs", response={202: RunOut})
@api_policy(HANDLER)
def run_create(request, payload: RunIn):
    dataset = selectors.dataset_get(scope=handler_scope(request), dataset_id=payload.dataset)
    if dataset is None:
        raise Http404
    unit = None
    if payload.unit is not None:
        unit = unit_list(scope=handler_scope(request)).filter(pk=payload.unit).first()
        if unit is None:
            raise Http404
    run = services.run_start(actor=request.user, dataset=dataset, as_of=payload.as_of, engine=payload.engine,
                             rules=payload.rules, roster_source=payload.roster_source, unit=unit)
    run.refresh_from_db()
    return Status(202, _run_out(run))


@router.get("/runs", response=list[RunOut])
@api_policy(HANDLER)
@paginate(PageNumberPagination, page_size=50)
def run_list(request):
    services.runs_fail_orphaned()
    return _PageRows(selectors.run_list(scope=handler_scope(request)).select_related("previous"), _run_out)


@router.get("/runs/{run_id}", response=RunOut)
@api_policy(HANDLER)
def run_get(request, run_id: int):
    services.runs_fail_orphaned()
    run = selectors.run_get(scope=handler_scope(request), run_id=run_id)
    if run is None:
        raise Http404
    return _run_out(run)


@router.get("/runs/{run_id}/hits", response=list[HitOut])
@api_policy(HANDLER)
@paginate(PageNumberPagination, page_size=100)
def hit_list(request, run_id: int, rule: str = "", min_score: float | None = None, review_status: str = "",
             new_only: bool = False, unit: int | None = None):
    scope = handler_scope(request)
    run = selectors.run_get(scope=scope, run_id=run_id)
    if run is None:
        raise Http404
    chosen = None
    if unit is not None:
        chosen = unit_list(scope=scope).filter(pk=unit).first()
        if chosen is None:
            raise Http404
    services.hits_listed(actor=request.user, run=run, ip=request.META.get("REMOTE_ADDR", ""))
    return _PageRows(selectors.hit_list(scope=scope, run=run, rule=rule, unit=chosen, min_score=min_score,
                                        review_status=review_status, new_only=new_only), _hit_out)


@router.get("/leads", response=list[LeadOut])
@api_policy(HANDLER)
@paginate(PageNumberPagination, page_size=100)
def lead_list(request, dataset: int | None = None):
    """Confirmed hits, one per finding, with their run and data set: what the clue workflow takes."""
    scope = handler_scope(request)
    chosen = None
    if dataset is not None:
        chosen = selectors.dataset_get(scope=scope, dataset_id=dataset)
        if chosen is None:
            raise Http404
    services.leads_listed(actor=request.user, ip=request.META.get("REMOTE_ADDR", ""))
    return _PageRows(selectors.lead_list(scope=scope, dataset=chosen), _lead_out)


@router.get("/hits/{hit_id}", response=HitOut)
@api_policy(HANDLER)
def hit_get(request, hit_id: int):
    hit = selectors.hit_get(scope=handler_scope(request), hit_id=hit_id)
    if hit is None:
        raise Http404
    services.hit_viewed(actor=request.user, hit=hit, ip=request.META.get("REMOTE_ADDR", ""))
    return _hit_out(hit)


@router.post("/hits/{hit_id}/review", response=HitOut)
@api_policy(HANDLER)
def hit_review(request, hit_id: int, payload: ReviewIn):
    hit = selectors.hit_get(scope=handler_scope(request), hit_id=hit_id)
    if hit is None:
        raise Http404
    return _hit_out(services.hit_review(actor=request.user, hit=hit, status=payload.status, reason=payload.reason))
