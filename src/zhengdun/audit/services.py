"""Exports of the audit log. Reading the log is itself recorded: an export is an audited read."""

from __future__ import annotations

import io
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengdun.audit import labels
from zhengdun.audit.chain import record
from zhengdun.audit.selectors import entry_list

# Rows in one export: a larger log is exported in parts (a narrower date range or more filters).
DEFAULT_EXPORT_MAX_ROWS = 50_000
CELL_MAX = 32_767  # characters in one spreadsheet cell
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def export_max_rows() -> int:
    return int(getattr(settings, "AUDIT_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS))


def _require_auditor(actor) -> None:
    from zhengdun.org.access import scope_for
    from zhengdun.org.models import Role

    if not scope_for(actor).has_role(Role.AUDITOR):
        raise PermissionDenied(_("只有安全审计员可以导出审计日志"))


HEADERS = [
    gettext_lazy("记录编号"),
    gettext_lazy("链节序号"),
    gettext_lazy("时间"),
    gettext_lazy("时间（存储值，UTC）"),
    gettext_lazy("操作人"),
    gettext_lazy("操作人 ID"),
    gettext_lazy("操作"),
    gettext_lazy("操作代码"),
    gettext_lazy("类型"),
    gettext_lazy("类型代码"),
    gettext_lazy("对象类型"),
    gettext_lazy("对象类型代码"),
    gettext_lazy("对象编号"),
    gettext_lazy("单位 ID"),
    gettext_lazy("来源"),
    gettext_lazy("IP"),
    gettext_lazy("修改前"),
    gettext_lazy("修改后"),
    gettext_lazy("链节哈希"),
]


def entry_export_xlsx(*, actor, filters: dict) -> tuple[bytes, int]:
    """The entries the filter selects, newest first, as .xlsx with the filter and time zone on a second
    sheet. Refused above `export_max_rows()` rows, naming the count, so nobody takes a cut-off log for the
    whole; the export is recorded in the chain (who, which filter, how many rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    _require_auditor(actor)
    entries = entry_list(**filters)
    total, limit = entries.count(), export_max_rows()
    if total > limit:
        raise ValidationError(_("筛选结果共 %(n)s 条，超过单次导出上限 %(max)s 条。请缩小日期范围或增加筛选条件后分批导出。")
                              % {"n": f"{total:,}", "max": f"{limit:,}"})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审计日志"))
    sheet.append([str(h) for h in HEADERS])

    def cell(value):
        if isinstance(value, datetime):
            c = WriteOnlyCell(sheet, value=timezone.make_naive(value))
            c.number_format = "yyyy-mm-dd hh:mm:ss"
            return c
        if isinstance(value, str):
            if len(value) > CELL_MAX:
                value = value[:CELL_MAX - 40] + _("…（已截断，完整内容见审计记录详情）")
            if value.startswith(FORMULA_TRIGGERS):  # user-supplied text never becomes a formula
                c = WriteOnlyCell(sheet, value=value)
                c.data_type, c.quotePrefix = "s", True
                return c
        return value

    count = 0
    for entry in entries.iterator(chunk_size=2000):
        view = labels.EntryView(entry)
        seal = getattr(entry, "seal", None)
        sheet.append([cell(v) for v in (
            entry.id, seal.seq if seal else _("待封存"), view.at_local or entry.at, entry.at, view.actor,
            entry.actor_id, view.action_label, entry.action, view.op_label, entry.op, view.object_type_label,
            entry.object_type, entry.object_id, entry.unit_id, view.source_label, entry.ip, entry.before,
            entry.after, seal.hash if seal else "")])
        count += 1
    about = workbook.create_sheet(_("导出说明"))
    shown = {str(k): str(v) for k, v in filters.items()}
    for row in ([_("导出人"), actor.get_username()],
                [_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")],
                [_("时区"), timezone.get_current_timezone_name()],
                [_("筛选条件"), "；".join(f"{k}={v}" for k, v in shown.items()) or _("无（全部记录）")],
                [_("记录数"), count]):
        about.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(actor=actor, action="audit.export", op="read", object_type="audit_auditentry",
           after={"rows": count, "filters": shown})
    return buffer.getvalue(), count
