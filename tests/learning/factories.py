"""Builders for learning tests on top of the `cast` fixture (county A / county B)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengdun.learning import services
from zhengdun.learning.models import AttemptStatus, ExamAttempt, Question
from zhengdun.learning.question_io import fingerprint
from zhengdun.learning.scoring import score_paper
from zhengdun.org.models import Role
from zhengdun.org.services import user_create

# (题型, 题干, options, 答案, 类别)
BANK = [
    ("single", "四项任务中居首位的是？", ["清除害群之马", "筑牢政治忠诚", "整治顽瘴痼疾"], "B", "political"),
    ("multiple", "三个环节包括？", ["学习教育", "查纠整改", "总结提升", "评比表彰"], "ABC", "political"),
    ("true_false", "学习教育应以打卡积分为主要考核方式。", [], "F", "warning"),
    ("single", "中国共产党成立于？", ["1919年", "1921年", "1949年"], "B", "party_history"),
]


def make_bank(cast, unit=None, actor=None) -> list[Question]:
    unit = unit or cast.county_a
    actor = actor or (cast.admin_a if unit.path.startswith(cast.county_a.path) else
                      cast.admin_b if unit.path.startswith(cast.county_b.path) else cast.city_admin)
    items = []
    for qtype, stem, options, answer, category in BANK:
        existing = Question.objects.filter(unit=unit, fingerprint=fingerprint(qtype, stem)).first()
        if existing:
            items.append(existing)
            continue
        data = {"题型": qtype, "题干": stem, "答案": answer, "类别": category}
        for i, text in enumerate(options):
            data[f"选项{'ABCDEF'[i]}"] = text
        items.append(services.question_create(actor=actor, unit=unit, data=data))
    return items


def make_exam(cast, *, unit=None, actor=None, target_root=None, target_kinds=(), max_attempts=1,
              start=None, end=None, duration=30, pass_score=3, title="应知应会测试"):
    """Paper: single 2 + multiple 3 + true/false 1 + single 2 = 8 points."""
    unit = unit or cast.county_a
    actor = actor or (cast.admin_a if unit == cast.county_a else cast.admin_b if unit == cast.county_b
                      else cast.city_admin)
    questions = make_bank(cast, unit=unit, actor=actor)
    now = timezone.now()
    return services.exam_create(
        actor=actor, unit=unit, title=title, start_at=start or now - dt.timedelta(hours=1),
        end_at=end or now + dt.timedelta(days=1), duration_minutes=duration, pass_score=pass_score,
        target_root=target_root, target_kinds=target_kinds, max_attempts=max_attempts,
        question_ids=[q.id for q in questions], publish=True)


def officer_user(cast, key: str, username: str):
    """An account for one of the cast's officers (officer_a already has one)."""
    officer = cast.officers[key]
    user = user_create(actor=None, username=username, password="correct-horse-battery",
                       roles=[(Role.OFFICER, officer.unit)], officer=officer)
    user.refresh_from_db()
    return user


def answers_for(exam, *, right: set[int] | None = None) -> dict:
    """Answers by paper position: right for positions in `right` (1-based), else wrong."""
    result = {}
    for item in exam.paper.order_by("position"):
        if right is not None and item.position not in right:
            wrong = {"T": "F", "F": "T"}.get(item.answer) or ("A" if item.answer != "A" else "B")
            result[str(item.id)] = wrong
        else:
            result[str(item.id)] = item.answer
    return result


def submitted_attempt(exam, officer, *, passed_answers=True, number=1):
    """An attempt written directly (for counting tests where officers have no accounts)."""
    answers = answers_for(exam, right=None if passed_answers else set())
    score, right = score_paper(exam.paper.all(), answers)
    now = timezone.now()
    return ExamAttempt.objects.create(
        exam=exam, officer=officer, unit_id=officer.unit_id, number=number, status=AttemptStatus.SUBMITTED,
        started_at=now, deadline_at=now, submitted_at=now, submitted_on=timezone.localdate(now), answers=answers,
        score=score, correct_count=right, passed=score >= exam.pass_score)
