"""Taking exams: automatic scoring, the server-side time limit, one attempt per officer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.learning.factories import answers_for, make_exam
from zhengdun.learning import selectors, services
from zhengdun.learning.models import AttemptStatus, ExamAttempt
from zhengdun.org.access import scope_for


def test_submit_scores_each_type_and_multiple_is_all_or_nothing(cast):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    paper = {item.position: item for item in exam.paper.all()}
    answers = {str(paper[1].id): "B", str(paper[2].id): "AB",  # multiple: partly right -> 0
               str(paper[3].id): "错误", str(paper[4].id): "A"}
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score == Decimal("3")  # single 2 + true/false 1
    assert attempt.correct_count == 2
    assert attempt.passed is True  # pass mark 3
    assert attempt.unit_id == cast.court_a.id and attempt.submitted_on == timezone.localdate()


def test_all_right_scores_the_total(cast):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers=answers_for(exam))
    assert attempt.score == exam.total_score == Decimal("8")


def test_time_limit_is_enforced_on_the_server(cast):
    exam = make_exam(cast, duration=30)
    start = timezone.now()
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam, now=start)
    assert attempt.deadline_at == start + dt.timedelta(minutes=30)
    first = exam.paper.get(position=1)
    services.attempt_save(actor=cast.officer_a, attempt=attempt, answers={str(first.id): "B"},
                          now=start + dt.timedelta(minutes=10))
    late = start + dt.timedelta(minutes=45)
    # a save after the deadline is refused; a late submission's answers are ignored
    assert services.attempt_save(actor=cast.officer_a, attempt=attempt, answers=answers_for(exam), now=late) is False
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers=answers_for(exam), now=late)
    attempt.refresh_from_db()
    assert attempt.timed_out is True
    assert attempt.score == Decimal("2")  # only the answer saved in time counts
    assert attempt.submitted_at == attempt.deadline_at


def test_deadline_never_passes_the_end_of_the_exam(cast):
    now = timezone.now()
    exam = make_exam(cast, duration=60, end=now + dt.timedelta(minutes=10))
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam, now=now)
    assert attempt.deadline_at == exam.end_at


def test_overdue_attempts_are_collected_and_scored(cast):
    exam = make_exam(cast, duration=5)
    start = timezone.now() - dt.timedelta(minutes=20)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam, now=start)
    services.attempt_save(actor=cast.officer_a, attempt=attempt, answers=answers_for(exam), now=start)
    assert services.attempt_close_overdue(exam=exam) == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.timed_out and attempt.score == Decimal("8")


def test_one_attempt_per_officer(cast):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    assert services.attempt_start(actor=cast.officer_a, exam=exam).pk == attempt.pk  # resumes, no second row
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers={})
    with pytest.raises(ValidationError):
        services.attempt_start(actor=cast.officer_a, exam=exam)
    with pytest.raises(ValidationError):
        services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers={})
    assert ExamAttempt.objects.filter(exam=exam).count() == 1


def test_the_database_refuses_a_second_attempt_with_the_same_number(cast):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamAttempt.objects.create(exam=exam, officer=attempt.officer, unit_id=attempt.unit_id, number=1,
                                   started_at=attempt.started_at, deadline_at=attempt.deadline_at)


def test_retakes_when_the_exam_allows_them(cast):
    exam = make_exam(cast, max_attempts=2)
    first = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=first, answers={})
    second = services.attempt_start(actor=cast.officer_a, exam=exam)
    assert second.number == 2
    services.attempt_submit(actor=cast.officer_a, attempt=second, answers={})
    with pytest.raises(ValidationError):
        services.attempt_start(actor=cast.officer_a, exam=exam)


def test_only_targeted_officers_see_and_take_the_exam(cast):
    exam_b = make_exam(cast, unit=cast.county_b)
    police_only = make_exam(cast, target_kinds=["police"], title="公安专场")
    mine = {e.id for e, _a in selectors.my_exams(scope=scope_for(cast.officer_a))}
    assert exam_b.id not in mine and police_only.id not in mine
    with pytest.raises(PermissionDenied):
        services.attempt_start(actor=cast.officer_a, exam=exam_b)
    with pytest.raises(PermissionDenied):
        services.attempt_start(actor=cast.officer_a, exam=police_only)
    assert make_exam(cast, title="全县").id in {e.id for e, _a in selectors.my_exams(scope=scope_for(cast.officer_a))}


def test_no_start_outside_the_window(cast):
    now = timezone.now()
    exam = make_exam(cast, start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=2))
    with pytest.raises(ValidationError):
        services.attempt_start(actor=cast.officer_a, exam=exam)


def test_drafts_are_not_shown_to_officers(cast):
    exam = make_exam(cast)
    exam.status = "draft"
    exam.save()
    assert exam.id not in {e.id for e, _a in selectors.my_exams(scope=scope_for(cast.officer_a))}


def test_take_page_and_submit_over_http(cast, client_for):
    exam = make_exam(cast)
    client = client_for(cast.officer_a)
    assert client.get("/learning/exams/mine/").status_code == 200
    response = client.post(f"/learning/exams/{exam.id}/start/")
    attempt = ExamAttempt.objects.get(exam=exam)
    assert response["Location"] == f"/learning/attempts/{attempt.id}/take/"
    page = client.get(f"/learning/attempts/{attempt.id}/take/")
    assert page.status_code == 200 and "timer" in page.content.decode()
    items = {i.position: i for i in exam.paper.all()}
    saved = client.post(f"/learning/attempts/{attempt.id}/save/", {f"q_{items[1].id}": "B"})
    assert saved.status_code == 200
    client.post(f"/learning/attempts/{attempt.id}/submit/", {f"q_{items[2].id}": ["A", "B", "C"],
                                                             f"q_{items[3].id}": "F"})
    attempt.refresh_from_db()
    assert attempt.score == Decimal("6")  # 2 (saved) + 3 (multiple ABC) + 1 (true/false)
    result = client.get(f"/learning/attempts/{attempt.id}/")
    assert result.status_code == 200
    # answers are shown only after the window closes
    assert "考试结束后可以查看正确答案" in result.content.decode()


def test_results_show_correct_answers_after_the_window_closes(cast, client_for):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers={})
    exam.end_at = timezone.now() - dt.timedelta(minutes=1)
    exam.save()
    page = client_for(cast.officer_a).get(f"/learning/attempts/{attempt.id}/")
    assert "四项任务中居首位的是" in page.content.decode()


def test_exam_create_checks_bank_size_for_random_papers(cast):
    from tests.learning.factories import make_bank
    make_bank(cast)
    now = timezone.now()
    with pytest.raises(ValidationError) as info:
        services.exam_create(actor=cast.admin_a, unit=cast.county_a, title="随机", start_at=now,
                             end_at=now + dt.timedelta(days=1), duration_minutes=30, pass_score=1,
                             rules=[{"qtype": "single", "category": "", "count": 5}])
    assert "只有 2 道" in str(info.value)
    exam = services.exam_create(actor=cast.admin_a, unit=cast.county_a, title="随机", start_at=now,
                                end_at=now + dt.timedelta(days=1), duration_minutes=30, pass_score=1,
                                rules=[{"qtype": "single", "category": "", "count": 2},
                                       {"qtype": "true_false", "category": "warning", "count": 1}])
    assert exam.paper.count() == 3 and exam.total_score == Decimal("5")


def test_only_an_office_admin_issues_exams(cast):
    with pytest.raises(PermissionDenied):
        make_exam(cast, actor=cast.clerk_a)
    with pytest.raises(PermissionDenied):
        make_exam(cast, unit=cast.county_b, actor=cast.admin_a)


def test_close_overdue_command(cast):
    from django.core.management import call_command

    exam = make_exam(cast, duration=5)
    services.attempt_start(actor=cast.officer_a, exam=exam, now=timezone.now() - dt.timedelta(minutes=30))
    call_command("close_overdue_attempts")
    assert ExamAttempt.objects.get(exam=exam).status == AttemptStatus.SUBMITTED


def test_exam_create_page_random_and_fixed(cast, client_for):
    from tests.learning.factories import make_bank
    bank = make_bank(cast)
    client = client_for(cast.admin_a)
    assert client.get("/learning/exams/new/").status_code == 200
    now = timezone.localtime()
    base = {"unit": cast.county_a.id, "title": "页面组卷", "start_at": now.strftime("%Y-%m-%dT%H:%M"),
            "end_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 30,
            "pass_score": 2, "max_attempts": 1, "points_single": 2, "points_multiple": 3, "points_true_false": 1,
            "publish": "on", "target_kinds": ["court"]}
    response = client.post("/learning/exams/new/", {**base, "mode": "random", "r_all_single": "2",
                                                    "r_warning_true_false": "1"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    from zhengdun.learning.models import Exam
    exam = Exam.objects.get(title="页面组卷")
    assert exam.paper.count() == 3 and exam.kinds == ["court"] and exam.status == "published"
    response = client.post("/learning/exams/new/", {**base, "title": "固定组卷", "mode": "fixed",
                                                    "question_ids": [bank[1].id, bank[2].id]})
    assert response.status_code == 302
    assert [q.question_id for q in Exam.objects.get(title="固定组卷").paper.all()] == [bank[1].id, bank[2].id]
    assert client.get(f"/learning/exams/{exam.id}/").status_code == 200
