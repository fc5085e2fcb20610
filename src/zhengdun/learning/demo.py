"""Learning demo data on top of the demo city (zhengdun.org.demo): study materials in the four
categories, a question bank of ~60 questions about the campaign, study records across units
and channels, one finished exam with attempts by ~80 % of the target officers, one open exam.

Deterministic (seeded), relative to today (so the open exam is open), idempotent: a second run
finds the finished exam and changes nothing. Bulk inserts inside one audited transaction.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from zhengdun.audit.chain import audited
from zhengdun.learning import services
from zhengdun.learning.demo_bank import MATERIALS, QUESTIONS
from zhengdun.learning.models import (
    ROSTER_STATUSES,
    AttemptStatus,
    Exam,
    ExamAttempt,
    Question,
    StudyMaterial,
    StudyRecord,
)
from zhengdun.learning.question_io import fingerprint
from zhengdun.learning.scoring import score_paper
from zhengdun.org.demo import CITY_CODE
from zhengdun.org.models import Officer, Unit, User

FINISHED_TITLE = "江州市政法队伍教育整顿应知应会测试（第一期）"
OPEN_TITLE = "江州市政法队伍教育整顿应知应会测试（第二期）"
CHANNEL_WEIGHTS = {"self": 35, "led": 25, "video": 15, "on_the_job": 10, "delivered": 5, "group": 10}


def seed_learning_demo(*, seed: int = 2021, study_days: int = 100) -> dict:
    city = Unit.objects.filter(code=CITY_CODE).first()
    admin = User.objects.filter(username="city_admin").first()
    if city is None or admin is None:
        return {"skipped": "demo city not found: run seed_demo first"}
    if not Exam.objects.filter(unit=city, title=FINISHED_TITLE).exists():
        with transaction.atomic(), audited(actor=None, action="demo.seed_learning"):
            _build(random.Random(seed), city, admin, study_days)
    return {
        "materials": StudyMaterial.objects.filter(unit__path__startswith=city.path).count(),
        "questions": Question.objects.filter(unit__path__startswith=city.path).count(),
        "study_records": StudyRecord.objects.filter(unit__path__startswith=city.path).count(),
        "exams": Exam.objects.filter(unit__path__startswith=city.path).count(),
        "attempts": ExamAttempt.objects.filter(unit__path__startswith=city.path).count(),
    }


def _build(rng: random.Random, city: Unit, admin: User, study_days: int) -> None:
    today = timezone.localdate()
    materials = []
    for i, (title, category, summary) in enumerate(MATERIALS):
        materials.append(StudyMaterial(unit=city, title=title, category=category, summary=summary,
                                       body=summary, published_on=today - dt.timedelta(days=study_days - i * 3),
                                       created_by=admin))
    StudyMaterial.objects.bulk_create(materials)
    materials = list(StudyMaterial.objects.filter(unit=city))

    questions = []
    for qtype, stem, options, answer, explanation, category, difficulty in QUESTIONS:
        questions.append(Question(unit=city, qtype=qtype, stem=stem, options=options, answer=answer,
                                  explanation=explanation, category=category, difficulty=difficulty,
                                  fingerprint=fingerprint(qtype, stem), created_by=admin))
    Question.objects.bulk_create(questions, ignore_conflicts=True)

    officers = list(Officer.objects.filter(unit__path__startswith=city.path, status__in=ROSTER_STATUSES)
                    .select_related("unit").order_by("id"))
    demo_officer = Officer.objects.filter(user__username="officer").first()
    _study_records(rng, officers, materials, demo_officer, today, study_days)

    now = timezone.now()
    finished = services.exam_create(
        actor=admin, unit=city, title=FINISHED_TITLE, description="全市政法干警参加，闭卷，限时 60 分钟。",
        start_at=now - dt.timedelta(days=20), end_at=now - dt.timedelta(days=13), duration_minutes=60,
        pass_score=60, rules=[{"qtype": "single", "category": "", "count": 20},
                              {"qtype": "multiple", "category": "", "count": 10},
                              {"qtype": "true_false", "category": "", "count": 20}],
        points={"single": 2, "multiple": 3, "true_false": "1.5"}, publish=True, seed="demo-finished")
    _attempts(rng, finished, officers, share=0.8, exclude=None, force=demo_officer)
    opened = services.exam_create(
        actor=admin, unit=city, title=OPEN_TITLE, description="第二期测试，每人可作答两次，以最高分计。",
        start_at=now - dt.timedelta(days=1), end_at=now + dt.timedelta(days=14), duration_minutes=30,
        pass_score=60, max_attempts=2, rules=[{"qtype": "single", "category": "", "count": 10},
                                             {"qtype": "multiple", "category": "", "count": 5},
                                             {"qtype": "true_false", "category": "", "count": 10}],
        points={"single": 4, "multiple": 6, "true_false": 3}, publish=True, seed="demo-open")
    _attempts(rng, opened, officers, share=0.3, exclude=demo_officer, force=None)


def _study_records(rng, officers, materials, demo_officer, today, days) -> None:
    channels, weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    sessions: dict[tuple[int, dt.date], uuid.UUID] = {}
    rows = []
    for officer in officers:
        studies = rng.random() < 0.85 or officer == demo_officer
        if not studies:
            continue
        for _ in range(rng.randint(2 if officer == demo_officer else 1, 9)):
            date = today - dt.timedelta(days=rng.randint(0, days))
            channel = rng.choices(channels, weights)[0]
            material = rng.choice(materials) if rng.random() < 0.7 else None
            category = material.category if material else rng.choice(["political", "party_history", "warning",
                                                                       "role_model"])
            session = None
            if channel == "led":
                session = sessions.setdefault((officer.unit_id, date), uuid.UUID(int=rng.getrandbits(128)))
            rows.append(StudyRecord(unit_id=officer.unit_id, officer=officer, material=material, category=category,
                                    date=date, channel=channel, session=session,
                                    hours=rng.choice([None, None, Decimal("0.5"), Decimal("1"), Decimal("1.5"),
                                                      Decimal("2"), Decimal("3")])))
    StudyRecord.objects.bulk_create(rows, batch_size=2000)


def _wrong(rng, item) -> str:
    if item.qtype == "true_false":
        return "F" if item.answer == "T" else "T"
    letters = [chr(65 + i) for i in range(len(item.options))]
    if item.qtype == "single":
        return rng.choice([x for x in letters if x != item.answer])
    chosen = set(item.answer)
    if len(chosen) > 2 and rng.random() < 0.6:
        chosen.discard(rng.choice(sorted(chosen)))
    else:
        extra = [x for x in letters if x not in chosen]
        if extra:
            chosen.add(rng.choice(extra))
        else:
            chosen.discard(rng.choice(sorted(chosen)))
    return "".join(sorted(chosen))


def _attempts(rng, exam: Exam, officers, *, share: float, exclude, force) -> None:
    paper = list(exam.paper.all())
    window = (exam.end_at - exam.start_at).total_seconds() if exam.end_at < timezone.now() else \
        (timezone.now() - exam.start_at).total_seconds()
    rows = []
    for officer in officers:
        if officer == exclude or not (officer == force or rng.random() < share):
            continue
        ability = min(0.98, max(0.35, rng.gauss(0.78, 0.12)))
        answers = {}
        for item in paper:
            chance = ability - (0.12 if item.qtype == "multiple" else 0)
            if rng.random() < 0.02:
                continue  # left blank
            answers[str(item.id)] = item.answer if rng.random() < chance else _wrong(rng, item)
        score, right = score_paper(paper, answers)
        started = exam.start_at + dt.timedelta(seconds=rng.uniform(0, max(60.0, window - 3600)))
        submitted = started + dt.timedelta(minutes=rng.randint(8, exam.duration_minutes - 1))
        rows.append(ExamAttempt(exam=exam, officer=officer, unit_id=officer.unit_id, number=1,
                                status=AttemptStatus.SUBMITTED, started_at=started,
                                deadline_at=min(started + dt.timedelta(minutes=exam.duration_minutes), exam.end_at),
                                submitted_at=submitted, submitted_on=timezone.localdate(submitted), answers=answers,
                                answers_saved_at=submitted, score=score, correct_count=right,
                                passed=score >= exam.pass_score))
    ExamAttempt.objects.bulk_create(rows, batch_size=1000)
