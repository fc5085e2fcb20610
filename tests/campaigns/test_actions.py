"""Required actions cascade to the units below; lights by date; returns and overdue on both sides."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.campaigns.factories import running_campaign
from zhengdun.campaigns import selectors
from zhengdun.campaigns.lights import light_for
from zhengdun.campaigns.models import Notification
from zhengdun.campaigns.services import (
    completion_declare,
    completion_return,
    optional_action_create,
    reminders_send,
    required_action_create,
)
from zhengdun.org.access import scope_for
from zhengdun.org.models import Unit


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


def issue(actor, campaign, unit, title, deadline=None, **kw):
    return required_action_create(actor=actor, campaign=campaign, issuing_unit=unit, title=title,
                                  deadline=deadline or dt.date.today() + dt.timedelta(days=10), **kw)


def test_county_action_reaches_every_unit_of_the_county_and_no_other(cast, campaign):
    issue(cast.admin_a, campaign, cast.county_a, "甲县规定动作")
    every = {u.code: "甲县规定动作" in {a.title for a in selectors.required_actions_for(u)}
             for u in Unit.objects.all()}
    assert every == {"C1": False, "CA": False, "CB": False, "CAFY": True, "CAGA": True, "CBFY": False}


def test_city_and_county_actions_add_up_with_own_optional_ones(cast, campaign):
    issue(cast.city_admin, campaign, cast.city, "市级动作")
    issue(cast.admin_a, campaign, cast.county_a, "县级动作")
    optional_action_create(actor=cast.clerk_a, campaign=campaign, unit=cast.court_a, title="自选动作",
                           deadline=dt.date.today() + dt.timedelta(days=5))
    assert {a.title for a in selectors.required_actions_for(cast.court_a)} == {"市级动作", "县级动作", "自选动作"}
    assert {a.title for a in selectors.required_actions_for(cast.police_a)} == {"市级动作", "县级动作"}
    assert {a.title for a in selectors.required_actions_for(cast.court_b)} == {"市级动作"}
    assert {a.title for a in selectors.required_actions_for(cast.county_a)} == {"市级动作"}


def test_kind_and_level_filters(cast, campaign):
    issue(cast.city_admin, campaign, cast.city, "法院动作", target_kinds=["court"])
    issue(cast.city_admin, campaign, cast.city, "县级动作", target_levels=["county"])
    issue(cast.city_admin, campaign, cast.city, "基层公安", target_kinds=["police"], target_levels=["unit"])
    seen = {u.code: sorted(a.title for a in selectors.required_actions_for(u)) for u in Unit.objects.all()}
    assert seen == {"C1": [], "CA": ["县级动作"], "CB": ["县级动作"], "CAFY": ["法院动作"], "CAGA": ["基层公安"],
                    "CBFY": ["法院动作"]}


def test_required_actions_for_is_one_sql_query(cast, campaign, django_assert_num_queries):
    issue(cast.admin_a, campaign, cast.county_a, "甲县规定动作")
    with django_assert_num_queries(1):
        list(selectors.required_actions_for(cast.court_a))


def test_only_the_office_above_may_issue(cast, campaign):
    with pytest.raises(PermissionDenied):
        issue(cast.clerk_a, campaign, cast.court_a, "x")
    with pytest.raises(PermissionDenied):
        issue(cast.admin_b, campaign, cast.county_a, "x")
    with pytest.raises(ValidationError) as exc:
        issue(cast.admin_a, campaign, cast.county_a, "x", deadline=campaign.end_date + dt.timedelta(days=1))
    assert "完成时限" in str(exc.value)


def test_light_colours_by_date():
    deadline = dt.date(2021, 5, 10)

    def light(today, status=None, declared_on=None):
        return light_for(deadline=deadline, status=status, declared_on=declared_on, today=today).color

    assert light(dt.date(2021, 5, 6)) == "grey"
    assert light(dt.date(2021, 5, 7)) == "yellow"
    assert light(dt.date(2021, 5, 10)) == "yellow"
    assert light(dt.date(2021, 5, 11)) == "red"
    assert light(dt.date(2021, 5, 11), "declared", dt.date(2021, 5, 9)) == "green"
    assert light(dt.date(2021, 5, 20), "accepted", dt.date(2021, 5, 9)) == "green"
    assert light(dt.date(2021, 5, 1), "returned") == "yellow"
    assert light(dt.date(2021, 5, 11), "returned") == "red"
    late = light_for(deadline=deadline, status="declared", declared_on=dt.date(2021, 5, 12), today=dt.date(2021, 5, 12))
    assert late.color == "green" and late.late


def test_unit_rows_lights_with_explicit_today(cast, campaign):
    action = issue(cast.admin_a, campaign, cast.county_a, "甲县规定动作")
    scope = scope_for(cast.clerk_a)
    colour = {t: selectors.action_rows_for_unit(scope=scope, unit=cast.court_a, today=t)[0].light.color
              for t in (action.deadline - dt.timedelta(days=4), action.deadline - dt.timedelta(days=3),
                        action.deadline + dt.timedelta(days=1))}
    assert list(colour.values()) == ["grey", "yellow", "red"]
    completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="已完成")
    assert selectors.action_rows_for_unit(scope=scope, unit=cast.court_a,
                                          today=action.deadline)[0].light.color == "green"


def test_returned_and_overdue_show_on_both_sides(cast, campaign, client_for):
    today = dt.date.today()
    returned = issue(cast.admin_a, campaign, cast.county_a, "要退回的动作", deadline=today + dt.timedelta(days=8))
    overdue = issue(cast.admin_a, campaign, cast.county_a, "逾期的动作", deadline=today - dt.timedelta(days=1))
    completion = completion_declare(actor=cast.clerk_a, action=returned, unit=cast.court_a, note="开了会")
    completion_return(actor=cast.admin_a, completion=completion, reason="缺少签到表请补充")
    unit_page = client_for(cast.clerk_a).get(f"/campaigns/actions/?unit={cast.court_a.id}").content.decode()
    assert "缺少签到表请补充" in unit_page and "已退回" in unit_page
    assert "逾期的动作" in unit_page and "红灯" in unit_page
    office = client_for(cast.admin_a)
    matrix = office.get(f"/campaigns/matrix/?unit={cast.county_a.id}")
    cells = matrix.context["matrix"].cells
    assert cells[(cast.court_a.id, returned.id)].light.status == "returned"
    assert cells[(cast.court_a.id, overdue.id)].light.color == "red"
    assert cells[(cast.police_a.id, overdue.id)].light.color == "red"
    assert "缺少签到表请补充" in matrix.content.decode()
    detail = office.get(f"/campaigns/actions/{returned.id}/").content.decode()
    assert "缺少签到表请补充" in detail and "甲县人民法院" in detail
    # the unit was told
    assert Notification.objects.filter(unit=cast.court_a, action=returned, kind="returned").exists()


def test_declare_and_return_through_pages(cast, campaign, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    action = issue(cast.admin_a, campaign, cast.county_a, "页面申报")
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = SimpleUploadedFile("照片.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    r = client_for(cast.clerk_a).post(f"/campaigns/actions/{action.id}/units/{cast.court_a.id}/declare/",
                                      {"note": "已完成", "files": [png], "kind": "photo"})
    assert r.status_code == 302
    c = selectors.completion_get(scope=scope_for(cast.admin_a), action=action, unit=cast.court_a)
    assert c.status == "declared" and c.evidence.count() == 1
    # another county's admin cannot return it (the completion is not in their scope: 404)
    r = client_for(cast.admin_b).post(f"/campaigns/actions/{action.id}/units/{cast.court_a.id}/return/",
                                      {"reason": "x"})
    assert r.status_code == 404
    r = client_for(cast.admin_a).post(f"/campaigns/actions/{action.id}/units/{cast.court_a.id}/return/",
                                      {"reason": "材料不全"})
    c.refresh_from_db()
    assert c.status == "returned" and c.return_reason == "材料不全"
    completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="已补充")
    c.refresh_from_db()
    assert c.status == "redeclared" and [e.kind for e in c.events.all()] == ["declare", "return", "redeclare"]


def test_a_unit_cannot_declare_for_another(cast, campaign):
    action = issue(cast.admin_a, campaign, cast.county_a, "甲县动作")
    with pytest.raises(PermissionDenied):
        completion_declare(actor=cast.clerk_a, action=action, unit=cast.police_a, note="x")
    other = issue(cast.admin_b, campaign, cast.county_b, "乙县动作")
    with pytest.raises(PermissionDenied):
        completion_declare(actor=cast.clerk_a, action=other, unit=cast.court_b, note="x")


def test_reminders_are_created_once_a_day(cast, campaign):
    today = dt.date.today()
    soon = issue(cast.admin_a, campaign, cast.county_a, "快到期", deadline=today + dt.timedelta(days=2))
    late = issue(cast.admin_a, campaign, cast.county_a, "已逾期", deadline=today - dt.timedelta(days=2))
    issue(cast.admin_a, campaign, cast.county_a, "还早", deadline=today + dt.timedelta(days=20))
    completion_declare(actor=cast.clerk_a, action=late, unit=cast.court_a, note="done", today=today)
    # soon: court + police; late: police only; and the county office's digest of the late action
    assert reminders_send(today=today) == 4
    assert reminders_send(today=today) == 0
    kinds = set(Notification.objects.values_list("unit__code", "action__title", "kind"))
    assert kinds == {("CAFY", "快到期", "due_soon"), ("CAGA", "快到期", "due_soon"), ("CAGA", "已逾期", "overdue"),
                     ("CA", "已逾期", "digest")}
    assert soon.id
    assert reminders_send(today=today + dt.timedelta(days=1)) == 4


def test_notification_list_is_scoped(cast, campaign, client_for):
    issue(cast.admin_a, campaign, cast.county_a, "快到期", deadline=dt.date.today() + dt.timedelta(days=1))
    reminders_send()
    assert "快到期" in client_for(cast.clerk_a).get("/campaigns/notifications/").content.decode()
    assert "快到期" not in client_for(cast.admin_b).get("/campaigns/notifications/").content.decode()
