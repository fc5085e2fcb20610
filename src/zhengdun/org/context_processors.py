"""Navigation by role: the top menu, grouped by area.

Each link names the roles that see it (None: every signed-in user); a group shows only the links
its user may follow, a group left with one link shows as that link, an empty group not at all.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengdun.org.access import ROSTER_IMPORT_ROLES, STAFF_ROLES, UNIT_TREE_ROLES, get_scope, roles_display
from zhengdun.org.models import Role

_HOME = (_("工作台"), "home", None, "bi-house")

# (group label, group icon, [(label, url name, roles or None, icon), …]); group labels carry the
# "menu" context: a short word such as 统计 means something else on a button.
_NAV_GROUPS = [
    (pgettext_lazy("menu", "整顿计划"), "bi-flag", [
        (_("整顿计划"), "campaigns:campaign_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-flag"),
        (_("动作清单"), "campaigns:unit_actions", set(STAFF_ROLES), "bi-list-check"),
        (_("落实情况"), "campaigns:office_matrix", {Role.OFFICE_ADMIN, Role.SUPERVISOR}, "bi-grid-3x3"),
        (_("工作提醒"), "campaigns:notification_list", set(STAFF_ROLES), "bi-bell"),
    ]),
    (pgettext_lazy("menu", "活动"), "bi-calendar-event", [
        (_("活动记录"), "activities:activity_list", set(STAFF_ROLES), "bi-calendar-event"),
        (_("谈心谈话"), "activities:talk_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-chat-heart"),
        (_("承诺书"), "activities:pledge_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-pen"),
    ]),
    (pgettext_lazy("menu", "学习"), "bi-book", [
        (_("学习资料"), "learning:material_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-book"),
        (_("学习记录"), "learning:study_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-journal-text"),
        (_("我的考试"), "learning:my_exams", {Role.OFFICER}, "bi-pencil-square"),
        (_("考试管理"), "learning:exam_list", set(STAFF_ROLES), "bi-clipboard-check"),
        (_("题库"), "learning:question_list", {Role.OFFICE_ADMIN}, "bi-collection"),
    ]),
    (pgettext_lazy("menu", "统计"), "bi-bar-chart", [
        (_("统计分析"), "stats:index", {Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR}, "bi-bar-chart"),
    ]),
    (pgettext_lazy("menu", "排查"), "bi-search", [
        (_("智能化数据排查"), "screening:index", {Role.CLUE_HANDLER}, "bi-search"),
    ]),
    (pgettext_lazy("menu", "名册"), "bi-people", [
        (_("单位架构"), "org:unit_tree", set(UNIT_TREE_ROLES), "bi-diagram-3"),
        (_("人员名册"), "org:officer_list", set(STAFF_ROLES), "bi-people"),
        (_("我的档案"), "org:my_file", {Role.OFFICER}, "bi-person-vcard"),
        (_("名册导入导出"), "org:roster_import", set(ROSTER_IMPORT_ROLES), "bi-file-earmark-spreadsheet"),
    ]),
    (pgettext_lazy("menu", "系统"), "bi-gear", [
        (_("账号管理"), "accounts:list", {Role.SYSADMIN, Role.SECADMIN}, "bi-person-gear"),
        (_("审计日志"), "audit:log", {Role.AUDITOR}, "bi-journal-check"),
    ]),
]
# In the user menu at the right of the header, beside 退出.
_ACCOUNT = (_("我的账号"), "accounts:me", None, "bi-person-lock")


def _active_url(path: str, urls: list[str]) -> str | None:
    """The link the current page belongs to: an exact match, else the longest link that is a
    folder above the page (/learning/materials/7/ belongs to /learning/materials/)."""
    if path in urls:
        return path
    above = [u for u in urls if u != "/" and u.endswith("/") and path.startswith(u)]
    return max(above, key=len) if above else None


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": [], "nav_groups": []}
    scope = get_scope(request)
    seen: set[str] = set()

    def visible(entries):
        items = []
        for label, name, roles, icon in entries:
            if roles is not None and not scope.roles.intersection(roles):
                continue
            if name in seen:
                continue
            try:
                url = reverse(name)
            except Exception:  # noqa: BLE001 - a page another part of the app has not installed yet
                continue
            seen.add(name)
            items.append({"label": label, "url": url, "icon": icon, "active": False})
        return items

    home = visible([_HOME])
    groups = [{"label": label, "icon": icon, "items": items}
              for label, icon, entries in _NAV_GROUPS if (items := visible(entries))]
    account = visible([_ACCOUNT])
    flat = home + [item for group in groups for item in group["items"]] + account
    active = _active_url(request.path, [item["url"] for item in flat])
    for item in flat:
        item["active"] = item["url"] == active
    for group in groups:
        group["active"] = any(item["active"] for item in group["items"])
    return {
        "nav_items": flat,  # every link, in menu order
        "nav_home": home[0] if home else None,
        "nav_groups": groups,
        "nav_account": account[0] if account else None,
        "nav_roles": roles_display(sorted(scope.roles)),
    }
