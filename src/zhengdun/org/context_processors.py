"""Navigation by role."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengdun.org.access import ROSTER_IMPORT_ROLES, STAFF_ROLES, UNIT_TREE_ROLES, get_scope, roles_display
from zhengdun.org.models import Role

_NAV = [
    (_("工作台"), "home", None, "bi-house"),
    (_("单位架构"), "org:unit_tree", set(UNIT_TREE_ROLES), "bi-diagram-3"),
    (_("人员名册"), "org:officer_list", set(STAFF_ROLES), "bi-people"),
    (_("我的档案"), "org:officer_list", {Role.OFFICER}, "bi-person-vcard"),
    (_("名册导入导出"), "org:roster_import", set(ROSTER_IMPORT_ROLES), "bi-file-earmark-spreadsheet"),
    (_("学习资料"), "learning:material_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-book"),
    (_("学习记录"), "learning:study_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-journal-text"),
    (_("我的考试"), "learning:my_exams", {Role.OFFICER}, "bi-pencil-square"),
    (_("题库"), "learning:question_list", {Role.OFFICE_ADMIN}, "bi-collection"),
    (_("考试管理"), "learning:exam_list", set(STAFF_ROLES), "bi-clipboard-check"),
    (_("智能化数据排查"), "screening:index", {Role.CLUE_HANDLER}, "bi-search"),
    (_("整顿计划"), "campaigns:campaign_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-flag"),
    (_("动作清单"), "campaigns:unit_actions", set(STAFF_ROLES), "bi-list-check"),
    (_("落实情况"), "campaigns:office_matrix", {Role.OFFICE_ADMIN, Role.SUPERVISOR}, "bi-grid-3x3"),
    (_("活动记录"), "activities:activity_list", set(STAFF_ROLES), "bi-calendar-event"),
    (_("谈心谈话"), "activities:talk_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-chat-heart"),
    (_("承诺书"), "activities:pledge_list", set(STAFF_ROLES) | {Role.OFFICER}, "bi-pen"),
    (_("工作提醒"), "campaigns:notification_list", set(STAFF_ROLES), "bi-bell"),
    (_("统计分析"), "stats:index", {Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR}, "bi-bar-chart"),
    (_("审计日志"), "audit:log", {Role.AUDITOR}, "bi-journal-check"),
    (_("账号管理"), "accounts:list", {Role.SYSADMIN, Role.SECADMIN}, "bi-person-gear"),
    (_("我的账号"), "accounts:me", None, "bi-person-lock"),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    scope = get_scope(request)
    items, seen = [], set()
    for label, name, roles, icon in _NAV:
        if roles is not None and not scope.roles.intersection(roles):
            continue
        if name in seen:
            continue
        try:
            url = reverse(name)
        except Exception:  # noqa: BLE001 - a page another part of the app has not installed yet
            continue
        seen.add(name)
        items.append({"label": label, "url": url, "icon": icon, "active": request.path == url})
    return {"nav_items": items, "nav_roles": roles_display(sorted(scope.roles))}
