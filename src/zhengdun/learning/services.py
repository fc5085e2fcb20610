"""Writes for learning and exams. Each service checks access, validates (ValidationError with a
Chinese message naming the field) and writes inside `audited(...)`, one transaction."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.audit.chain import audited
from zhengdun.learning import question_io
from zhengdun.learning.files import check_upload
from zhengdun.learning.models import (
    AttemptStatus,
    Category,
    Channel,
    Exam,
    ExamAttempt,
    ExamQuestion,
    Question,
    QuestionType,
    StudyMaterial,
    StudyRecord,
)
from zhengdun.learning.scoring import normalise_answer, score_paper
from zhengdun.org.access import Scope, scope_for
from zhengdun.org.models import Officer, Role, Unit, UnitKind, User

# Seconds allowed after the deadline for a submission already on its way (network, slow click).
SUBMIT_GRACE_SECONDS = 30
DEFAULT_POINTS = {QuestionType.SINGLE: Decimal("2"), QuestionType.MULTIPLE: Decimal("3"),
                  QuestionType.TRUE_FALSE: Decimal("1")}


def _require_office(scope: Scope, unit: Unit) -> None:
    """Publishing materials, keeping a question bank and issuing exams is the offices' work."""
    if not (scope.everything or (scope.has_role(Role.OFFICE_ADMIN) and scope.can_write_unit(unit))):
        raise PermissionDenied(_("只有该单位（或上级）的教整办管理员可以执行此操作"))


# --- materials ---------------------------------------------------------------------------------

def material_create(*, actor: User, unit: Unit, title: str, category: str, summary: str = "", body: str = "",
                    published_on: dt.date | None = None, upload=None) -> StudyMaterial:
    """An office publishes a material to everyone below it. A bad attachment is refused whole."""
    _require_office(scope_for(actor), unit)
    material = StudyMaterial(unit=unit, title=(title or "").strip(), category=category, summary=summary or "",
                             body=body or "", published_on=published_on or timezone.localdate(), created_by=actor)
    if upload is not None:
        check_upload(upload)
        material.attachment_name = upload.name[-200:]
    material.full_clean(exclude=["attachment"])
    with audited(actor=actor, action="learning.material.create"):
        if upload is not None:
            material.attachment.save(upload.name, upload, save=False)
        material.save()
    return material


# --- study records -----------------------------------------------------------------------------

def _study_fields(*, scope: Scope, date, channel: str, material: StudyMaterial | None, category: str,
                  hours, note: str) -> dict:
    if date is None:
        raise ValidationError({"date": _("请填写学习日期")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("学习日期不能晚于今天")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("请选择学习方式（六学之一）")})
    if material is not None:
        if not StudyMaterial.objects.within(scope).filter(pk=material.pk).exists():
            raise ValidationError({"material": _("所选学习资料不存在或不在您的范围内")})
        category = category or material.category
    if category and category not in Category.values:
        raise ValidationError({"category": _("教育类别不正确")})
    if hours not in (None, ""):
        try:
            hours = Decimal(str(hours))
        except InvalidOperation:
            raise ValidationError({"hours": _("学时应为数字")})
        if not (Decimal("0") < hours <= Decimal("24")):
            raise ValidationError({"hours": _("学时应大于 0 且不超过 24")})
    else:
        hours = None
    return {"date": date, "channel": channel, "material": material, "category": category or "",
            "hours": hours, "note": (note or "").strip()[:200]}


def study_record_create(*, actor: User, officer: Officer, date: dt.date, channel: str,
                        material: StudyMaterial | None = None, category: str = "", hours=None,
                        note: str = "") -> StudyRecord:
    """An officer records their own study; a clerk or office admin records for officers of their units."""
    scope = scope_for(actor)
    if not (scope.officer_id == officer.id or scope.can_write_unit(officer.unit)):
        raise PermissionDenied(_("只能登记本人或本单位干警的学习记录"))
    values = _study_fields(scope=scope, date=date, channel=channel, material=material, category=category,
                           hours=hours, note=note)
    with audited(actor=actor, action="learning.study.create"):
        return StudyRecord.objects.create(unit_id=officer.unit_id, officer=officer, recorded_by=actor, **values)


def study_records_create_batch(*, actor: User, officers: list[Officer], date: dt.date, channel: str,
                               material: StudyMaterial | None = None, category: str = "", hours=None,
                               note: str = "") -> list[StudyRecord]:
    """A led session: one record per officer present, sharing one session id. Every officer must be
    in a unit the actor may write; otherwise nothing is saved."""
    scope = scope_for(actor)
    if not officers:
        raise ValidationError({"officers": _("请至少选择一名参加学习的干警")})
    refused = [o.name for o in officers if not scope.can_write_unit(o.unit)]
    if refused:
        raise PermissionDenied(_("无权为以下干警登记学习记录：%s") % "、".join(refused[:10]))
    values = _study_fields(scope=scope, date=date, channel=channel, material=material, category=category,
                           hours=hours, note=note)
    session = uuid.uuid4()
    rows = [StudyRecord(unit_id=o.unit_id, officer=o, recorded_by=actor, session=session, **values)
            for o in {o.pk: o for o in officers}.values()]
    with audited(actor=actor, action="learning.study.batch_create"):
        StudyRecord.objects.bulk_create(rows, batch_size=500)
    return rows


# --- question bank -----------------------------------------------------------------------------

def _question_clean(data: dict) -> dict:
    clean, errors = question_io.validate_question(data)
    if errors:
        by_field = {}
        for e in errors:
            by_field.setdefault(e.column, []).append(e.reason)
        raise ValidationError({k: "；".join(v) for k, v in by_field.items()})
    clean.pop("row", None)
    return clean


def question_create(*, actor: User, unit: Unit, data: dict) -> Question:
    """`data` uses the import's column names (题型, 题干, 选项A…, 答案, 解析, 类别, 难度)."""
    _require_office(scope_for(actor), unit)
    clean = _question_clean(data)
    if Question.objects.filter(unit=unit, fingerprint=clean["fingerprint"]).exists():
        raise ValidationError({"题干": _("本题库已有题型与题干相同的试题")})
    with audited(actor=actor, action="learning.question.create"):
        return Question.objects.create(unit=unit, created_by=actor, **clean)


def question_update(*, actor: User, question: Question, data: dict, is_active: bool = True) -> Question:
    _require_office(scope_for(actor), question.unit)
    clean = _question_clean(data)
    if Question.objects.filter(unit=question.unit, fingerprint=clean["fingerprint"]).exclude(pk=question.pk).exists():
        raise ValidationError({"题干": _("本题库已有题型与题干相同的试题")})
    for key, value in clean.items():
        setattr(question, key, value)
    question.is_active = is_active
    with audited(actor=actor, action="learning.question.update"):
        question.save()
    return question


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def questions_import(*, actor: User, unit: Unit, content: bytes) -> ImportResult:
    """Import a bank from .xlsx, all or nothing: any bad row and nothing is saved. A question whose
    type and stem already exist in this bank is updated in place, so importing the same file twice
    creates nothing new (idempotent)."""
    _require_office(scope_for(actor), unit)
    rows, errors = question_io.parse_workbook(content)
    result = ImportResult(errors=errors)
    if errors:
        return result
    existing = {q.fingerprint: q for q in Question.objects.filter(unit=unit,
                                                                  fingerprint__in=[r["fingerprint"] for r in rows])}
    new, changed = [], []
    fields = ("options", "answer", "explanation", "category", "difficulty")
    for row in rows:
        row.pop("row", None)
        current = existing.get(row["fingerprint"])
        if current is None:
            new.append(Question(unit=unit, created_by=actor, **row))
        elif any(getattr(current, f) != row[f] for f in fields) or not current.is_active:
            for f in fields:
                setattr(current, f, row[f])
            current.is_active = True
            changed.append(current)
        else:
            result.unchanged += 1
    with audited(actor=actor, action="learning.question.import"):
        Question.objects.bulk_create(new, batch_size=500)
        if changed:
            Question.objects.bulk_update(changed, [*fields, "is_active"], batch_size=500)
    result.created, result.updated = len(new), len(changed)
    return result


# --- exams -------------------------------------------------------------------------------------

def _points(points: dict | None) -> dict:
    result = dict(DEFAULT_POINTS)
    for key, value in (points or {}).items():
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError({"points": _("每题分值应为数字")})
        if value <= 0:
            raise ValidationError({"points": _("每题分值应大于 0")})
        result[key] = value
    return result


def _draw(*, scope: Scope, rules: list[dict], seed) -> list[Question]:
    """Random paper: for each rule (type, optional category, count) draw that many distinct questions."""
    rng = random.Random(seed)
    picked: list[Question] = []
    taken: set[int] = set()
    for rule in rules:
        count = int(rule.get("count") or 0)
        if count <= 0:
            continue
        pool = Question.objects.within(scope).filter(is_active=True, qtype=rule["qtype"]).exclude(pk__in=taken)
        if rule.get("category"):
            pool = pool.filter(category=rule["category"])
        ids = sorted(pool.values_list("id", flat=True))
        if len(ids) < count:
            label = dict(Category.choices).get(rule.get("category"), _("全部类别"))
            raise ValidationError({"rules": _("题库中“%(cat)s”的%(type)s只有 %(have)d 道，少于要求的 %(want)d 道") % {
                "cat": label, "type": QuestionType(rule["qtype"]).label, "have": len(ids), "want": count}})
        chosen = rng.sample(ids, count)
        taken.update(chosen)
        by_id = Question.objects.in_bulk(chosen)
        picked.extend(by_id[i] for i in chosen)
    return picked


def exam_create(*, actor: User, unit: Unit, title: str, start_at: dt.datetime, end_at: dt.datetime,
                duration_minutes: int, pass_score, target_root: Unit | None = None, target_kinds=(),
                description: str = "", max_attempts: int = 1, question_ids: list[int] | None = None,
                rules: list[dict] | None = None, points: dict | None = None, publish: bool = False,
                seed=None) -> Exam:
    """Issue an exam from the bank: fixed questions (`question_ids`) or drawn at random (`rules`:
    [{"qtype", "category", "count"}]). The paper is copied into the exam, so later edits of the bank
    do not change it. Targets are the units below `target_root` (inside the issuing office's
    subtree), optionally only of some kinds."""
    scope = scope_for(actor)
    _require_office(scope, unit)
    target_root = target_root or unit
    if not target_root.path.startswith(unit.path):
        raise ValidationError({"target_root": _("参考单位必须是发布单位本身或其下级单位")})
    kinds = [k for k in (target_kinds or []) if k]
    if any(k not in UnitKind.values for k in kinds):
        raise ValidationError({"target_kinds": _("参考单位类别不正确")})
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写考试名称")})
    if not start_at or not end_at or end_at <= start_at:
        raise ValidationError({"end_at": _("结束时间应晚于开始时间")})
    if not duration_minutes or int(duration_minutes) < 1 or int(duration_minutes) > 600:
        raise ValidationError({"duration_minutes": _("答题时长应在 1 到 600 分钟之间")})
    if int(max_attempts or 0) < 1:
        raise ValidationError({"max_attempts": _("允许作答次数至少为 1")})
    per_type = _points(points)
    if question_ids:
        found = Question.objects.within(scope).in_bulk(list(question_ids))
        missing = [i for i in question_ids if i not in found]
        if missing:
            raise ValidationError({"question_ids": _("有 %d 道试题不存在或不在您的题库范围内") % len(missing)})
        questions = [found[i] for i in dict.fromkeys(question_ids)]
        mode = {"mode": "fixed", "question_ids": list(dict.fromkeys(question_ids))}
    elif rules:
        seed = seed if seed is not None else uuid.uuid4().hex
        questions = _draw(scope=scope, rules=rules, seed=seed)
        mode = {"mode": "random", "rules": rules, "seed": str(seed)}
    else:
        raise ValidationError({"question_ids": _("请选择试题或设置随机抽题规则")})
    if not questions:
        raise ValidationError({"question_ids": _("试卷中没有试题")})
    paper = [ExamQuestion(unit=unit, question=q, position=i + 1, points=per_type[q.qtype], qtype=q.qtype,
                          stem=q.stem, options=q.options, answer=q.answer, explanation=q.explanation,
                          category=q.category) for i, q in enumerate(questions)]
    total = sum((p.points for p in paper), Decimal("0"))
    try:
        pass_score = Decimal(str(pass_score))
    except InvalidOperation:
        raise ValidationError({"pass_score": _("及格分应为数字")})
    if not (Decimal("0") < pass_score <= total):
        raise ValidationError({"pass_score": _("及格分应大于 0 且不超过总分 %s") % total})
    mode["points"] = {k: str(v) for k, v in per_type.items()}
    exam = Exam(unit=unit, title=title.strip(), description=description or "", start_at=start_at, end_at=end_at,
                duration_minutes=int(duration_minutes), pass_score=pass_score, total_score=total,
                max_attempts=int(max_attempts), target_root=target_root,
                target_kinds=(f",{','.join(kinds)}," if kinds else ""), assembly=mode, created_by=actor,
                status=Exam.Status.PUBLISHED if publish else Exam.Status.DRAFT)
    with audited(actor=actor, action="learning.exam.create"):
        exam.save()
        for p in paper:
            p.exam = exam
        ExamQuestion.objects.bulk_create(paper)
    return exam


def exam_publish(*, actor: User, exam: Exam) -> Exam:
    _require_office(scope_for(actor), exam.unit)
    if exam.status == Exam.Status.PUBLISHED:
        return exam
    with audited(actor=actor, action="learning.exam.publish"):
        exam.status = Exam.Status.PUBLISHED
        exam.save(update_fields=["status"])
    return exam


# --- attempts ----------------------------------------------------------------------------------

def _officer_of(actor: User) -> Officer:
    scope = scope_for(actor)
    officer = Officer.objects.filter(pk=scope.officer_id).select_related("unit").first() if scope.officer_id else None
    if officer is None:
        raise PermissionDenied(_("只有干警本人可以参加考试"))
    return officer


def _finish(attempt: ExamAttempt, *, at: dt.datetime, timed_out: bool) -> None:
    exam = attempt.exam
    score, right = score_paper(exam.paper.all(), attempt.answers or {})
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = at
    attempt.submitted_on = timezone.localdate(at)
    attempt.score = score
    attempt.correct_count = right
    attempt.passed = score >= exam.pass_score
    attempt.timed_out = timed_out


def _clean_answers(attempt: ExamAttempt, answers: dict) -> dict:
    kinds = dict(attempt.exam.paper.values_list("id", "qtype"))
    clean = {}
    for key, value in (answers or {}).items():
        try:
            qid = int(key)
        except (TypeError, ValueError):
            continue
        if qid in kinds:
            clean[str(qid)] = normalise_answer(kinds[qid], value)
    return clean


def attempt_start(*, actor: User, exam: Exam, now: dt.datetime | None = None) -> ExamAttempt:
    """Start (or resume) the officer's sitting. One attempt per officer unless the exam allows more;
    the deadline is fixed now, on the server: start + duration, but never after the exam closes."""
    now = now or timezone.now()
    officer = _officer_of(actor)
    scope = scope_for(actor)
    if not Exam.objects.within(scope).filter(pk=exam.pk, status=Exam.Status.PUBLISHED).exists():
        raise PermissionDenied(_("您不在本次考试的参考范围内"))
    attempts = list(ExamAttempt.objects.filter(exam=exam, officer=officer).order_by("number"))
    current = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    if current is not None:
        if now <= current.deadline_at + dt.timedelta(seconds=SUBMIT_GRACE_SECONDS):
            return current
        attempt_close_overdue(attempt=current, now=now)
    if not exam.is_open(now):
        raise ValidationError({"exam": _("不在考试时间内（%(start)s 至 %(end)s）") % {
            "start": timezone.localtime(exam.start_at).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(exam.end_at).strftime("%Y-%m-%d %H:%M")}})
    if len(attempts) >= exam.max_attempts:
        raise ValidationError({"exam": _("您已参加过本次考试（允许作答 %d 次）") % exam.max_attempts})
    deadline = min(now + dt.timedelta(minutes=exam.duration_minutes), exam.end_at)
    attempt = ExamAttempt(exam=exam, officer=officer, unit_id=officer.unit_id, number=len(attempts) + 1,
                          started_at=now, deadline_at=deadline, answers={})
    try:
        with audited(actor=actor, action="learning.attempt.start"):
            attempt.save()
    except IntegrityError:
        # Two tabs started at once: the database's unique (exam, officer, number) let one through.
        raise ValidationError({"exam": _("您已开始本次考试，请刷新页面继续作答")})
    return attempt


def _own_attempt(actor: User, attempt: ExamAttempt) -> None:
    if scope_for(actor).officer_id != attempt.officer_id:
        raise PermissionDenied(_("只能作答本人的试卷"))


def attempt_save(*, actor: User, attempt: ExamAttempt, answers: dict, now: dt.datetime | None = None) -> bool:
    """Save answers while the time lasts (autosave). After the deadline nothing more is accepted."""
    now = now or timezone.now()
    _own_attempt(actor, attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return False
    if now > attempt.deadline_at + dt.timedelta(seconds=SUBMIT_GRACE_SECONDS):
        return False
    merged = dict(attempt.answers or {})
    merged.update(_clean_answers(attempt, answers))
    with audited(actor=actor, action="learning.attempt.save"):
        attempt.answers = merged
        attempt.answers_saved_at = now
        attempt.save(update_fields=["answers", "answers_saved_at"])
    return True


def attempt_submit(*, actor: User, attempt: ExamAttempt, answers: dict | None = None,
                   now: dt.datetime | None = None) -> ExamAttempt:
    """Hand in and score at once. The time limit is the server's: answers sent after the deadline
    (plus a short grace for the network) are ignored and the paper is scored as saved by then."""
    now = now or timezone.now()
    _own_attempt(actor, attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ValidationError({"attempt": _("本次作答已交卷，不能重复提交")})
    late = now > attempt.deadline_at + dt.timedelta(seconds=SUBMIT_GRACE_SECONDS)
    if not late and answers:
        merged = dict(attempt.answers or {})
        merged.update(_clean_answers(attempt, answers))
        attempt.answers = merged
        attempt.answers_saved_at = now
    _finish(attempt, at=attempt.deadline_at if late else now, timed_out=late)
    with audited(actor=actor, action="learning.attempt.submit"):
        attempt.save()
    return attempt


def attempt_close_overdue(*, attempt: ExamAttempt | None = None, exam: Exam | None = None,
                          now: dt.datetime | None = None) -> int:
    """Collect papers whose time ran out without a submission, scoring the answers saved in time.
    Runs as the system (from the officer's own page, the results page or `close_overdue_attempts`)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=SUBMIT_GRACE_SECONDS)
    overdue = ExamAttempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline_at__lt=cutoff)
    if attempt is not None:
        overdue = overdue.filter(pk=attempt.pk)
    if exam is not None:
        overdue = overdue.filter(exam=exam)
    items = list(overdue.select_related("exam"))
    if not items:
        return 0
    with audited(actor=None, action="learning.attempt.close_overdue"):
        for item in items:
            _finish(item, at=item.deadline_at, timed_out=True)
            item.save()
            if attempt is not None:
                attempt.__dict__.update({k: getattr(item, k) for k in (
                    "status", "submitted_at", "submitted_on", "score", "correct_count", "passed", "timed_out")})
    return len(items)
