"""The progress report an office sends upward (.xlsx) and the Word briefing (.docx), both built from
the figure registry so they show exactly what the dashboard shows."""

from __future__ import annotations

import functools
import io

from django.conf import settings
from django.utils import translation
from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from zhengdun.stats import registry
from zhengdun.stats.registry import Figure, Value
from zhengdun.stats.selectors import Ctx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _in_chinese(build):
    """The reports go upward as official Chinese documents, whatever language the user's UI is in
    (figure labels are gettext_lazy: resolved here, in Chinese)."""
    @functools.wraps(build)
    def wrapped(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)
    return wrapped


def _cell_value(figure: Figure, v: Value):
    return v.value  # rates as fractions (formatted 0.0%), counts as integers


def _period(ctx: Ctx) -> str:
    return f"{ctx.date_from:%Y年%m月%d日}至{ctx.date_to:%Y年%m月%d日}"


@_in_chinese
def progress_xlsx(ctx: Ctx) -> bytes:
    """One row per unit directly below the chosen unit, one column per figure, and a totals row equal
    to the chosen unit's own figures (rates recomputed from the totals, never summed)."""
    own, rows, _snap = registry.evaluate(ctx)
    figures = registry.figures_for(ctx)
    wb = Workbook()
    ws = wb.active
    ws.title = "整顿工作进度"
    ncols = len(figures) + 1
    ws.cell(row=1, column=1, value=f"{ctx.unit.name}教育整顿工作进度统计表")
    ws.cell(row=1, column=1).font = Font(size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(row=2, column=1, value=f"统计期间：{_period(ctx)}"
                                   + (f"　整顿计划：{ctx.campaign.name}" if ctx.campaign else "　全部整顿计划"))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    header = ["单位", *[f"{f.label}（{f.unit}）" if f.unit != "%" else str(f.label) for f in figures]]
    thin = Side(style="thin", color="999999")
    fill = PatternFill("solid", fgColor="DDE6F0")
    for col, text in enumerate(header, 1):
        cell = ws.cell(row=3, column=col, value=text)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.row_dimensions[3].height = 32

    def write(row_number: int, name: str, values: dict[str, Value], bold: bool = False):
        ws.cell(row=row_number, column=1, value=name).font = Font(bold=bold)
        for col, f in enumerate(figures, 2):
            cell = ws.cell(row=row_number, column=col, value=_cell_value(f, values[f.key]))
            cell.number_format = "0.0%" if f.is_rate else "#,##0"
            cell.font = Font(bold=bold)

    r = 4
    for unit, values in rows:
        write(r, unit.name, values)
        r += 1
    write(r, "合计", own, bold=True)
    ws.cell(row=r + 2, column=1, value="说明：合计为本单位及下级全部记录的统计（含本级直接登记的记录），一人多次参加只计一人；"
                                       "各比率由合计的分子、分母重新计算，不是各行相加。")
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = 28
    for col in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def summary_text(ctx: Ctx, own: dict[str, Value], rows: list[tuple]) -> str:
    """A short generated summary in Chinese for the briefing."""
    def pct(key):
        v = own.get(key)
        return "—" if v is None or v.value is None else f"{v.value * 100:.1f}%"

    def n(key):
        v = own.get(key)
        return 0 if v is None or v.value is None else int(v.value)

    parts = [f"截至{ctx.date_to.month}月{ctx.date_to.day}日，{ctx.unit.name}"
             f"共开展专题学习等活动{n('sessions')}场次、{n('person_times')}人次，活动覆盖率{pct('coverage')}"]
    parts.append(f"学习{n('study_times')}人次，学习覆盖率{pct('study_rate')}；参考率{pct('exam_rate')}，及格率{pct('pass_rate')}")
    if "talks" in own:
        parts.append(f"开展谈心谈话{n('talks')}人次")
    parts.append(f"签订承诺书{n('pledges')}份，签订率{pct('pledge_rate')}")
    parts.append(f"规定动作完成率{pct('completion')}，被退回{n('returned')}项，逾期未完成{n('overdue')}项")
    text = "；".join(parts) + "。"
    late = [unit.name for unit, values in rows if (values["overdue"].value or 0) > 0]
    if late:
        text += "逾期未完成规定动作的单位有：" + "、".join(late[:20]) + ("等" if len(late) > 20 else "") + "。"
    elif n("overdue") == 0:
        text += "各单位规定动作均无逾期。"
    return text


@_in_chinese
def briefing_docx(ctx: Ctx) -> bytes:
    own, rows, _snap = registry.evaluate(ctx)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    doc.add_heading(f"{ctx.unit.name}教育整顿工作情况简报", level=1)
    doc.add_paragraph(f"统计期间：{_period(ctx)}" + (f"（{ctx.campaign.name}）" if ctx.campaign else ""))
    doc.add_paragraph(summary_text(ctx, own, rows))
    figures = registry.figures_for(ctx)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text, head[1].text, head[2].text = "指标", "数值", "分子 / 分母"
    for f in figures:
        v = own[f.key]
        cells = table.add_row().cells
        cells[0].text = str(f.label)
        cells[1].text = registry.format_value(f, v) + ("" if f.is_rate else f" {f.unit}")
        cells[2].text = f"{v.numerator} / {v.denominator}" if f.is_rate else ""
    if rows:
        doc.add_heading("下级单位情况", level=2)
        keys = ["sessions", "person_times", "coverage", "completion", "overdue"]
        shown = [registry.BY_KEY[k] for k in keys]
        t = doc.add_table(rows=1, cols=len(shown) + 1)
        t.style = "Table Grid"
        t.rows[0].cells[0].text = "单位"
        for i, f in enumerate(shown, 1):
            t.rows[0].cells[i].text = str(f.label)
        for unit, values in rows:
            cells = t.add_row().cells
            cells[0].text = unit.name
            for i, f in enumerate(shown, 1):
                cells[i].text = registry.format_value(f, values[f.key])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
