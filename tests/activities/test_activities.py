"""Activity records, evidence uploads (refused with a message, nothing saved), scoping, talks, pledges."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.campaigns.factories import running_campaign
from zhengdun.activities.models import (
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    EvidenceFile,
    PledgeLetter,
    TalkRecord,
)
from zhengdun.activities.services import activity_create, pledge_create, talk_create
from zhengdun.audit.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def docx_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def post_activity(client, cast, campaign, **extra):
    data = {"unit": cast.court_a.id, "campaign": campaign.id, "activity_type": ActivityType.objects.get(name="讲党课").id,
            "title": "专题党课", "date": dt.date.today().isoformat(), "place": "会议室", "organiser": "政治处",
            "participants": [cast.officers["judge_a"].id]}
    data.update(extra)
    return client.post(f"/activities/new/?unit={cast.court_a.id}", data)


def test_builtin_activity_types_are_seeded(db):
    names = set(ActivityType.objects.values_list("name", flat=True))
    assert {"专题会议", "领导小组会议", "专题培训", "讲党课", "警示教育大会", "英模事迹报告会", "心得体会交流会", "走访联系点",
            "旁听庭审", "开放日", "新闻发布会", "群众座谈会"} <= names


def test_record_with_roster_participants_and_evidence(cast, campaign, client_for, media):
    client = client_for(cast.clerk_a)
    r = post_activity(client, cast, campaign, files_photo=SimpleUploadedFile("现场.png", PNG),
                      files_minutes=SimpleUploadedFile("记录.docx", docx_bytes()))
    assert r.status_code == 302, r.content.decode()[:500]
    record = ActivityRecord.objects.get()
    assert record.unit_id == cast.court_a.id and record.person_times == 1 and record.education_category == "party_history"
    assert list(ActivityParticipant.objects.values_list("officer__name", "unit_id", "date")) == [
        ("张审判", cast.court_a.id, record.date)]
    assert sorted(EvidenceFile.objects.values_list("kind", flat=True)) == ["minutes", "photo"]
    assert len(stored_files(media)) == 2
    page = client.get(f"/activities/{record.id}/")
    five = {i["kind"]: i["ok"] for i in page.context["five"]}
    assert five == {"sign_in": False, "notes": False, "speech": False, "photo": True, "minutes": True}
    photo = EvidenceFile.objects.get(kind="photo")
    assert client.get(f"/activities/evidence/{photo.id}/").status_code == 200
    assert client_for(cast.admin_a).get(f"/activities/evidence/{photo.id}/").status_code == 200
    assert client_for(cast.admin_b).get(f"/activities/evidence/{photo.id}/").status_code == 404
    assert client_for(cast.admin_b).get(f"/activities/{record.id}/").status_code == 404


@pytest.mark.parametrize("upload, reason", [
    (lambda: SimpleUploadedFile("病毒.exe", b"MZ\x90\x00"), "类型不允许"),
    (lambda: SimpleUploadedFile("假图片.png", b"this is text, not a picture"), "内容与扩展名不符"),
    (lambda: SimpleUploadedFile("假文档.pdf", PNG), "内容与扩展名不符"),
    (lambda: SimpleUploadedFile("假表格.xlsx", docx_bytes()), "内容与扩展名不符"),
    (lambda: SimpleUploadedFile("大照片.jpg", b"\xff\xd8\xff" + b"0" * 2000), "太大"),
])
def test_bad_upload_is_refused_with_a_message_and_nothing_saved(cast, campaign, client_for, media, settings,
                                                                upload, reason):
    settings.EVIDENCE_MAX_BYTES = 1000
    client = client_for(cast.clerk_a)
    bad = upload()
    r = post_activity(client, cast, campaign, files_photo=[SimpleUploadedFile("好.png", PNG), bad])
    html = r.content.decode()
    assert r.status_code == 200 and reason in html and bad.name in html
    assert ActivityRecord.objects.count() == 0 and ActivityParticipant.objects.count() == 0
    assert EvidenceFile.objects.count() == 0 and stored_files(media) == []


def test_files_are_removed_when_the_write_fails_after_storing(cast, campaign, media, monkeypatch):
    from zhengdun.activities import services

    def boom(*args, **kwargs):
        raise RuntimeError("db down")

    original = services.evidence.StoredFiles.store

    def store_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        boom()

    monkeypatch.setattr(services.evidence.StoredFiles, "store", store_then_fail)
    with pytest.raises(RuntimeError):
        activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign,
                        activity_type=ActivityType.objects.get(name="讲党课"), title="x", date=dt.date.today(),
                        participants=[cast.officers["judge_a"]],
                        files=[(SimpleUploadedFile("a.png", PNG), "photo")])
    assert ActivityRecord.objects.count() == 0 and stored_files(media) == []


def test_participants_must_be_in_the_units_subtree_and_dates_in_the_campaign(cast, campaign, client_for, media):
    client = client_for(cast.clerk_a)
    r = post_activity(client, cast, campaign, participants=[cast.officers["judge_b"].id])
    assert r.status_code == 200 and ActivityRecord.objects.count() == 0
    kind = ActivityType.objects.get(name="讲党课")
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=cast.admin_a, unit=cast.court_a, campaign=campaign, activity_type=kind, title="x",
                        date=dt.date.today(), participants=[cast.officers["police_a"]])
    assert "不属于" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=kind, title="x",
                        date=campaign.end_date + dt.timedelta(days=1), participants=[cast.officers["judge_a"]])
    assert "不在整顿计划期间" in str(exc.value)


def test_headcount_needs_a_sign_in_sheet(cast, campaign, media):
    kind = ActivityType.objects.get(name="警示教育大会")
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=kind, title="x",
                        date=dt.date.today(), headcount=40)
    assert "签到表" in str(exc.value)
    record = activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=kind,
                             title="警示教育大会", date=dt.date.today(), headcount=40,
                             files=[(SimpleUploadedFile("签到.pdf", PDF), "sign_in")])
    assert record.person_times == 40 and record.participant_mode == "headcount"


def test_activity_list_filters_and_api_scoping(cast, campaign, client_for, media):
    kind = ActivityType.objects.get(name="讲党课")
    a = activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=kind, title="甲党课",
                        date=dt.date.today(), participants=[cast.officers["judge_a"]])
    b = activity_create(actor=cast.admin_b, unit=cast.court_b, campaign=campaign,
                        activity_type=ActivityType.objects.get(name="旁听庭审"), title="乙旁听",
                        date=dt.date.today(), participants=[cast.officers["judge_b"]])
    city = client_for(cast.city_admin)
    assert [x.title for x in city.get("/activities/").context["page"]] == ["乙旁听", "甲党课"]
    assert [x.title for x in city.get(f"/activities/?unit={cast.county_a.id}").context["page"]] == ["甲党课"]
    assert [x.title for x in city.get(f"/activities/?activity_type={kind.id}").context["page"]] == ["甲党课"]
    later = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert list(city.get(f"/activities/?date_from={later}").context["page"]) == []
    api = client_for(cast.admin_a)
    assert [i["title"] for i in api.get("/api/activities").json()["items"]] == ["甲党课"]
    assert api.get(f"/api/activities/{a.id}").json()["unit"] == cast.court_a.id
    assert api.get(f"/api/activities/{b.id}").status_code == 404
    r = api.post("/api/activities", {"unit": cast.police_a.id, "campaign": campaign.id, "activity_type": "training",
                                     "title": "培训", "date": dt.date.today().isoformat(),
                                     "participants": [cast.officers["police_a"].id]}, content_type="application/json")
    assert r.status_code == 201 and r.json()["person_times"] == 1 and r.json()["unit"] == cast.police_a.id
    r = api.post("/api/activities", {"unit": cast.court_b.id, "campaign": campaign.id, "activity_type": "training",
                                     "title": "越权", "date": dt.date.today().isoformat(), "participants": []},
                 content_type="application/json")
    assert r.status_code == 404


def test_talks_are_confidential(cast, campaign, client_for):
    judge, police = cast.officers["judge_a"], cast.officers["police_a"]
    talk = talk_create(actor=cast.admin_a, campaign=campaign, talker=police, officer=judge, round=1,
                       date=dt.date.today(), kind="heart", note="谈及家庭困难")
    assert talk.unit_id == cast.court_a.id
    for user in (cast.clerk_a, cast.admin_b, cast.supervisor_a):
        assert client_for(user).get(f"/activities/talks/{talk.id}/").status_code == 404, user
        assert "谈及家庭困难" not in client_for(user).get("/activities/talks/").content.decode()
    # 三员分立: the system administrator holds no business records and cannot reach talks at all.
    assert client_for(cast.sysadmin).get(f"/activities/talks/{talk.id}/").status_code == 403
    assert client_for(cast.sysadmin).get("/activities/talks/").status_code == 403
    for user in (cast.admin_a, cast.city_admin, cast.officer_a):
        page = client_for(user).get(f"/activities/talks/{talk.id}/")
        assert page.status_code == 200 and "谈及家庭困难" in page.content.decode(), user
    assert AuditEntry.objects.filter(action="talk.view", object_id=str(talk.id)).count() == 3
    with pytest.raises(ValidationError):
        talk_create(actor=cast.admin_a, campaign=campaign, talker=police, officer=judge, round=1,
                    date=dt.date.today(), kind="heart")
    assert TalkRecord.objects.count() == 1


def test_pledges_one_per_officer_per_campaign(cast, campaign, client_for, media):
    client = client_for(cast.clerk_a)
    r = client.post(f"/activities/pledges/new/?unit={cast.court_a.id}", {
        "unit": cast.court_a.id, "campaign": campaign.id, "officer": cast.officers["judge_a"].id,
        "signed_date": dt.date.today().isoformat(), "scan": SimpleUploadedFile("承诺书.pdf", PDF)})
    assert r.status_code == 302
    pledge = PledgeLetter.objects.get()
    assert pledge.unit_id == cast.court_a.id and pledge.evidence.get().kind == "scan"
    with pytest.raises(ValidationError):
        pledge_create(actor=cast.clerk_a, campaign=campaign, officer=cast.officers["judge_a"],
                      signed_date=dt.date.today())
    assert "张审判" in client_for(cast.officer_a).get("/activities/pledges/").content.decode()
    assert "张审判" not in client_for(cast.admin_b).get("/activities/pledges/").content.decode()
    scan = pledge.evidence.get()
    assert client_for(cast.officer_a).get(f"/activities/evidence/{scan.id}/").status_code == 200
    assert client_for(cast.admin_b).get(f"/activities/evidence/{scan.id}/").status_code == 404
