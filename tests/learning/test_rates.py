"""Participation and pass rates equal a hand count on the cast, and each figure's drill-down
lists exactly the records it counts."""

import datetime as dt

from django.utils import timezone

from tests.conftest import make_id
from tests.learning.factories import make_exam, submitted_attempt
from zhengdun.learning import selectors, services
from zhengdun.learning.models import StudyRecord
from zhengdun.org.access import scope_for
from zhengdun.org.services import officer_create


def _extra_officers(cast):
    extra = officer_create(actor=None, unit=cast.court_a, id_number=make_id("360101", "19900101", 61),
                           name="赵未考", gender="M", birth_date=dt.date(1990, 1, 1))
    retired = officer_create(actor=None, unit=cast.court_a, id_number=make_id("360101", "19600101", 71),
                             name="钱退休", gender="M", birth_date=dt.date(1960, 1, 1), status="retired")
    return extra, retired


def _city_exam(cast):
    """Roster: judge_a, police_a, extra (CA) + judge_b (CB) = 4 (the retired officer is not counted).
    Submitted: judge_a (pass), police_a (fail), judge_b (pass)."""
    extra, retired = _extra_officers(cast)
    exam = make_exam(cast, unit=cast.city, actor=cast.city_admin, title="全市测试")
    submitted_attempt(exam, cast.officers["judge_a"], passed_answers=True)
    submitted_attempt(exam, cast.officers["police_a"], passed_answers=False)
    submitted_attempt(exam, cast.officers["judge_b"], passed_answers=True)
    return exam, extra, retired


def test_city_rates_equal_the_hand_count(cast):
    exam, _extra, _retired = _city_exam(cast)
    scope = scope_for(cast.city_admin)
    total, rows = selectors.exam_unit_rates(scope=scope, exam=exam, root=cast.city)
    assert (total.roster, total.attempted, total.passed) == (4, 3, 2)
    assert total.participation == 3 / 4 and total.pass_rate == 2 / 3
    by_unit = {r.unit.code: (r.roster, r.attempted, r.passed) for r in rows}
    assert by_unit == {"CA": (3, 2, 1), "CB": (1, 1, 1)}


def test_county_rates_and_drill_down_match(cast):
    exam, _extra, _retired = _city_exam(cast)
    scope = scope_for(cast.admin_a)
    total, rows = selectors.exam_unit_rates(scope=scope, exam=exam, root=cast.county_a)
    assert (total.roster, total.attempted, total.passed) == (3, 2, 1)
    by_unit = {r.unit.code: r for r in rows}
    assert {k: (r.roster, r.attempted, r.passed) for k, r in by_unit.items()} == {"CAFY": (2, 1, 1),
                                                                                 "CAGA": (1, 1, 0)}
    for row in [total, *rows]:
        listed = selectors.attempt_list(scope=scope, exam=exam, unit=row.unit)
        assert len({a.officer_id for a in listed}) == row.attempted
        assert len({a.officer_id for a in listed.filter(passed=True)}) == row.passed
        assert selectors.exam_roster(scope=scope, exam=exam, root=row.unit).count() == row.roster
    absent = selectors.exam_absentees(scope=scope, exam=exam, root=cast.county_a)
    assert [o.name for o in absent] == ["赵未考"]


def test_rates_are_limited_to_what_the_user_sees(cast):
    exam, _extra, _retired = _city_exam(cast)
    total, _rows = selectors.exam_unit_rates(scope=scope_for(cast.admin_b), exam=exam, root=cast.county_b)
    assert (total.roster, total.attempted, total.passed) == (1, 1, 1)


def test_in_progress_attempts_do_not_count(cast):
    exam = make_exam(cast)
    services.attempt_start(actor=cast.officer_a, exam=exam)
    total, _rows = selectors.exam_unit_rates(scope=scope_for(cast.admin_a), exam=exam, root=cast.county_a)
    assert (total.roster, total.attempted) == (2, 0)


def test_results_page_shows_figures_and_links(cast, client_for):
    exam, _extra, _retired = _city_exam(cast)
    page = client_for(cast.city_admin).get(f"/learning/exams/{exam.id}/results/")
    text = page.content.decode()
    assert page.status_code == 200 and "75.0%" in text and "66.7%" in text
    assert f"/learning/exams/{exam.id}/attempts/?unit={cast.county_a.id}&passed=1" in text
    drill = client_for(cast.city_admin).get(f"/learning/exams/{exam.id}/attempts/?unit={cast.county_a.id}&passed=1")
    assert "张审判" in drill.content.decode() and "李警官" not in drill.content.decode()


def test_study_coverage_is_officers_with_a_record_over_the_roster(cast):
    _extra_officers(cast)
    today = timezone.localdate()
    services.study_record_create(actor=cast.clerk_a, officer=cast.officers["judge_a"], date=today, channel="self")
    services.study_record_create(actor=cast.clerk_a, officer=cast.officers["judge_a"], date=today, channel="led")
    services.study_record_create(actor=cast.admin_a, officer=cast.officers["police_a"],
                                 date=today - dt.timedelta(days=40), channel="video")
    scope = scope_for(cast.admin_a)
    assert selectors.study_coverage(scope=scope, root=cast.county_a) == {"roster": 3, "studied": 2, "rate": 2 / 3}
    recent = selectors.study_coverage(scope=scope, root=cast.county_a, date_from=today - dt.timedelta(days=7))
    assert (recent["roster"], recent["studied"]) == (3, 1)
    assert StudyRecord.objects.filter(unit__path__startswith=cast.county_a.path).count() == 3
