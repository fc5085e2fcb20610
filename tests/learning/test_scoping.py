"""Scoping: a clerk in county B sees none of county A's study records or attempts; materials
reach everyone below the publishing office; out of scope answers 404."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.learning.factories import make_exam, submitted_attempt
from zhengdun.learning import selectors, services
from zhengdun.org.access import scope_for
from zhengdun.org.models import Role
from zhengdun.org.services import user_create


@pytest.fixture
def clerk_b(cast):
    return user_create(actor=None, username="clerk_b", password="correct-horse-battery",
                       roles=[(Role.UNIT_CLERK, cast.court_b)])


@pytest.fixture
def records(cast):
    today = timezone.localdate()
    a = services.study_record_create(actor=cast.officer_a, officer=cast.officers["judge_a"], date=today,
                                     channel="self")
    b = services.study_record_create(actor=cast.admin_b, officer=cast.officers["judge_b"], date=today,
                                     channel="led")
    exam = make_exam(cast, unit=cast.city, actor=cast.city_admin)
    att_a = submitted_attempt(exam, cast.officers["judge_a"])
    att_b = submitted_attempt(exam, cast.officers["judge_b"])
    return {"study_a": a, "study_b": b, "exam": exam, "attempt_a": att_a, "attempt_b": att_b}


def test_clerk_in_county_b_sees_only_county_b_records(cast, clerk_b, records):
    scope = scope_for(clerk_b)
    assert {r.id for r in selectors.study_record_list(scope=scope)} == {records["study_b"].id}
    assert {a.id for a in selectors.attempt_list(scope=scope)} == {records["attempt_b"].id}


def test_clerk_in_county_b_gets_404_for_county_a(cast, clerk_b, records, client_for):
    client = client_for(clerk_b)
    assert client.get(f"/learning/attempts/{records['attempt_a'].id}/").status_code == 404
    assert client.get(f"/learning/attempts/{records['attempt_b'].id}/").status_code == 200
    assert client.get(f"/learning/study/?officer={cast.officers['judge_a'].id}").status_code == 404
    assert client.get(f"/learning/study/?unit={cast.court_a.id}").status_code == 404
    assert client.get(f"/learning/officers/{cast.officers['judge_a'].id}/file/").status_code == 404
    listing = client.get("/learning/study/").content.decode()
    assert "王法官" in listing and "张审判" not in listing
    api = client.get("/api/learning/study-records").json()
    assert {item["unit"] for item in api["items"]} == {cast.court_b.id}
    attempts = client.get("/api/learning/attempts").json()
    assert [item["id"] for item in attempts["items"]] == [records["attempt_b"].id]
    assert client.get(f"/api/learning/attempts?unit={cast.court_a.id}").status_code == 404


def test_officer_sees_only_their_own_records(cast, records):
    scope = scope_for(cast.officer_a)
    assert {r.id for r in selectors.study_record_list(scope=scope)} == {records["study_a"].id}
    assert {a.id for a in selectors.attempt_list(scope=scope)} == {records["attempt_a"].id}


def test_city_exam_reaches_clerks_and_officers_below(cast, clerk_b, records):
    assert selectors.exam_get(scope=scope_for(clerk_b), exam_id=records["exam"].id) is not None
    assert selectors.exam_get(scope=scope_for(cast.officer_a), exam_id=records["exam"].id) is not None
    county_a_exam = make_exam(cast)
    assert selectors.exam_get(scope=scope_for(clerk_b), exam_id=county_a_exam.id) is None
    assert selectors.exam_get(scope=scope_for(cast.admin_b), exam_id=county_a_exam.id) is None


def test_materials_reach_everyone_below_the_publishing_office(cast, clerk_b):
    material = services.material_create(actor=cast.admin_a, unit=cast.county_a, title="县级学习资料",
                                        category="warning")
    for user in (cast.admin_a, cast.clerk_a, cast.officer_a, cast.city_admin, cast.supervisor_a):
        assert selectors.material_get(scope=scope_for(user), material_id=material.id) is not None, user
    for user in (cast.admin_b, clerk_b, cast.auditor):
        assert selectors.material_get(scope=scope_for(user), material_id=material.id) is None, user


def test_question_bank_is_not_visible_to_officers_or_other_counties(cast):
    from tests.learning.factories import make_bank
    city_q = make_bank(cast, unit=cast.city, actor=cast.city_admin)[0]
    county_q = make_bank(cast)[0]
    assert selectors.question_get(scope=scope_for(cast.admin_a), question_id=city_q.id) is not None  # bank above
    assert selectors.question_get(scope=scope_for(cast.admin_b), question_id=county_q.id) is None
    assert selectors.question_list(scope=scope_for(cast.officer_a)).count() == 0
    assert selectors.question_list(scope=scope_for(cast.clerk_a)).count() == 0


def test_study_batch_by_clerk_and_refusal_outside_their_unit(cast):
    from django.core.exceptions import PermissionDenied, ValidationError

    from zhengdun.learning.models import StudyRecord
    today = timezone.localdate()
    rows = services.study_records_create_batch(actor=cast.clerk_a, officers=[cast.officers["judge_a"]], date=today,
                                               channel="led")
    assert len(rows) == 1 and rows[0].session is not None
    before = StudyRecord.objects.count()
    with pytest.raises(PermissionDenied):
        services.study_records_create_batch(actor=cast.clerk_a, officers=[cast.officers["judge_a"],
                                                                          cast.officers["police_a"]],
                                            date=today, channel="led")
    with pytest.raises(ValidationError):
        services.study_record_create(actor=cast.officer_a, officer=cast.officers["judge_a"],
                                     date=today + dt.timedelta(days=1), channel="self")
    with pytest.raises(PermissionDenied):
        services.study_record_create(actor=cast.officer_a, officer=cast.officers["police_a"], date=today,
                                     channel="self")
    assert StudyRecord.objects.count() == before


def test_study_pages_over_http(cast, client_for):
    officer = client_for(cast.officer_a)
    today = timezone.localdate().isoformat()
    response = officer.post("/learning/study/new/", {"date": today, "channel": "video"})
    assert response.status_code == 302
    clerk = client_for(cast.clerk_a)
    assert clerk.get("/learning/study/batch/").status_code == 200
    response = clerk.post("/learning/study/batch/", {"unit": cast.court_a.id, "date": today, "channel": "led",
                                                     "officers": [cast.officers["judge_a"].id]})
    assert response.status_code == 302
    assert clerk.post("/learning/study/batch/", {"unit": cast.court_b.id, "date": today, "channel": "led",
                                                 "officers": [cast.officers["judge_b"].id]}).status_code == 404
    from zhengdun.learning.models import StudyRecord
    assert StudyRecord.objects.filter(officer=cast.officers["judge_a"]).count() == 2
    assert StudyRecord.objects.filter(officer=cast.officers["judge_b"]).count() == 0


def test_api_lists_carry_unit_and_create_works(cast, client_for):
    client = client_for(cast.officer_a)
    response = client.post("/api/learning/study-records", {"officer": cast.officers["judge_a"].id,
                                                           "date": timezone.localdate().isoformat(),
                                                           "channel": "group"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["unit"] == cast.court_a.id
    bad = client.post("/api/learning/study-records", {"officer": cast.officers["judge_a"].id,
                                                      "date": timezone.localdate().isoformat(), "channel": "打卡"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    other = client.post("/api/learning/study-records", {"officer": cast.officers["police_a"].id,
                                                        "date": timezone.localdate().isoformat(), "channel": "self"},
                        content_type="application/json")
    assert other.status_code == 404
    make_exam(cast)
    admin = client_for(cast.admin_a)
    for path in ("/api/learning/materials", "/api/learning/study-records", "/api/learning/exams",
                 "/api/learning/attempts"):
        body = admin.get(path).json()
        assert "items" in body, path
        assert all("unit" in item for item in body["items"])
    assert admin.get("/api/learning/exams").json()["items"][0]["unit"] == cast.county_a.id
