"""Question bank import/export as .xlsx with Chinese headers.

Columns: 题型, 题干, 选项A … 选项F, 答案, 解析, 类别 (and optional 难度). Parsing returns either
clean rows or a list of errors that name the row, the column and the reason; the import service
saves nothing unless every row is clean (all-or-nothing).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from zhengdun.learning.models import Category, Difficulty, QuestionType
from zhengdun.learning.scoring import normalise_choice, normalise_true_false

OPTION_LETTERS = "ABCDEF"
HEADERS = ["题型", "题干"] + [f"选项{c}" for c in OPTION_LETTERS] + ["答案", "解析", "类别", "难度"]
REQUIRED_HEADERS = ["题型", "题干", "答案", "类别"]
TYPE_WORDS = {"单选": "single", "单选题": "single", "单项选择题": "single",
              "多选": "multiple", "多选题": "multiple", "多项选择题": "multiple",
              "判断": "true_false", "判断题": "true_false"}
CATEGORY_WORDS = {str(label): value for value, label in Category.choices}
CATEGORY_WORDS.update({"政治": "political", "党史": "party_history", "警示": "warning", "英模": "role_model"})
DIFFICULTY_WORDS = {"易": 1, "简单": 1, "中": 2, "中等": 2, "难": 3, "困难": 3, "1": 1, "2": 2, "3": 3}
MAX_ROWS = 5000


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self):
        return _("第 %(row)d 行“%(col)s”列：%(reason)s") % {"row": self.row, "col": self.column, "reason": self.reason}


def fingerprint(qtype: str, stem: str) -> str:
    normal = re.sub(r"[\s　（）()]+", "", stem or "")
    return hashlib.sha256(f"{qtype}|{normal}".encode()).hexdigest()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def validate_question(data: dict, *, row: int = 0) -> tuple[dict, list[RowError]]:
    """Check one question (from a form or a sheet row); returns the clean fields and the errors."""
    errors: list[RowError] = []
    qtype_raw = _text(data.get("题型"))
    qtype = TYPE_WORDS.get(qtype_raw) or (qtype_raw if qtype_raw in QuestionType.values else "")
    if not qtype:
        errors.append(RowError(row, "题型", _("应为 单选题、多选题 或 判断题，实际为“%s”") % (qtype_raw or _("空"))))
    stem = _text(data.get("题干"))
    if not stem:
        errors.append(RowError(row, "题干", _("不能为空")))
    elif len(stem) > 2000:
        errors.append(RowError(row, "题干", _("过长（不超过 2000 字）")))
    options = [_text(data.get(f"选项{c}")) for c in OPTION_LETTERS]
    while options and not options[-1]:
        options.pop()
    answer_raw = _text(data.get("答案"))
    answer = ""
    if qtype in ("single", "multiple"):
        if len(options) < 2:
            errors.append(RowError(row, "选项A", _("选择题至少需要两个选项")))
        for i, text in enumerate(options):
            if not text:
                errors.append(RowError(row, f"选项{OPTION_LETTERS[i]}", _("选项不能留空（后面还有选项）")))
        answer = normalise_choice(answer_raw)
        stray = {ch for ch in answer_raw.upper() if ch.isalpha() and ch not in OPTION_LETTERS}
        if not answer or stray:
            errors.append(RowError(row, "答案", _("应为选项字母，如 A 或 ACD，实际为“%s”") % (answer_raw or _("空"))))
        elif any(OPTION_LETTERS.index(ch) >= len(options) for ch in answer):
            errors.append(RowError(row, "答案", _("答案“%s”指向不存在的选项") % answer_raw))
        elif qtype == "single" and len(answer) != 1:
            errors.append(RowError(row, "答案", _("单选题只能有一个答案，实际为“%s”") % answer_raw))
        elif qtype == "multiple" and len(answer) < 2:
            errors.append(RowError(row, "答案", _("多选题至少有两个正确选项，实际为“%s”") % answer_raw))
    elif qtype == "true_false":
        options = []
        answer = normalise_true_false(answer_raw)
        if not answer:
            errors.append(RowError(row, "答案", _("判断题答案应为 正确/错误（或 对/错、T/F），实际为“%s”")
                                   % (answer_raw or _("空"))))
    category_raw = _text(data.get("类别"))
    category = CATEGORY_WORDS.get(category_raw) or (category_raw if category_raw in Category.values else "")
    if not category:
        errors.append(RowError(row, "类别", _("应为 政治教育、党史教育、警示教育 或 英模教育，实际为“%s”")
                               % (category_raw or _("空"))))
    difficulty_raw = _text(data.get("难度"))
    difficulty = Difficulty.MEDIUM
    if difficulty_raw:
        difficulty = DIFFICULTY_WORDS.get(difficulty_raw)
        if difficulty is None:
            errors.append(RowError(row, "难度", _("应为 易、中 或 难，实际为“%s”") % difficulty_raw))
    explanation = _text(data.get("解析"))
    clean = {"qtype": qtype, "stem": stem, "options": options, "answer": answer, "explanation": explanation,
             "category": category, "difficulty": difficulty, "fingerprint": fingerprint(qtype, stem)}
    return clean, errors


def parse_workbook(content: bytes) -> tuple[list[dict], list[RowError]]:
    """Rows of the first sheet, validated. Row numbers are the sheet's own (header is row 1)."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        return [], [RowError(0, _("文件"), _("无法读取：请上传用模板填写的 .xlsx 文件"))]
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    missing = [h for h in REQUIRED_HEADERS if h not in header]
    if missing:
        return [], [RowError(1, h, _("缺少该列（请使用下载的模板）")) for h in missing]
    index = {h: header.index(h) for h in HEADERS if h in header}
    clean_rows, errors, seen = [], [], {}
    for number, values in enumerate(rows, start=2):
        if values is None or all(_text(v) == "" for v in values):
            continue
        if number > MAX_ROWS + 1:
            errors.append(RowError(number, _("文件"), _("一次最多导入 %d 道题") % MAX_ROWS))
            break
        data = {h: (values[i] if i < len(values) else None) for h, i in index.items()}
        clean, row_errors = validate_question(data, row=number)
        if not row_errors and clean["fingerprint"] in seen:
            row_errors.append(RowError(number, "题干", _("与第 %d 行重复") % seen[clean["fingerprint"]]))
        seen.setdefault(clean["fingerprint"], number)
        errors.extend(row_errors)
        clean["row"] = number
        clean_rows.append(clean)
    workbook.close()
    if not clean_rows and not errors:
        errors.append(RowError(2, "题干", _("文件中没有试题")))
    return clean_rows, errors


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "试题"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B22222")
    ws.append(["单选题", "政法干警“三个规定”中，要求司法人员对干预过问案件的情况应当如何处理？",
               "视情况决定是否报告", "全面如实记录报告", "仅向本人领导口头报告", "无需记录", "", "",
               "B", "“三个规定”要求对干预过问案件情况全面、如实记录，做到有据可查。", "政治教育", "易"])
    ws.append(["多选题", "教育整顿的四项任务包括哪些？", "筑牢政治忠诚", "清除害群之马", "整治顽瘴痼疾",
               "弘扬英模精神", "", "", "ABCD", "四项任务：筑牢政治忠诚、清除害群之马、整治顽瘴痼疾、弘扬英模精神。",
               "政治教育", "中"])
    ws.append(["判断题", "干警配偶、子女可以在本人任职法院辖区内违规从事律师职业。", "", "", "", "", "", "",
               "错误", "属于六大顽瘴痼疾之一，应当整治。", "警示教育", "易"])
    notes = wb.create_sheet("填写说明")
    for line in [
        "题型：单选题、多选题、判断题",
        "选项A–选项F：选择题按顺序填写，至少两个；判断题不填",
        "答案：单选填一个字母（如 B）；多选填多个字母（如 ACD，全部选对才得分）；判断题填 正确 或 错误",
        "类别：政治教育、党史教育、警示教育、英模教育；难度（可不填）：易、中、难",
        "同一题库中题型与题干相同的试题再次导入时更新原题，不会重复创建",
        "任何一行有错误时整个文件不导入，错误报告会列出行号、列名和原因",
    ]:
        notes.append([line])
    for col, width in zip("ABCDEFGHIJKL", [8, 50, 18, 18, 18, 18, 10, 10, 8, 40, 10, 6], strict=True):
        ws.column_dimensions[col].width = width
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
