"""The issuing office's daily digest: per action, how many target units are overdue or returned,
sent by the reminder run once a day, seen by that office only, linking to its matrix."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from tests.campaigns.factories import running_campaign
from zhengdun.campaigns.models import Notification
from zhengdun.campaigns.services import (
    completion_declare,
    completion_return,
    office_digests_send,
    optional_action_create,
    required_action_create,
)


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


def issue(cast, campaign, title, days, unit=None, actor=None):
    return required_action_create(actor=actor or cast.admin_a, campaign=campaign, issuing_unit=unit or cast.county_a,
                                  title=title, deadline=dt.date.today() + dt.timedelta(days=days))


def declare_and_return(cast, action, unit, today=None):
    completion = completion_declare(actor=cast.admin_a, action=action, unit=unit, note="已完成", today=today)
    completion_return(actor=cast.admin_a, completion=completion, reason="材料不全")


def digests():
    return {n.action.title: n for n in Notification.objects.filter(kind="digest").select_related("unit", "action")}


def test_overdue_and_returned_counts_go_to_the_issuing_office_once_a_day(cast, campaign):
    today = dt.date.today()
    late = issue(cast, campaign, "逾期动作", -2)
    declare_and_return(cast, late, cast.court_a, today=today - dt.timedelta(days=3))
    returned = issue(cast, campaign, "退回动作", 10)
    declare_and_return(cast, returned, cast.police_a)
    fine = issue(cast, campaign, "按期动作", -1)
    for unit in (cast.court_a, cast.police_a):
        completion_declare(actor=cast.admin_a, action=fine, unit=unit, note="已完成")
    issue(cast, campaign, "还早", 20)
    optional_action_create(actor=cast.clerk_a, campaign=campaign, unit=cast.court_a, title="自选逾期",
                           deadline=today - dt.timedelta(days=1))

    assert office_digests_send(today=today) == 2
    sent = digests()
    assert set(sent) == {"逾期动作", "退回动作"}
    assert {n.unit for n in sent.values()} == {cast.county_a}
    assert "2 个对象单位逾期未完成（其中被退回 1 个），共 2 个对象单位" in sent["逾期动作"].message
    assert "1 个对象单位的申报被退回" in sent["退回动作"].message
    assert office_digests_send(today=today) == 0
    assert office_digests_send(today=today + dt.timedelta(days=1)) == 2


def test_a_city_action_is_summed_up_for_the_city_office(cast, campaign):
    issue(cast, campaign, "市级逾期", -1, unit=cast.city, actor=cast.city_admin)
    assert office_digests_send() == 1
    note = digests()["市级逾期"]
    assert note.unit == cast.city and "共 5 个对象单位" in note.message


def test_the_digest_is_seen_by_the_issuing_office_and_opens_its_matrix(cast, campaign, client_for):
    issue(cast, campaign, "逾期动作", -2)
    office_digests_send()
    note = digests()["逾期动作"]
    assert "逾期动作" in client_for(cast.admin_a).get("/campaigns/notifications/").content.decode()
    for user in (cast.admin_b, cast.clerk_a):
        assert "落实汇总" not in client_for(user).get("/campaigns/notifications/").content.decode()
    response = client_for(cast.admin_a).post(f"/campaigns/notifications/{note.id}/read/")
    assert response.status_code == 302
    assert response.url == f"/campaigns/matrix/?unit={cast.county_a.id}&campaign={campaign.id}&attention=1"
    assert client_for(cast.admin_a).get(response.url).status_code == 200
    note.refresh_from_db()
    assert note.read_at is not None
    assert client_for(cast.admin_b).post(f"/campaigns/notifications/{note.id}/read/").status_code == 404


def test_the_command_sends_reminders_and_digests_idempotently(cast, campaign):
    issue(cast, campaign, "逾期动作", -2)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "2 条单位提醒、1 条教整办落实汇总" in out.getvalue()
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "0 条单位提醒、0 条教整办落实汇总" in out.getvalue()
