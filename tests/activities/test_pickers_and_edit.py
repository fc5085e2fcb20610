"""Person pickers (search, not the roster on the page), editing activity records, and the filtered
talk and pledge lists with the pledge detail page."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.campaigns.factories import running_campaign
from tests.conftest import make_id
from tests.stats.test_rollups import table_rows
from zhengdun.activities.models import (
    ActivityParticipant,
    ActivityRecord,
    ActivityType,
    EvidenceFile,
    PledgeLetter,
    TalkRecord,
)
from zhengdun.activities.services import activity_create, activity_update, pledge_create, talk_create
from zhengdun.audit.models import AuditEntry
from zhengdun.org.models import Officer
from zhengdun.stats.rollups import rebuild

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


def add_officers(unit, n, *, start=100, name="测试员"):
    """Bulk roster growth: n serving officers in `unit` (valid, unique ID numbers)."""
    rows = []
    for i in range(start, start + n):
        o = Officer(unit=unit, name=f"{name}{i}", gender="M", birth_date=dt.date(1990, 1, 1), position="科员")
        o.set_id_number(make_id(unit.division_code, "19900101", i % 1000))
        rows.append(o)
    Officer.objects.bulk_create(rows)


def weigh(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return len(body.encode()), len(queries)


# --- pickers ---------------------------------------------------------------------------------------

def test_form_pages_do_not_grow_with_the_roster(cast, campaign, client_for):
    client = client_for(cast.admin_a)
    unit = cast.court_a.id
    urls = [f"/activities/new/?unit={unit}", f"/activities/talks/new/?unit={unit}",
            f"/activities/pledges/new/?unit={unit}"]
    for url in urls:  # the first request of a session does its own one-off queries
        client.get(url)
    before = {url: weigh(client, url) for url in urls}
    add_officers(cast.court_a, 300)
    add_officers(cast.police_a, 200, start=400)
    after = {url: weigh(client, url) for url in urls}
    assert after == before
    body = client.get(urls[0]).content.decode()
    assert "测试员1" not in body and 'type="checkbox" name="participants"' not in body
    assert "/activities/pickers/officers/" in body and "/activities/pickers/units/" in body


def search(client, q, **params):
    response = client.get("/activities/pickers/officers/", {"q": q, **params})
    assert response.status_code == 200
    return re.findall(r'data-pick-value="(\d+)"', response.content.decode())


def test_search_finds_by_name_unit_and_id_tail_within_scope(cast, client_for):
    judge_a, police_a, judge_b = (cast.officers[k] for k in ("judge_a", "police_a", "judge_b"))
    admin_a = client_for(cast.admin_a)
    assert search(admin_a, "张审判") == [str(judge_a.id)]
    assert search(admin_a, "公安") == [str(police_a.id)]
    assert search(admin_a, judge_a.id_number_masked[-4:]) == [str(judge_a.id)]
    assert search(admin_a, judge_a.reveal_id_number()) == [str(judge_a.id)]
    assert search(admin_a, "") == []
    # county B is not there for county A, by name, unit or ID number
    assert search(admin_a, "王法官") == [] and search(admin_a, "乙县") == []
    assert search(admin_a, judge_b.id_number_masked[-4:]) == []
    assert search(admin_a, judge_b.reveal_id_number()) == []
    assert search(client_for(cast.city_admin), "王法官") == [str(judge_b.id)]
    # a clerk reaches their own unit only; a root limits to its subtree; a root out of scope is a 404
    assert search(client_for(cast.clerk_a), "李警官") == []
    assert search(admin_a, "李警官", unit=cast.court_a.id) == []
    assert admin_a.get("/activities/pickers/officers/", {"q": "王", "unit": cast.court_b.id}).status_code == 404
    assert admin_a.get("/activities/pickers/units/", {"unit": cast.court_b.id}).status_code == 404
    # only writers use the pickers
    assert client_for(cast.supervisor_a).get("/activities/pickers/officers/", {"q": "张"}).status_code == 403
    assert client_for(cast.officer_a).get("/activities/pickers/officers/", {"q": "张"}).status_code == 403


def test_search_answers_at_most_thirty_matches(cast, client_for):
    add_officers(cast.court_a, 45)
    client = client_for(cast.admin_a)
    response = client.get("/activities/pickers/officers/", {"q": "测试员"})
    assert len(re.findall(r"data-pick-value=", response.content.decode())) == 30
    assert "只显示前 30 条" in response.content.decode()


def test_unit_search_gives_serving_counts_in_scope(cast, client_for):
    add_officers(cast.court_a, 4)
    Officer.objects.filter(name="测试员100").update(status="retired")
    client = client_for(cast.admin_a)
    body = client.get("/activities/pickers/units/", {"unit": cast.county_a.id, "q": "法院"}).content.decode()
    assert re.findall(r'data-pick-value="(\d+)"', body) == [str(cast.court_a.id)]
    assert "4 人" in body  # judge_a and three serving test officers
    assert "乙县" not in client.get("/activities/pickers/units/", {"q": "法院"}).content.decode()


def post_activity(client, cast, campaign, **extra):
    data = {"unit": cast.court_a.id, "campaign": campaign.id, "activity_type": ActivityType.objects.get(name="讲党课").id,
            "title": "专题党课", "date": dt.date.today().isoformat(), "participants": [cast.officers["judge_a"].id]}
    data.update(extra)
    return client.post(f"/activities/new/?unit={cast.court_a.id}", data)


def test_out_of_scope_ids_are_refused_on_every_form(cast, campaign, client_for, media):
    client = client_for(cast.admin_a)
    judge_b = cast.officers["judge_b"]
    r = post_activity(client, cast, campaign, participants=[cast.officers["judge_a"].id, judge_b.id])
    assert r.status_code == 200 and ActivityRecord.objects.count() == 0
    assert "不在您的管辖范围内" in r.content.decode()
    r = post_activity(client, cast, campaign, participants=[], participant_units=[cast.court_b.id])
    assert r.status_code == 200 and ActivityRecord.objects.count() == 0
    # a sibling unit is not below the record's unit (and a clerk does not reach it at all)
    r = post_activity(client_for(cast.clerk_a), cast, campaign, participants=[cast.officers["police_a"].id])
    assert r.status_code == 200 and ActivityRecord.objects.count() == 0
    r = client.post(f"/activities/talks/new/?unit={cast.court_a.id}", {
        "unit": cast.court_a.id, "campaign": campaign.id, "talker": judge_b.id, "officer": cast.officers["judge_a"].id,
        "round": 1, "date": dt.date.today().isoformat(), "kind": "heart"})
    assert r.status_code == 200 and TalkRecord.objects.count() == 0
    r = client.post(f"/activities/pledges/new/?unit={cast.court_a.id}", {
        "unit": cast.court_a.id, "campaign": campaign.id, "officer": judge_b.id,
        "signed_date": dt.date.today().isoformat(), "scan": SimpleUploadedFile("承诺书.pdf", PDF)})
    assert r.status_code == 200 and PledgeLetter.objects.count() == 0
    # the re-shown form keeps the in-scope pick as a chip and never shows the refused person
    r = post_activity(client, cast, campaign, participants=[cast.officers["judge_a"].id, judge_b.id], title="")
    body = r.content.decode()
    assert f'name="participants" value="{cast.officers["judge_a"].id}"' in body and "王法官" not in body
    # the service checks again on its own (the API and any other caller)
    kind = ActivityType.objects.get(name="讲党课")
    with pytest.raises(ValidationError):
        activity_create(actor=cast.admin_a, unit=cast.county_a, campaign=campaign, activity_type=kind, title="x",
                        date=dt.date.today(), participants=[judge_b])


def test_a_whole_unit_adds_its_serving_officers(cast, campaign, client_for, media):
    add_officers(cast.court_a, 3)
    Officer.objects.filter(name="测试员101").update(status="departed")
    client = client_for(cast.admin_a)
    r = client.post(f"/activities/new/?unit={cast.county_a.id}", {
        "unit": cast.county_a.id, "campaign": campaign.id, "activity_type": ActivityType.objects.get(name="专题会议").id,
        "title": "全县大会", "date": dt.date.today().isoformat(), "participants": [cast.officers["police_a"].id,
                                                                               cast.officers["judge_a"].id],
        "participant_units": [cast.court_a.id]})
    assert r.status_code == 302, r.content.decode()[:3000]
    record = ActivityRecord.objects.get()
    names = set(ActivityParticipant.objects.filter(activity=record).values_list("officer__name", flat=True))
    assert names == {"李警官", "张审判", "测试员100", "测试员102"} and record.person_times == 4


# --- editing an activity record ----------------------------------------------------------------------

@pytest.fixture
def record(cast, campaign, media):
    return activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign,
                           activity_type=ActivityType.objects.get(name="讲党课"), title="专题党课",
                           date=dt.date.today(), participants=[cast.officers["judge_a"]],
                           files=[(SimpleUploadedFile("照片.png", PNG), "photo")])


def test_edit_is_for_the_owning_unit_only(cast, client_for, record):
    for user in (cast.clerk_a, cast.admin_a, cast.city_admin):
        assert client_for(user).get(f"/activities/{record.id}/edit/").status_code == 200, user
    assert client_for(cast.admin_b).get(f"/activities/{record.id}/edit/").status_code == 404
    assert client_for(cast.supervisor_a).get(f"/activities/{record.id}/edit/").status_code == 403
    assert f'href="/activities/{record.id}/edit/"' in client_for(cast.clerk_a).get(
        f"/activities/{record.id}/").content.decode()
    assert "/edit/" not in client_for(cast.supervisor_a).get(f"/activities/{record.id}/").content.decode()
    with pytest.raises(PermissionDenied):
        activity_update(actor=cast.admin_b, activity=record, campaign=record.campaign,
                        activity_type=record.activity_type, title="越权", date=record.date,
                        participants=[cast.officers["judge_a"]])


def test_edit_changes_fields_participants_and_files_with_audit(cast, client_for, record, media):
    add_officers(cast.court_a, 2)
    extra = Officer.objects.get(name="测试员100")
    photo = record.evidence.get()
    rows_before = AuditEntry.objects.filter(action="activity.update").count()
    client = client_for(cast.clerk_a)
    page = client.get(f"/activities/{record.id}/edit/").content.decode()
    assert f'name="participants" value="{cast.officers["judge_a"].id}"' in page and "照片.png" in page
    yesterday = dt.date.today() - dt.timedelta(days=1)
    r = client.post(f"/activities/{record.id}/edit/", {
        "campaign": record.campaign_id, "activity_type": record.activity_type_id, "title": "专题党课（更正）",
        "date": yesterday.isoformat(), "place": "大会议室", "participants": [extra.id],
        "remove_evidence": [photo.id], "files_minutes": SimpleUploadedFile("记录.pdf", PDF)})
    assert r.status_code == 302, r.content.decode()[:3000]
    record.refresh_from_db()
    assert (record.title, record.date, record.place, record.person_times) == ("专题党课（更正）", yesterday, "大会议室", 1)
    assert list(ActivityParticipant.objects.filter(activity=record).values_list("officer_id", "date")) == [
        (extra.id, yesterday)]
    assert list(EvidenceFile.objects.filter(activity=record).values_list("kind", flat=True)) == ["minutes"]
    assert AuditEntry.objects.filter(action="activity.update").count() > rows_before
    # the rollups the triggers kept equal a rebuild from the records
    kept = table_rows()
    rebuild()
    assert table_rows() == kept


def test_edit_keeps_the_rules_of_create(cast, client_for, record, media):
    client = client_for(cast.clerk_a)
    base = {"campaign": record.campaign_id, "activity_type": record.activity_type_id, "title": "专题党课",
            "date": dt.date.today().isoformat()}
    r = client.post(f"/activities/{record.id}/edit/", {**base, "participants": [cast.officers["judge_b"].id]})
    assert r.status_code == 200
    r = client.post(f"/activities/{record.id}/edit/", {**base, "participants": [cast.officers["police_a"].id]})
    assert r.status_code == 200
    late = (record.campaign.end_date + dt.timedelta(days=1)).isoformat()
    r = client.post(f"/activities/{record.id}/edit/", {**base, "date": late,
                                                       "participants": [cast.officers["judge_a"].id]})
    assert r.status_code == 200 and "不在整顿计划期间" in r.content.decode()
    # a head-count needs a sign-in sheet: the photo does not do, removing the only sheet is refused
    r = client.post(f"/activities/{record.id}/edit/", {**base, "headcount": 30})
    assert r.status_code == 200 and "签到表" in r.content.decode()
    r = client.post(f"/activities/{record.id}/edit/", {**base, "headcount": 30,
                                                       "files_sign_in": SimpleUploadedFile("签到.pdf", PDF)})
    assert r.status_code == 302
    record.refresh_from_db()
    assert (record.participant_mode, record.person_times) == ("headcount", 30)
    assert not ActivityParticipant.objects.filter(activity=record).exists()
    sheet = record.evidence.get(kind="sign_in")
    r = client.post(f"/activities/{record.id}/edit/", {**base, "headcount": 30, "remove_evidence": [sheet.id]})
    assert r.status_code == 200 and record.evidence.filter(kind="sign_in").exists()
    # a file of another record cannot be removed through this one
    with pytest.raises(ValidationError):
        activity_update(actor=cast.clerk_a, activity=record, campaign=record.campaign,
                        activity_type=record.activity_type, title="x", date=record.date, headcount=30,
                        remove_evidence=[10**6])


# --- talks and pledges: filters and the pledge page ----------------------------------------------------

def test_talk_list_filters(cast, campaign, client_for):
    judge, police = cast.officers["judge_a"], cast.officers["police_a"]
    today = dt.date.today()
    talk_create(actor=cast.admin_a, campaign=campaign, talker=police, officer=judge, round=1, date=today,
                kind="heart")
    talk_create(actor=cast.admin_a, campaign=campaign, talker=judge, officer=police, round=2,
                date=today - dt.timedelta(days=1), kind="reminder")
    client = client_for(cast.admin_a)

    def officers(**params):
        return [t.officer.name for t in client.get("/activities/talks/", params).context["page"]]

    assert officers() == ["张审判", "李警官"]
    assert officers(unit=cast.court_a.id) == ["张审判"]
    assert officers(round=2) == ["李警官"] and officers(kind="heart") == ["张审判"]
    assert officers(date_from=today.isoformat()) == ["张审判"]
    assert officers(date_to=(today - dt.timedelta(days=1)).isoformat()) == ["李警官"]
    assert officers(q="李警官") == ["张审判", "李警官"]  # either side of the talk
    assert officers(campaign=campaign.id) == ["张审判", "李警官"]
    assert officers(date_from="not-a-date", kind="heart") == ["张审判"]  # a bad filter drops only itself
    assert client.get("/activities/talks/", {"unit": cast.court_b.id}).status_code == 404
    body = client.get("/activities/talks/").content.decode()
    assert 'name="kind"' in body and 'name="round"' in body and "乙县人民法院" not in body


def test_pledge_list_filters_and_detail(cast, campaign, client_for, media):
    today = dt.date.today()
    a = pledge_create(actor=cast.admin_a, campaign=campaign, officer=cast.officers["judge_a"], signed_date=today,
                      scan=SimpleUploadedFile("承诺书.pdf", PDF))
    pledge_create(actor=cast.admin_a, campaign=campaign, officer=cast.officers["police_a"],
                  signed_date=today - dt.timedelta(days=2), scan=SimpleUploadedFile("承诺书.pdf", PDF))
    b = pledge_create(actor=cast.admin_b, campaign=campaign, officer=cast.officers["judge_b"], signed_date=today,
                      scan=SimpleUploadedFile("承诺书.pdf", PDF))
    client = client_for(cast.admin_a)

    def names(**params):
        return [p.officer.name for p in client.get("/activities/pledges/", params).context["page"]]

    assert names() == ["张审判", "李警官"]
    assert names(unit=cast.police_a.id) == ["李警官"] and names(q="张") == ["张审判"]
    assert names(date_to=(today - dt.timedelta(days=1)).isoformat()) == ["李警官"]
    page = client.get(f"/activities/pledges/{a.id}/")
    scan = a.evidence.get()
    assert page.status_code == 200 and f"/activities/evidence/{scan.id}/" in page.content.decode()
    assert client.get(f"/activities/pledges/{b.id}/").status_code == 404
    own = client_for(cast.officer_a)
    assert own.get(f"/activities/pledges/{a.id}/").status_code == 200
    assert f"/activities/evidence/{scan.id}/" in own.get(f"/activities/pledges/{a.id}/").content.decode()
    police_pledge = PledgeLetter.objects.get(officer=cast.officers["police_a"])
    assert own.get(f"/activities/pledges/{police_pledge.id}/").status_code == 404
    assert client_for(cast.clerk_a).get(f"/activities/pledges/{police_pledge.id}/").status_code == 404


def test_edit_keeps_participants_who_have_left_since(cast, client_for, record):
    judge = cast.officers["judge_a"]
    Officer.objects.filter(pk=judge.pk).update(status="retired")
    client = client_for(cast.clerk_a)
    assert f'name="participants" value="{judge.id}"' in client.get(f"/activities/{record.id}/edit/").content.decode()
    r = client.post(f"/activities/{record.id}/edit/", {
        "campaign": record.campaign_id, "activity_type": record.activity_type_id, "title": "专题党课",
        "date": record.date.isoformat(), "participants": [judge.id]})
    assert r.status_code == 302
    assert list(ActivityParticipant.objects.filter(activity=record).values_list("officer_id", flat=True)) == [judge.id]
    # but a retired officer is not offered for a new record
    assert search(client, "张审判", unit=cast.court_a.id, serving=1) == []
