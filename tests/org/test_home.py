"""The home page shows each user only the cards and links they may follow (the views' own policies),
and an officer their own file and the open exams they have not sat."""

import datetime as dt

import pytest
from django.utils import timezone

from zhengdun.org.access import may_visit, scope_for


@pytest.mark.parametrize("username", ["sysadmin", "secadmin"])
def test_account_administrators_get_no_roster_count_and_no_reminders(cast, client_for, username):
    page = client_for(cast.users[username]).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "在册人员" not in html and "/org/people/" not in html
    assert "全部提醒" not in html and "/campaigns/notifications/" not in html


def test_office_admin_keeps_roster_count_and_reminders(cast, client_for):
    html = client_for(cast.admin_a).get("/").content.decode()
    assert "在册人员" in html and "全部提醒" in html


def test_every_link_on_the_home_page_opens(cast, client_for):
    """No link of the home page ends in 403, for any of the cast."""
    import re

    for username in ("sysadmin", "secadmin", "city_admin", "admin_a", "clerk_a", "supervisor_a", "officer_a",
                     "clue_handler"):
        client = client_for(cast.users[username])
        html = client.get("/").content.decode()
        main = html[html.index("<main") if "<main" in html else 0:]
        for url in set(re.findall(r'href="(/[^"#]*)"', main)):
            if url.startswith(("/static/", "/accounts/logout")):
                continue
            status = client.get(url.replace("&amp;", "&")).status_code
            assert status in (200, 302), (username, url, status)


def test_officer_home_links_the_own_file_and_lists_open_exams_not_taken(cast, client_for):
    from tests.learning.factories import make_exam

    officer = cast.officers["judge_a"]
    now = timezone.now()
    open_exam = make_exam(cast, title="第二期测试", start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=5))
    client = client_for(cast.officer_a)
    page = client.get("/")
    html = page.content.decode()
    assert f"/learning/officers/{officer.id}/file/" in html
    assert "全部提醒" not in html
    assert [e.id for e in page.context["open_exams"]] == [open_exam.id] and "第二期测试" in html
    # 我的档案 (menu and /org/me/) opens the officer's own file, not a roster search
    me = client.get("/org/me/")
    assert me.status_code == 302 and me["Location"] == f"/learning/officers/{officer.id}/file/"
    assert client.get(me["Location"]).status_code == 200
    assert client_for(cast.admin_a).get("/org/me/").status_code == 403


def test_may_visit_follows_the_views_policies(cast):
    assert may_visit(scope_for(cast.admin_a), "campaigns:required_action_create")
    assert not may_visit(scope_for(cast.supervisor_a), "campaigns:required_action_create")
    assert not may_visit(scope_for(cast.sysadmin), "campaigns:notification_list")
    assert not may_visit(scope_for(cast.admin_a), "no-such-page")
