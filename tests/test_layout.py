"""The base layout: the grouped top menu (role-aware, nothing lost, folds on phones), the language
box, our own error pages with DEBUG off, the favicon, and static files served without DEBUG."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.conftest import login_as

PROJECT = Path(__file__).resolve().parent.parent

# What each role reached from the former flat menu: every link must still be in the grouped one.
EXPECTED_LINKS = {
    "city_admin": ["home", "org:unit_tree", "org:officer_list", "org:roster_import", "learning:material_list",
                   "learning:study_list", "learning:question_list", "learning:exam_list",
                   "campaigns:campaign_list", "campaigns:unit_actions", "campaigns:office_matrix",
                   "activities:activity_list", "activities:talk_list", "activities:pledge_list",
                   "campaigns:notification_list", "stats:index", "accounts:me"],
    "officer_a": ["home", "org:my_file", "learning:material_list", "learning:study_list", "learning:my_exams",
                  "campaigns:campaign_list", "activities:talk_list", "activities:pledge_list", "accounts:me"],
    "clue_handler": ["home", "screening:index", "org:unit_tree", "org:officer_list", "accounts:me"],
    "supervisor_a": ["home", "campaigns:office_matrix", "stats:index", "accounts:me"],
    "auditor": ["home", "audit:log", "accounts:me"],
    "sysadmin": ["home", "org:unit_tree", "accounts:list", "accounts:me"],
}
NOT_FOR = {
    "officer_a": ["stats:index", "screening:index", "audit:log", "accounts:list", "learning:question_list"],
    "auditor": ["org:officer_list", "stats:index", "accounts:list"],
    "sysadmin": ["org:officer_list", "audit:log", "screening:index"],
}


def menu(html: str) -> str:
    return html[html.index('<nav class="navbar'):html.index("</nav>")]


def links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"#]+)"', menu(html)))


@pytest.mark.parametrize("username", sorted(EXPECTED_LINKS))
def test_grouped_menu_keeps_every_link_of_the_role(cast, username):
    html = login_as(Client(), cast.users[username]).get("/", follow=True).content.decode()
    found = links(html)
    missing = [name for name in EXPECTED_LINKS[username] if reverse(name) not in found]
    assert not missing, f"{username} lost menu links: {missing}"
    extra = [name for name in NOT_FOR.get(username, []) if reverse(name) in found]
    assert not extra, f"{username} sees links of other roles: {extra}"


def test_menu_groups_links_in_dropdowns(cast):
    html = menu(login_as(Client(), cast.city_admin).get("/").content.decode())
    toggles = re.findall(r'dropdown-toggle[^>]*>\s*<i class="bi [^"]+"></i>\s*([^<]+?)\s*</a>', html)
    for group in ("整顿计划", "活动", "学习", "名册"):
        assert group in toggles
    assert len(toggles) <= 8  # a handful of groups, not a flat list of every page
    assert "统计分析" in html  # a group with one link for this role is that link


def test_current_page_marks_its_link_and_group(cast):
    html = menu(login_as(Client(), cast.city_admin).get(reverse("learning:material_list")).content.decode())
    assert re.search(r'class="nav-link dropdown-toggle active"[^>]*>\s*<i class="bi [^"]+"></i> 学习', html)
    assert re.search(rf'class="dropdown-item active" href="{reverse("learning:material_list")}"', html)


def test_header_folds_into_the_toggler_on_small_screens(cast):
    """Everything but the brand (menu, user, language box, 退出) is inside the collapsing part."""
    html = menu(login_as(Client(), cast.city_admin).get("/").content.decode())
    assert 'data-bs-target="#zd-nav"' in html and "navbar-expand-xl" in html
    collapsed = html[html.index('id="zd-nav"'):]
    for part in ('name="language"', "退出", reverse("accounts:me"), reverse("campaigns:campaign_list")):
        assert part in collapsed, part


def test_language_box_names_each_language_in_itself(db):
    for language in ("zh-hans", "en"):
        client = Client()
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        html = client.get("/accounts/login/").content.decode()
        options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html))
        assert options == {"zh-hans": "简体中文", "en": "English"}, options
        assert "英语" not in html


def test_missing_page_is_our_chinese_404(cast):
    for client in (Client(), login_as(Client(), cast.clerk_a)):
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "未找到您要访问的页面或记录" in body and "Page not found" not in body
        assert "URLconf" not in body  # not Django's debug page


def test_forbidden_is_our_chinese_403(cast):
    response = login_as(Client(), cast.officer_a).get(reverse("audit:log"))
    assert response.status_code in (403, 404)
    body = response.content.decode()
    assert "Forbidden" not in body
    assert ("您的角色无权访问此功能" if response.status_code == 403 else "未找到您要访问的页面或记录") in body


def test_csrf_failure_is_our_chinese_page(db):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and "CSRF verification failed" not in body


def test_server_error_page_is_ours_and_needs_no_request_context():
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器内部错误" in body and 'lang="zh-hans"' in body


def test_favicon_is_local_and_served(cast):
    client = Client()
    html = client.get("/accounts/login/").content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert href.startswith("/static/") and href.endswith("favicon.svg")
    assert client.get(href).status_code == 200
    response = client.get("/favicon.ico")  # what browsers ask for on pages without a <link rel="icon">
    assert response.status_code == 200 and response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")


def test_static_files_are_served_with_debug_off(db, settings):
    assert settings.DEBUG is False
    for path in ("/static/zhengdun/app.css", "/static/vendor/bootstrap/bootstrap.bundle.min.js"):
        if path.startswith("/static/vendor/") and not (PROJECT / "src/zhengdun/static/vendor").exists():
            continue
        assert Client().get(path).status_code == 200, path


def _debug_setting(tmp_path, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGDUN_", "DJANGO_"))}
    environment.update(ZHENGDUN_VAR_DIR=str(tmp_path), **env)
    code = "import zhengdun.settings as s; print(s.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True, cwd=PROJECT).stdout.strip()


def test_debug_is_off_unless_a_developer_asks(tmp_path):
    """`make run` (no ZHENGDUN_DEBUG) serves like the product; ZHENGDUN_DEBUG=1 gives debug pages."""
    assert _debug_setting(tmp_path) == "False"
    assert _debug_setting(tmp_path, ZHENGDUN_DEBUG="1") == "True"
