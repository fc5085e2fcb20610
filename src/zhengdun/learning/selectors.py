"""Reads for learning and exams; every one starts from `.within(scope)`.

Rates are computed from records with grouped queries (GROUP BY unit), then rolled up to the
rows shown (units, not officers, are iterated in Python)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from zhengdun.learning.models import (
    ROSTER_STATUSES,
    AttemptStatus,
    Exam,
    ExamAttempt,
    Question,
    StudyMaterial,
    StudyRecord,
)
from zhengdun.org.access import Scope
from zhengdun.org.models import Level, Officer, Unit

# --- units the user acts for ---------------------------------------------------------------------

def publishing_units(*, scope: Scope) -> QuerySet[Unit]:
    """Offices the user may publish for (materials, question banks, exams): their office-admin anchors."""
    if scope.everything:
        return Unit.objects.exclude(level=Level.UNIT).order_by("path")
    return Unit.objects.within(scope).filter(path__in=scope.write_paths).order_by("path")


def writable_units(*, scope: Scope) -> QuerySet[Unit]:
    """Units whose officers the user may record study for (clerk's unit, office admin's subtree)."""
    if scope.everything:
        return Unit.objects.order_by("path")
    q = Q(pk__in=list(scope.write_unit_ids))
    for path in scope.write_paths:
        q |= Q(path__startswith=path)
    return Unit.objects.within(scope).filter(q).order_by("path")


def unit_in_scope(*, scope: Scope, unit_id) -> Unit | None:
    return Unit.objects.within(scope).filter(pk=unit_id).first()


# --- materials and study records -----------------------------------------------------------------

def material_list(*, scope: Scope, category: str = "", query: str = "") -> QuerySet[StudyMaterial]:
    items = StudyMaterial.objects.within(scope).select_related("unit")
    if category:
        items = items.filter(category=category)
    if query:
        items = items.filter(Q(title__contains=query) | Q(summary__contains=query))
    return items.order_by("-published_on", "-id")


def material_get(*, scope: Scope, material_id: int) -> StudyMaterial | None:
    return StudyMaterial.objects.within(scope).select_related("unit").filter(pk=material_id).first()


def study_record_list(*, scope: Scope, unit: Unit | None = None, officer: Officer | None = None,
                      date_from: dt.date | None = None, date_to: dt.date | None = None, channel: str = "",
                      category: str = "") -> QuerySet[StudyRecord]:
    records = StudyRecord.objects.within(scope).select_related("officer", "unit", "material")
    if unit is not None:
        records = records.filter(unit__path__startswith=unit.path)
    if officer is not None:
        records = records.filter(officer=officer)
    if date_from:
        records = records.filter(date__gte=date_from)
    if date_to:
        records = records.filter(date__lte=date_to)
    if channel:
        records = records.filter(channel=channel)
    if category:
        records = records.filter(category=category)
    return records.order_by("-date", "-id")


def study_record_get(*, scope: Scope, record_id: int) -> StudyRecord | None:
    return StudyRecord.objects.within(scope).select_related("officer", "unit", "material").filter(pk=record_id).first()


def roster(*, scope: Scope, root: Unit) -> QuerySet[Officer]:
    """Officers who should take part below `root`: serving or seconded."""
    return Officer.objects.within(scope).filter(unit__path__startswith=root.path, status__in=ROSTER_STATUSES)


def study_coverage(*, scope: Scope, root: Unit, date_from: dt.date | None = None,
                   date_to: dt.date | None = None) -> dict:
    """Study rate of a subtree: officers with at least one study record in the range / roster.
    One query: the roster, each officer marked by whether a record exists."""
    records = StudyRecord.objects.filter(officer=OuterRef("pk"), unit__path__startswith=root.path)
    if date_from:
        records = records.filter(date__gte=date_from)
    if date_to:
        records = records.filter(date__lte=date_to)
    row = roster(scope=scope, root=root).aggregate(
        roster=Count("id"), studied=Count("id", filter=Q(Exists(records))))
    row["rate"] = (row["studied"] / row["roster"]) if row["roster"] else None
    return row


def officer_channel_counts(*, scope: Scope, officer: Officer) -> dict[str, int]:
    rows = StudyRecord.objects.within(scope).filter(officer=officer).values("channel").annotate(n=Count("id"))
    return {r["channel"]: r["n"] for r in rows}


# --- question bank -------------------------------------------------------------------------------

def question_list(*, scope: Scope, category: str = "", qtype: str = "", query: str = "",
                  unit: Unit | None = None, active_only: bool = False) -> QuerySet[Question]:
    items = Question.objects.within(scope).select_related("unit")
    if unit is not None:
        items = items.filter(unit=unit)
    if category:
        items = items.filter(category=category)
    if qtype:
        items = items.filter(qtype=qtype)
    if query:
        items = items.filter(stem__contains=query)
    if active_only:
        items = items.filter(is_active=True)
    return items.order_by("unit__path", "category", "qtype", "id")


def question_get(*, scope: Scope, question_id: int) -> Question | None:
    return Question.objects.within(scope).select_related("unit").filter(pk=question_id).first()


def question_counts(*, scope: Scope) -> list[dict]:
    """How many active questions by category and type (to size random papers)."""
    return list(Question.objects.within(scope).filter(is_active=True)
                .values("category", "qtype").annotate(n=Count("id")).order_by("category", "qtype"))


# --- exams ---------------------------------------------------------------------------------------

def exam_list(*, scope: Scope) -> QuerySet[Exam]:
    return Exam.objects.within(scope).select_related("unit", "target_root").order_by("-start_at", "-id")


def exam_get(*, scope: Scope, exam_id: int) -> Exam | None:
    return Exam.objects.within(scope).select_related("unit", "target_root").filter(pk=exam_id).first()


def exam_paper(*, exam: Exam):
    """The paper of an exam already obtained through exam_get (so within scope)."""
    return exam.paper.order_by("position")


def my_exams(*, scope: Scope) -> list[tuple[Exam, list[ExamAttempt]]]:
    """The signed-in officer's exams with their own attempts."""
    if not scope.officer_id:
        return []
    exams = list(exam_list(scope=scope).filter(status=Exam.Status.PUBLISHED))
    attempts = {}
    for a in ExamAttempt.objects.within(scope).filter(officer_id=scope.officer_id,
                                                      exam_id__in=[e.id for e in exams]).order_by("number"):
        attempts.setdefault(a.exam_id, []).append(a)
    return [(e, attempts.get(e.id, [])) for e in exams]


def attempt_list(*, scope: Scope, exam: Exam | None = None, unit: Unit | None = None, passed: bool | None = None,
                 status: str = AttemptStatus.SUBMITTED, officer: Officer | None = None,
                 exact: bool = False) -> QuerySet[ExamAttempt]:
    """Attempts behind the figures: by exam, by unit subtree (the officer's unit when they sat);
    `exact` limits to the unit itself (the "本级" row)."""
    items = ExamAttempt.objects.within(scope).select_related("officer", "unit", "exam")
    if exam is not None:
        items = items.filter(exam=exam)
    if unit is not None:
        items = items.filter(unit=unit) if exact else items.filter(unit__path__startswith=unit.path)
    if status:
        items = items.filter(status=status)
    if passed is not None:
        items = items.filter(passed=passed)
    if officer is not None:
        items = items.filter(officer=officer)
    return items.order_by("unit__path", "officer__name", "number")


def attempt_count(*, scope: Scope, exam: Exam, officer_id: int) -> int:
    """Sittings (any status) of one officer in an exam, as attempt_start counts them."""
    return ExamAttempt.objects.within(scope).filter(exam=exam, officer_id=officer_id).count()


def attempt_get(*, scope: Scope, attempt_id: int) -> ExamAttempt | None:
    return ExamAttempt.objects.within(scope).select_related("officer", "unit", "exam").filter(pk=attempt_id).first()


def has_overdue_attempts(*, exam: Exam) -> bool:
    return ExamAttempt.objects.filter(exam=exam, status=AttemptStatus.IN_PROGRESS,
                                      deadline_at__lt=timezone.now() - dt.timedelta(seconds=30)).exists()


def exam_roster(*, scope: Scope, exam: Exam, root: Unit | None = None) -> QuerySet[Officer]:
    """Officers an exam targets (current roster of its target units), optionally below `root`."""
    officers = roster(scope=scope, root=exam.target_root)
    if exam.kinds:
        officers = officers.filter(unit__kind__in=exam.kinds)
    if root is not None:
        officers = officers.filter(unit__path__startswith=root.path)
    return officers


def exam_absentees(*, scope: Scope, exam: Exam, root: Unit) -> QuerySet[Officer]:
    """Target officers below `root` with no submitted attempt."""
    done = ExamAttempt.objects.filter(exam=exam, officer=OuterRef("pk"), status=AttemptStatus.SUBMITTED)
    return exam_roster(scope=scope, exam=exam, root=root).filter(~Exists(done)).select_related("unit")


def exam_default_root(*, scope: Scope, exam: Exam) -> Unit | None:
    """The top-most unit of the exam's target that the user can see."""
    return Unit.objects.within(scope).filter(path__startswith=exam.target_root.path).order_by("depth", "path").first()


@dataclass
class RateRow:
    unit: Unit
    roster: int = 0
    attempted: int = 0
    passed: int = 0
    own_level_only: bool = False

    @property
    def participation(self) -> float | None:
        return self.attempted / self.roster if self.roster else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None


def exam_unit_rates(*, scope: Scope, exam: Exam, root: Unit) -> tuple[RateRow, list[RateRow]]:
    """Participation (officers with a submitted attempt / officers in the target) and pass rate
    (officers who passed / officers who took part) for `root` and each unit directly below it.

    Two grouped queries — the roster by unit and the submitted attempts by unit (the unit the
    officer sat in) — rolled up over unit paths; the attempts list behind each figure is
    `attempt_list(exam=…, unit=row.unit[, passed=True])`."""
    roster_rows = (exam_roster(scope=scope, exam=exam, root=root)
                   .values("unit__path").annotate(n=Count("id")))
    attempt_rows = (attempt_list(scope=scope, exam=exam, unit=root).order_by()
                    .values("unit__path")
                    .annotate(attempted=Count("officer", distinct=True),
                              passed=Count("officer", distinct=True, filter=Q(passed=True))))
    roster_by_path = {r["unit__path"]: r["n"] for r in roster_rows}
    attempts_by_path = {r["unit__path"]: (r["attempted"], r["passed"]) for r in attempt_rows}
    children = list(Unit.objects.within(scope).filter(parent=root).order_by("sort_order", "code"))

    def fill(row: RateRow, exact: bool) -> RateRow:
        match = (lambda p: p == row.unit.path) if exact else (lambda p: p.startswith(row.unit.path))
        row.roster = sum(n for p, n in roster_by_path.items() if match(p))
        row.attempted = sum(a for p, (a, _) in attempts_by_path.items() if match(p))
        row.passed = sum(b for p, (_, b) in attempts_by_path.items() if match(p))
        return row

    total = fill(RateRow(unit=root), exact=False)
    rows = []
    own = fill(RateRow(unit=root, own_level_only=True), exact=True)
    if own.roster or own.attempted:
        rows.append(own)
    for child in children:
        row = fill(RateRow(unit=child), exact=False)
        if row.roster or row.attempted:
            rows.append(row)
    return total, rows


# --- one file per officer ------------------------------------------------------------------------

def officer_study_records(*, scope: Scope, officer: Officer) -> QuerySet[StudyRecord]:
    return StudyRecord.objects.within(scope).filter(officer=officer).select_related("material").order_by("-date", "-id")


def officer_attempts(*, scope: Scope, officer: Officer) -> QuerySet[ExamAttempt]:
    return ExamAttempt.objects.within(scope).filter(officer=officer).select_related("exam").order_by("-started_at")
