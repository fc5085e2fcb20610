"""The officer's own view (role officer): their own file, study and exams, and nothing of a colleague's,
whether in the same court, the same county or another county, on the pages or through the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.campaigns.factories import running_campaign
from tests.learning.factories import make_exam, submitted_attempt
from zhengdun.activities.models import ActivityType
from zhengdun.activities.services import activity_create, pledge_create, talk_create
from zhengdun.learning import services

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def others(cast, settings, tmp_path):
    """Records of the officer (judge_a, account officer_a) and of two colleagues."""
    settings.MEDIA_ROOT = tmp_path / "media"
    judge, police, judge_b = cast.officers["judge_a"], cast.officers["police_a"], cast.officers["judge_b"]
    today = timezone.localdate()
    campaign = running_campaign(cast)
    services.study_record_create(actor=cast.officer_a, officer=judge, date=today, channel="self")
    services.study_record_create(actor=cast.admin_a, officer=police, date=today, channel="video")
    exam = make_exam(cast, title="全县应知应会")
    own_attempt = submitted_attempt(exam, judge)
    police_attempt = submitted_attempt(exam, police)
    activity = activity_create(actor=cast.admin_a, unit=cast.police_a, campaign=campaign,
                               activity_type=ActivityType.objects.get(name="专题会议"), title="公安专题会",
                               date=today, participants=[police])
    talk = talk_create(actor=cast.city_admin, campaign=campaign, talker=judge_b, officer=police, round=1,
                       date=today, kind="heart", note="同事的谈话要点")
    pledge = pledge_create(actor=cast.admin_a, campaign=campaign, officer=police, signed_date=today,
                           scan=SimpleUploadedFile("李警官承诺书.pdf", PDF))
    return {"exam": exam, "own_attempt": own_attempt, "police_attempt": police_attempt, "activity": activity,
            "talk": talk, "scan": pledge.evidence.get()}


def test_own_file_shows_own_records_and_no_colleagues(cast, client_for, others):
    client = client_for(cast.officer_a)
    text = client.get(f"/learning/officers/{cast.officers['judge_a'].id}/file/").content.decode()
    assert "张审判" in text and "全县应知应会" in text and "自学" in text
    assert f"/learning/attempts/{others['own_attempt'].id}/" in text
    for leak in ("李警官", "王法官", "公安专题会", "同事的谈话要点", "李警官承诺书", "视频学 <strong>1"):
        assert leak not in text, leak
    assert f"/learning/attempts/{others['police_attempt'].id}/" not in text
    for key in ("police_a", "judge_b"):
        assert client.get(f"/learning/officers/{cast.officers[key].id}/file/").status_code == 404


def test_study_and_exam_pages_show_only_own(cast, client_for, others):
    client = client_for(cast.officer_a)
    police = cast.officers["police_a"]
    study = client.get("/learning/study/").content.decode()
    assert "张审判" in study and "李警官" not in study
    assert client.get(f"/learning/study/?officer={police.id}").status_code == 404
    assert client.get(f"/learning/study/?unit={cast.police_a.id}").status_code == 404
    assert client.get(f"/learning/study/?unit={cast.court_a.id}").status_code == 404  # not even their own unit's
    assert client.get(f"/learning/attempts/{others['own_attempt'].id}/").status_code == 200
    assert client.get(f"/learning/attempts/{others['police_attempt'].id}/").status_code == 404
    mine = client.get("/learning/exams/mine/")
    assert mine.status_code == 200 and "全县应知应会" in mine.content.decode()
    exam = others["exam"].id
    for path in (f"/learning/exams/{exam}/results/", f"/learning/exams/{exam}/attempts/",
                 f"/learning/exams/{exam}/absentees/", "/learning/exams/", "/learning/questions/"):
        assert client.get(path).status_code == 403, path


def test_api_lists_only_own_records(cast, client_for, others):
    client = client_for(cast.officer_a)
    judge, police = cast.officers["judge_a"], cast.officers["police_a"]
    for path in ("/api/learning/study-records", "/api/learning/attempts"):
        items = client.get(path).json()["items"]
        assert items and {i["officer"] for i in items} == {judge.id}, path
    assert client.get(f"/api/learning/study-records?officer={police.id}").status_code == 404
    assert client.get(f"/api/learning/attempts?unit={cast.court_a.id}").status_code == 404


def test_colleagues_activities_talks_and_pledges_stay_out_of_reach(cast, client_for, others):
    client = client_for(cast.officer_a)
    for path in ("/activities/talks/", "/activities/pledges/"):
        text = client.get(path).content.decode()
        assert "李警官" not in text and "王法官" not in text, path
    assert client.get(f"/activities/talks/{others['talk'].id}/").status_code == 404
    assert client.get(f"/activities/evidence/{others['scan'].id}/").status_code == 404
    assert client.get(f"/activities/{others['activity'].id}/").status_code == 403
    assert client.get(f"/org/people/{cast.officers['police_a'].id}/").status_code in (403, 404)
    # the records exist: their office administrator does reach them
    admin = client_for(cast.admin_a)
    assert admin.get(f"/activities/evidence/{others['scan'].id}/").status_code == 200
    assert admin.get(f"/activities/talks/{others['talk'].id}/").status_code == 200
