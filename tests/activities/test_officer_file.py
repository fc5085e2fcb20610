"""The officer file's activity, talk and pledge sections: readable rows, links only where the viewer
may follow them, talk rows under the talk rules (both sides), and a fixed number of queries."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.campaigns.factories import running_campaign
from zhengdun.activities.models import ActivityType
from zhengdun.activities.services import activity_create, pledge_create, talk_create
from zhengdun.audit.models import AuditEntry
from zhengdun.campaigns.services import campaign_create_from_template, template_seed_builtin
from zhengdun.learning import officer_file
from zhengdun.org.access import scope_for

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


@pytest.fixture
def records(cast, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    judge, police = cast.officers["judge_a"], cast.officers["police_a"]
    today = dt.date.today()
    lecture = ActivityType.objects.get(name="讲党课")
    own = activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=lecture,
                          title="法院专题党课", date=today, participants=[judge])
    city = activity_create(actor=cast.city_admin, unit=cast.city, campaign=campaign,
                           activity_type=ActivityType.objects.get(name="警示教育大会"), title="全市警示教育大会",
                           date=today - dt.timedelta(days=1), participants=[judge, cast.officers["judge_b"]])
    talked_to = talk_create(actor=cast.admin_a, campaign=campaign, talker=police, officer=judge, round=1,
                            date=today, kind="heart", note="谈及家庭困难")
    as_talker = talk_create(actor=cast.admin_a, campaign=campaign, talker=judge, officer=police, round=2,
                            date=today - dt.timedelta(days=2), kind="reminder", note="提醒按时填报")
    pledge = pledge_create(actor=cast.clerk_a, campaign=campaign, officer=judge, signed_date=today,
                           scan=SimpleUploadedFile("张审判承诺书.pdf", PDF))
    return {"own": own, "city": city, "talked_to": talked_to, "as_talker": as_talker, "pledge": pledge,
            "scan": pledge.evidence.get()}


def page(cast, client_for, username):
    response = client_for(cast.users[username]).get(f"/learning/officers/{cast.officers['judge_a'].id}/file/")
    assert response.status_code == 200
    return response.content.decode()


def test_activities_show_date_type_title_and_organiser_with_a_link_where_readable(cast, client_for, records):
    text = page(cast, client_for, "admin_a")
    assert "参加活动" in text and "组织单位" in text
    assert "讲党课" in text and "警示教育大会" in text
    assert f'href="/activities/{records["own"].id}/"' in text
    # the city's activity is not the county office's to open: its title shows, unlinked
    assert "全市警示教育大会" in text and f'href="/activities/{records["city"].id}/"' not in text
    assert "测试市" in text
    city_page = page(cast, client_for, "city_admin")
    assert f'href="/activities/{records["city"].id}/"' in city_page


def test_officer_sees_own_activities_without_links_to_staff_pages(cast, client_for, records):
    text = page(cast, client_for, "officer_a")
    assert "法院专题党课" in text and "全市警示教育大会" in text
    assert f'href="/activities/{records["own"].id}/"' not in text


@pytest.mark.parametrize("username", ["officer_a", "admin_a", "city_admin"])
def test_talks_on_both_sides_for_those_entitled_without_notes(cast, client_for, records, username):
    text = page(cast, client_for, username)
    assert "谈心谈话" in text and "本人身份" in text
    assert f'href="/activities/talks/{records["talked_to"].id}/"' in text
    assert f'href="/activities/talks/{records["as_talker"].id}/"' in text  # the officer as the talker
    assert "谈话人" in text and "谈话对象" in text and "李警官（甲县公安局）" in text
    assert "提醒谈话" in text and "第 2 轮" in text
    assert "谈及家庭困难" not in text and "提醒按时填报" not in text
    assert AuditEntry.objects.filter(action="officer_file.view_confidential",
                                     object_id=str(cast.officers["judge_a"].id)).exists()


@pytest.mark.parametrize("username", ["clerk_a", "supervisor_a"])
def test_confidential_talks_are_withheld_from_others(cast, client_for, records, username):
    text = page(cast, client_for, username)
    assert f'href="/activities/talks/{records["talked_to"].id}/"' not in text
    assert f'href="/activities/talks/{records["as_talker"].id}/"' not in text
    assert "本人身份" not in text and "李警官" not in text
    assert "另有保密内容" in text


def test_a_talk_marked_not_confidential_shows_to_the_units_clerk(cast, client_for, campaign, records):
    open_talk = talk_create(actor=cast.admin_a, campaign=campaign, talker=cast.officers["police_a"],
                            officer=cast.officers["judge_a"], round=3, date=dt.date.today(), kind="policy",
                            note="宣讲三个规定", is_confidential=False)
    text = page(cast, client_for, "clerk_a")
    assert f'href="/activities/talks/{open_talk.id}/"' in text
    assert f'href="/activities/talks/{records["talked_to"].id}/"' not in text
    assert "宣讲三个规定" not in text


@pytest.mark.parametrize("username", ["officer_a", "clerk_a", "admin_a"])
def test_pledge_shows_date_campaign_and_scan_link(cast, client_for, records, username):
    text = page(cast, client_for, username)
    assert "签订日期" in text and "测试整顿" in text
    assert f'href="/activities/evidence/{records["scan"].id}/"' in text and "张审判承诺书.pdf" in text


def test_sections_cost_a_fixed_number_of_queries(cast, campaign, records):
    judge, police = cast.officers["judge_a"], cast.officers["police_a"]
    scope = scope_for(cast.admin_a)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            sections, _entitled, _withheld = officer_file.build(scope, judge)
            assert {"activities.participation", "activities.talks", "activities.pledges"} <= {s.key for s in sections}
        return len(ctx.captured_queries)

    before = queries()
    lecture = ActivityType.objects.get(name="讲党课")
    today = dt.date.today()
    for i in range(6):
        activity_create(actor=cast.clerk_a, unit=cast.court_a, campaign=campaign, activity_type=lecture,
                        title=f"党课{i}", date=today, participants=[judge])
        talk_create(actor=cast.admin_a, campaign=campaign, talker=police if i % 2 else judge,
                    officer=judge if i % 2 else police, round=10 + i, date=today, kind="heart")
    for i in range(3):
        other = campaign_create_from_template(actor=cast.city_admin, template=template_seed_builtin(),
                                              name=f"另一整顿{i}", year=2021, owner_unit=cast.city,
                                              offset_days=(today - dt.date(2021, 5, 10)).days, with_actions=False)
        pledge_create(actor=cast.clerk_a, campaign=other, officer=judge, signed_date=today,
                      scan=SimpleUploadedFile(f"承诺书{i}.pdf", PDF))
    sections = {s.key: s for s in officer_file.build(scope, judge)[0]}
    assert len(sections["activities.participation"].rows) == 8
    assert len(sections["activities.talks"].rows) == 8
    assert len(sections["activities.pledges"].rows) == 4
    assert queries() == before
