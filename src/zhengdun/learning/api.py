"""API for learning and exams; same scoping as the pages. Every item carries `unit`."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from zhengdun.learning import selectors, services
from zhengdun.org import selectors as org_selectors
from zhengdun.org.access import STAFF_ROLES, get_scope
from zhengdun.org.api_auth import api_policy
from zhengdun.org.models import Role

router = Router(tags=["learning"])
READERS = (*STAFF_ROLES, Role.OFFICER)


class MaterialOut(Schema):
    id: int
    unit: int
    unit_name: str
    title: str
    category: str
    summary: str
    published_on: date
    has_attachment: bool

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_has_attachment(obj):
        return bool(obj.attachment)


class StudyRecordOut(Schema):
    id: int
    unit: int
    officer: int
    officer_name: str
    material: int | None
    category: str
    date: date
    channel: str
    hours: Decimal | None
    note: str

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_officer(obj):
        return obj.officer_id

    @staticmethod
    def resolve_officer_name(obj):
        return obj.officer.name

    @staticmethod
    def resolve_material(obj):
        return obj.material_id


class StudyRecordIn(Schema):
    officer: int
    date: date
    channel: str
    material: int | None = None
    category: str = ""
    hours: Decimal | None = None
    note: str = ""


class ExamOut(Schema):
    id: int
    unit: int
    title: str
    status: str
    start_at: datetime
    end_at: datetime
    duration_minutes: int
    total_score: Decimal
    pass_score: Decimal
    max_attempts: int
    target_root: int
    target_kinds: list[str]

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_target_root(obj):
        return obj.target_root_id

    @staticmethod
    def resolve_target_kinds(obj):
        return obj.kinds


class AttemptOut(Schema):
    id: int
    unit: int
    exam: int
    officer: int
    officer_name: str
    number: int
    status: str
    started_at: datetime
    submitted_at: datetime | None
    submitted_on: date | None
    score: Decimal | None
    passed: bool | None
    timed_out: bool

    @staticmethod
    def resolve_unit(obj):
        return obj.unit_id

    @staticmethod
    def resolve_exam(obj):
        return obj.exam_id

    @staticmethod
    def resolve_officer(obj):
        return obj.officer_id

    @staticmethod
    def resolve_officer_name(obj):
        return obj.officer.name


def _unit(scope, unit_id):
    if unit_id is None:
        return None
    unit = selectors.unit_in_scope(scope=scope, unit_id=unit_id)
    if unit is None:
        raise Http404
    return unit


@router.get("/materials", response=list[MaterialOut])
@api_policy(*READERS)
@paginate(PageNumberPagination, page_size=50)
def material_list(request, category: str = "", q: str = ""):
    return selectors.material_list(scope=get_scope(request), category=category, query=q)


@router.get("/study-records", response=list[StudyRecordOut])
@api_policy(*READERS)
@paginate(PageNumberPagination, page_size=100)
def study_record_list(request, unit: int | None = None, officer: int | None = None, date_from: date | None = None,
                      date_to: date | None = None, channel: str = "", category: str = ""):
    scope = get_scope(request)
    person = None
    if officer is not None:
        person = org_selectors.officer_get(scope=scope, officer_id=officer)
        if person is None:
            raise Http404
    return selectors.study_record_list(scope=scope, unit=_unit(scope, unit), officer=person, date_from=date_from,
                                       date_to=date_to, channel=channel, category=category)


@router.post("/study-records", response={201: StudyRecordOut})
@api_policy(Role.OFFICER, Role.UNIT_CLERK, Role.OFFICE_ADMIN)
def study_record_create(request, payload: StudyRecordIn):
    scope = get_scope(request)
    officer = org_selectors.officer_get(scope=scope, officer_id=payload.officer)
    if officer is None:
        raise Http404
    material = None
    if payload.material is not None:
        material = selectors.material_get(scope=scope, material_id=payload.material)
        if material is None:
            raise Http404
    record = services.study_record_create(actor=request.user, officer=officer, date=payload.date,
                                          channel=payload.channel, material=material, category=payload.category,
                                          hours=payload.hours, note=payload.note)
    record.officer = officer
    return Status(201, record)


@router.get("/exams", response=list[ExamOut])
@api_policy(*READERS)
@paginate(PageNumberPagination, page_size=50)
def exam_list(request):
    return selectors.exam_list(scope=get_scope(request))


@router.get("/attempts", response=list[AttemptOut])
@api_policy(*READERS)
@paginate(PageNumberPagination, page_size=100)
def attempt_list(request, exam: int | None = None, unit: int | None = None, passed: bool | None = None,
                 status: str = "submitted"):
    scope = get_scope(request)
    the_exam = None
    if exam is not None:
        the_exam = selectors.exam_get(scope=scope, exam_id=exam)
        if the_exam is None:
            raise Http404
    return selectors.attempt_list(scope=scope, exam=the_exam, unit=_unit(scope, unit), passed=passed,
                                  status=status).defer("answers")
