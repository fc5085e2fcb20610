"""The exam result page leads back to 我的考试 and offers another sitting when the exam allows it."""

from tests.learning.factories import make_exam
from zhengdun.learning import services


def result(client, attempt):
    page = client.get(f"/learning/attempts/{attempt.id}/")
    assert page.status_code == 200
    return page.content.decode()


def test_back_to_my_exams_and_retry_while_attempts_remain(cast, client_for):
    exam = make_exam(cast, max_attempts=2)
    first = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=first, answers={})
    client = client_for(cast.officer_a)
    body = result(client, first)
    assert 'href="/learning/exams/mine/"' in body
    assert f'action="/learning/exams/{exam.id}/start/"' in body and "再次作答" in body
    second = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=second, answers={})
    for attempt in (first, second):  # both sittings used: no more retry
        body = result(client, attempt)
        assert "再次作答" not in body and 'href="/learning/exams/mine/"' in body


def test_no_retry_on_a_single_attempt_exam_nor_for_others(cast, client_for):
    exam = make_exam(cast)
    attempt = services.attempt_start(actor=cast.officer_a, exam=exam)
    services.attempt_submit(actor=cast.officer_a, attempt=attempt, answers={})
    assert "再次作答" not in result(client_for(cast.officer_a), attempt)
    staff = result(client_for(cast.admin_a), attempt)
    assert "再次作答" not in staff and "/learning/exams/mine/" not in staff
    assert f'href="/learning/exams/{exam.id}/attempts/"' in staff
