"""Chinese labels for what the audit log stores as codes: action names, operations, object types.

The log keeps the codes exactly as they were hashed; these labels are only for showing them. An
unknown code is shown as itself, so an action added without a label is never hidden. Object types
are database tables: a table is shown as its model's verbose name (the model registry is the source,
so a new model is labelled the day it is added), with a few overrides for models whose verbose name
is not Chinese (third-party models, models without an explicit verbose name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTION_LABELS = {
    # sign-in and accounts
    "auth.login": gettext_lazy("登录成功"),
    "auth.login_password_ok": gettext_lazy("密码验证通过（待动态口令）"),
    "auth.login_failed": gettext_lazy("登录失败"),
    "auth.login_locked": gettext_lazy("锁定期间尝试登录"),
    "auth.login_reset": gettext_lazy("登录失败计数清零"),
    "auth.password_check": gettext_lazy("校验密码"),
    "auth.session": gettext_lazy("建立登录会话"),
    "auth.otp_enrol": gettext_lazy("开始绑定动态口令"),
    "auth.otp_confirm": gettext_lazy("绑定动态口令设备"),
    "auth.otp_check": gettext_lazy("校验动态口令"),
    "auth.otp_failed": gettext_lazy("动态口令错误"),
    "user.create": gettext_lazy("创建账号"),
    "user.update": gettext_lazy("修改账号"),
    "user.disable": gettext_lazy("停用账号"),
    "user.enable": gettext_lazy("启用账号"),
    "user.unlock": gettext_lazy("解除账号锁定"),
    "user.reset_password": gettext_lazy("重置密码"),
    "user.change_password": gettext_lazy("修改密码"),
    "user.reset_otp": gettext_lazy("重置动态口令"),
    "role.assign": gettext_lazy("分配角色"),
    "role.revoke": gettext_lazy("撤销角色"),
    "api_token.create": gettext_lazy("创建接口令牌"),
    "api_token.revoke": gettext_lazy("吊销接口令牌"),
    "api_token.use": gettext_lazy("使用接口令牌"),
    # units, people, rosters
    "unit.create": gettext_lazy("新增单位"),
    "unit.update": gettext_lazy("修改单位"),
    "unit.move": gettext_lazy("调整单位隶属"),
    "officer.create": gettext_lazy("新增干警"),
    "officer.update": gettext_lazy("修改干警信息"),
    "relative.create": gettext_lazy("新增申报亲属"),
    "relative.delete": gettext_lazy("删除申报亲属"),
    "person.reveal_id": gettext_lazy("查看完整身份证号"),
    "person.view_relatives": gettext_lazy("查阅申报亲属"),
    "officer_file.view_confidential": gettext_lazy("查阅干警档案保密内容"),
    "roster.import": gettext_lazy("导入名册"),
    "roster.export_unmasked": gettext_lazy("导出名册（含完整身份证号）"),
    "roster.export_relatives": gettext_lazy("导出申报亲属"),
    # campaigns and activities
    "campaign_template.seed": gettext_lazy("载入内置整顿计划模板"),
    "campaign_template.copy": gettext_lazy("复制整顿计划模板"),
    "campaign_template.update": gettext_lazy("修改整顿计划模板"),
    "campaign.create_from_template": gettext_lazy("依模板创建整顿计划"),
    "action.issue": gettext_lazy("下达工作动作"),
    "action.add_optional": gettext_lazy("添加自选动作"),
    "action.declare": gettext_lazy("申报动作完成"),
    "action.accept": gettext_lazy("审核通过动作完成情况"),
    "action.accept_selected": gettext_lazy("批量审核通过动作完成情况"),
    "action.return": gettext_lazy("退回动作完成情况"),
    "reminders.send": gettext_lazy("发送工作提醒"),
    "reminders.digest": gettext_lazy("生成逾期汇总提醒"),
    "notification.read": gettext_lazy("阅读工作提醒"),
    "notification.read_all": gettext_lazy("工作提醒全部标为已读"),
    "activity_type.create": gettext_lazy("新增活动类型"),
    "activity.create": gettext_lazy("登记活动"),
    "activity.update": gettext_lazy("修改活动记录"),
    "activity.add_evidence": gettext_lazy("上传佐证材料"),
    "talk.create": gettext_lazy("登记谈心谈话"),
    "talk.view": gettext_lazy("查阅谈心谈话记录"),
    "pledge.create": gettext_lazy("登记承诺书"),
    # learning and exams
    "learning.material.create": gettext_lazy("上传学习资料"),
    "learning.study.create": gettext_lazy("登记学习记录"),
    "learning.study.batch_create": gettext_lazy("批量登记学习记录"),
    "learning.question.create": gettext_lazy("新增试题"),
    "learning.question.update": gettext_lazy("修改试题"),
    "learning.question.import": gettext_lazy("导入试题"),
    "learning.exam.create": gettext_lazy("创建考试"),
    "learning.exam.publish": gettext_lazy("发布考试"),
    "learning.attempt.start": gettext_lazy("开始考试"),
    "learning.attempt.save": gettext_lazy("保存考试作答"),
    "learning.attempt.submit": gettext_lazy("提交考试"),
    "learning.attempt.close_overdue": gettext_lazy("关闭超时的考试作答"),
    # screening
    "screening.dataset_register": gettext_lazy("登记排查数据集"),
    "screening.run_start": gettext_lazy("发起排查运行"),
    "screening.run_begin": gettext_lazy("开始执行排查"),
    "screening.run_progress": gettext_lazy("更新排查进度"),
    "screening.run_store": gettext_lazy("保存排查结果"),
    "screening.run_failed": gettext_lazy("排查运行失败"),
    "screening.platform_roster_read": gettext_lazy("读取平台名册用于排查"),
    "screening.hit_review": gettext_lazy("研判排查命中"),
    "screening.hits_export": gettext_lazy("导出排查命中"),
    "screening.hit_view": gettext_lazy("查阅排查命中"),
    "screening.hits_view": gettext_lazy("查阅排查命中列表"),
    "screening.leads_view": gettext_lazy("查阅已确认线索"),
    # the audit log itself, the demo, writes from outside the application
    "audit.checkpoint": gettext_lazy("写入审计检查点"),
    "audit.export": gettext_lazy("导出审计日志"),
    "demo.seed": gettext_lazy("载入演示数据"),
    "demo.seed_campaign": gettext_lazy("载入演示整顿计划"),
    "demo.seed_learning": gettext_lazy("载入演示学习考试数据"),
    "db.raw": gettext_lazy("应用之外的数据库修改"),
}

OP_LABELS = {
    "insert": gettext_lazy("新增"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
    "read": gettext_lazy("查阅"),
    "login": gettext_lazy("登录"),
}

SOURCE_LABELS = {"db": gettext_lazy("数据库触发器"), "app": gettext_lazy("应用记录")}

# Tables whose model has no Chinese verbose name, and object types that are not tables.
OBJECT_TYPE_OVERRIDES = {
    "otp_totp_totpdevice": gettext_lazy("动态口令设备"),
    "org_apitoken": gettext_lazy("接口令牌"),
    "campaigns_action": gettext_lazy("工作动作"),  # one table for the 规定动作 and 自选动作 proxies
    "campaigns_campaignscopeunit": gettext_lazy("整顿计划范围单位"),
    "campaigns_completionevent": gettext_lazy("动作完成情况变更"),
    "campaigns_notification": gettext_lazy("工作提醒"),
    "learning_examquestion": gettext_lazy("考试试题"),
    "audit_auditseal": gettext_lazy("审计链节"),
    "django_tasks_database_dbtaskresult": gettext_lazy("后台任务"),
    "officer_file": gettext_lazy("干警档案"),
}

# Fields of a stored row that name it for people (the first one present is shown beside the id).
NAME_FIELDS = ("name", "display_name", "username", "title", "subject_name", "enterprise_name")


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def op_label(op: str) -> str:
    label = OP_LABELS.get(op)
    return str(label) if label is not None else op


def source_label(source: str) -> str:
    label = SOURCE_LABELS.get(source)
    return str(label) if label is not None else source


@cache
def _models_by_table() -> dict[str, object]:
    from django.apps import apps

    models: dict[str, object] = {}
    for model in apps.get_models():
        if not model._meta.proxy:
            models.setdefault(model._meta.db_table, model)
    return models


@cache
def _column_labels(table: str) -> dict[str, str]:
    """column -> the field's own verbose name (fields without one keep their column name)."""
    model = _models_by_table().get(table)
    if model is None:
        return {}
    return {f.column: f._verbose_name for f in model._meta.concrete_fields if f._verbose_name}


@cache
def _model_labels() -> dict[str, object]:
    """db_table -> verbose name (lazy) of every concrete model with a verbose name of its own."""
    from django.apps import apps

    labels: dict[str, object] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy:
            continue
        if "verbose_name" in meta.original_attrs:
            labels.setdefault(meta.db_table, meta.verbose_name)
    return labels


def object_type_label(table: str) -> str:
    label = OBJECT_TYPE_OVERRIDES.get(table) or _model_labels().get(table)
    return str(label) if label is not None else table


# Object types of the application's own entries (confidential reads, exports) that no trigger writes.
APP_RECORD_TYPES = ("officer_file", "audit_auditentry")


def object_type_choices() -> list[tuple[str, str]]:
    """The object types the log can hold — every audited table and the application's record types —
    sorted by label (the filter's choices)."""
    from zhengdun.audit.triggers import audited_models

    tables = {m._meta.db_table for m in audited_models()} | set(APP_RECORD_TYPES)
    return sorted(((t, object_type_label(t)) for t in tables), key=lambda c: (c[1], c[0]))


def actions_matching(text: str) -> list[str]:
    """Codes whose Chinese label contains the text: the action filter accepts a label or a code."""
    text = text.strip()
    return [code for code, label in ACTION_LABELS.items() if text and text in str(label)]


def object_label(entry) -> str:
    """`账号 #9`, or `账号 #9 zhangsan` when the stored row names the object."""
    label = object_type_label(entry.object_type)
    if not entry.object_id:
        return label
    name = row_name(entry)
    text = _("%(type)s #%(id)s") % {"type": label, "id": entry.object_id}
    return f"{text} {name}" if name else text


def _row(stored: str) -> dict | None:
    if not stored:
        return None
    try:
        row = json.loads(stored)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def row_fields(entry) -> list[dict]:
    """The stored row(s) field by field, labelled: for an update, before and after side by side with the
    changed fields marked; the raw JSON stays on the page as it was hashed."""
    before, after = _row(entry.before), _row(entry.after)
    if before is None and after is None:
        return []
    names = _column_labels(entry.object_type)
    columns = list(dict.fromkeys([*(before or {}), *(after or {})]))
    fields = []
    for column in columns:
        old, new = (before or {}).get(column), (after or {}).get(column)
        fields.append({"column": column, "label": str(names.get(column, column)),
                       "before": _shown(old) if before is not None else None,
                       "after": _shown(new) if after is not None else None,
                       "changed": before is not None and after is not None and old != new})
    return fields


def _shown(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def row_name(entry) -> str:
    for stored in (entry.after, entry.before):
        row = _row(stored)
        if row is None:
            continue
        for field in NAME_FIELDS:
            value = row.get(field)
            if isinstance(value, str) and value.strip():
                value = value.strip()
                return value if len(value) <= 24 else value[:23] + "…"
    return ""


def local_time(at: str) -> datetime | None:
    """The stored UTC text (`2026-12-01T21:18:08.481Z`, exactly as hashed) in the configured time zone."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    if timezone.is_naive(moment):
        return None
    return timezone.localtime(moment).replace(microsecond=0)


@dataclass(frozen=True)
class EntryView:
    """An entry as the audit pages show it: labels beside the stored codes, links that stay in the log
    (the audit administrator sees audit data only: an object links to its history in the log)."""

    entry: object

    @property
    def at_local(self) -> datetime | None:
        return local_time(self.entry.at)

    @property
    def actor(self) -> str:
        if self.entry.actor_name == "system" and self.entry.actor_id is None:
            return _("系统")
        return self.entry.actor_name or _("（数据库直接写入）")

    @property
    def actor_query(self) -> str:
        return urlencode({"actor": self.entry.actor_name}) if self.entry.actor_name else ""

    @property
    def action_label(self) -> str:
        return action_label(self.entry.action)

    @property
    def op_label(self) -> str:
        return op_label(self.entry.op)

    @property
    def object_type_label(self) -> str:
        return object_type_label(self.entry.object_type)

    @property
    def object_label(self) -> str:
        return object_label(self.entry)

    @property
    def object_query(self) -> str:
        """The log filtered to this object's history."""
        query = {"object_type": self.entry.object_type}
        if self.entry.object_id:
            query["object_id"] = self.entry.object_id
        return urlencode(query)

    @cached_property
    def fields(self) -> list[dict]:
        return row_fields(self.entry)

    @property
    def changed_count(self) -> int:
        return sum(1 for f in self.fields if f["changed"])

    @property
    def source_label(self) -> str:
        return source_label(self.entry.source)
