"""Question import from .xlsx: all or nothing, every bad row named; re-import is idempotent."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from zhengdun.learning import services
from zhengdun.learning.models import Question
from zhengdun.learning.question_io import HEADERS, template_workbook


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def row(qtype, stem, options, answer, category="政治教育", explanation=""):
    options = list(options) + [""] * (6 - len(options))
    return [qtype, stem, *options, answer, explanation, category, ""]


GOOD = [
    row("单选题", "四项任务中居首位的是？", ["清除害群之马", "筑牢政治忠诚"], "B"),
    row("多选题", "三个环节包括？", ["学习教育", "查纠整改", "总结提升", "评比表彰"], "ABC"),
    row("判断题", "学习教育以打卡积分为主。", [], "错误", "警示教育"),
]


def test_bad_rows_are_each_named_and_nothing_is_saved(cast):
    content = workbook([
        GOOD[0],
        row("问答题", "这是什么题型？", ["甲", "乙"], "A"),                    # row 3: bad type
        row("单选题", "", ["甲", "乙"], "A"),                                # row 4: empty stem
        row("多选题", "多选只有一个答案？", ["甲", "乙", "丙"], "A"),           # row 5: multiple needs two
        row("单选题", "答案越界？", ["甲", "乙"], "D"),                        # row 6: no option D
        row("判断题", "判断题答案不明？", [], "也许"),                          # row 7
        row("单选题", "类别不对？", ["甲", "乙"], "A", category="体育"),         # row 8
        GOOD[0],                                                             # row 9: duplicate of row 2
    ])
    result = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=content)
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert {(3, "题型"), (4, "题干"), (5, "答案"), (6, "答案"), (7, "答案"), (8, "类别"), (9, "题干")} <= found
    assert all(e.row != 2 for e in result.errors)
    assert "第 6 行“答案”列" in str(next(e for e in result.errors if e.row == 6))
    assert Question.objects.count() == 0


def test_missing_headers_are_reported(cast):
    wb = Workbook()
    wb.active.append(["题目", "答案"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=buffer.getvalue())
    assert {e.column for e in result.errors} >= {"题型", "题干", "类别"}
    assert Question.objects.count() == 0


def test_not_an_xlsx_is_refused_clearly(cast):
    result = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=b"not a workbook")
    assert not result.ok and "xlsx" in result.errors[0].reason


def test_good_import_twice_is_idempotent(cast):
    first = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=workbook(GOOD))
    assert first.ok and (first.created, first.updated) == (3, 0)
    second = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=workbook(GOOD))
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert Question.objects.filter(unit=cast.county_a).count() == 3
    tf = Question.objects.get(qtype="true_false")
    assert tf.answer == "F" and tf.category == "warning" and tf.options == []
    multiple = Question.objects.get(qtype="multiple")
    assert multiple.options == ["学习教育", "查纠整改", "总结提升", "评比表彰"] and multiple.answer == "ABC"
    # a changed answer for the same stem updates the question in place
    changed = [GOOD[0], row("多选题", "三个环节包括？", ["学习教育", "查纠整改", "总结提升", "评比表彰"], "ABCD"), GOOD[2]]
    third = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=workbook(changed))
    assert (third.created, third.updated) == (0, 1)
    assert Question.objects.get(qtype="multiple").answer == "ABCD"


def test_the_downloadable_template_imports_cleanly(cast, client_for):
    response = client_for(cast.admin_a).get("/learning/questions/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADERS
    result = services.questions_import(actor=cast.admin_a, unit=cast.county_a, content=template_workbook())
    assert result.ok and result.created == 3


def test_import_page_lists_errors(cast, client_for):
    content = workbook([row("单选题", "", ["甲", "乙"], "A")])
    upload = io.BytesIO(content)
    upload.name = "bank.xlsx"
    page = client_for(cast.admin_a).post("/learning/questions/import/", {"unit": cast.county_a.id, "file": upload})
    text = page.content.decode()
    assert page.status_code == 200 and "未导入任何试题" in text and "<td>2</td><td>题干</td>" in text


def test_only_the_office_imports_into_its_bank(cast):
    with pytest.raises(PermissionDenied):
        services.questions_import(actor=cast.admin_b, unit=cast.county_a, content=workbook(GOOD))
    with pytest.raises(PermissionDenied):
        services.questions_import(actor=cast.clerk_a, unit=cast.court_a, content=workbook(GOOD))


def test_question_create_and_edit_pages(cast, client_for):
    client = client_for(cast.admin_a)
    data = {"unit": cast.county_a.id, "qtype": "multiple", "stem": "六学包括？", "option_a": "自学", "option_b": "领学",
            "option_c": "打卡学", "answer": "AB", "category": "political", "difficulty": 2, "is_active": "on"}
    assert client.post("/learning/questions/new/", data).status_code == 302
    question = Question.objects.get(stem="六学包括？")
    assert question.options == ["自学", "领学", "打卡学"] and question.answer == "AB"
    bad = client.post(f"/learning/questions/{question.id}/", {**data, "answer": "AZ"})
    assert bad.status_code == 200 and "答案" in bad.content.decode()
    assert client.post(f"/learning/questions/{question.id}/", {**data, "answer": "BA"}).status_code == 302
    assert Question.objects.get(pk=question.pk).answer == "AB"
    assert client_for(cast.admin_b).get(f"/learning/questions/{question.id}/").status_code == 404
