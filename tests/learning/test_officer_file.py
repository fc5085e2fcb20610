"""One file per officer: sections for the officer and their office admin, 404 for others;
confidential sections only for those entitled, and their reading is audited."""

import pytest
from django.utils import timezone

from tests.learning.factories import make_exam, submitted_attempt
from zhengdun.audit.models import AuditEntry
from zhengdun.learning import officer_file, services
from zhengdun.learning.officer_file import Section


@pytest.fixture
def file_data(cast):
    services.study_record_create(actor=cast.officer_a, officer=cast.officers["judge_a"],
                                 date=timezone.localdate(), channel="self", note="自学党史")
    exam = make_exam(cast, title="一人一档测试考试")
    submitted_attempt(exam, cast.officers["judge_a"])
    return exam


@pytest.fixture
def secret_section():
    @officer_file.register("test.secret", order=90, confidential=True)
    def secret(scope, officer):
        return Section(title="测试保密栏目", columns=["内容"], rows=[["保密内容123"]], total=1)

    yield
    officer_file._providers.pop("test.secret", None)


def url(cast):
    return f"/learning/officers/{cast.officers['judge_a'].id}/file/"


@pytest.mark.parametrize("username", ["officer_a", "admin_a", "city_admin"])
def test_officer_and_their_office_admins_see_every_section(cast, client_for, file_data, secret_section, username):
    page = client_for(cast.users[username]).get(url(cast))
    text = page.content.decode()
    assert page.status_code == 200
    assert "学习记录" in text and "自学" in text
    assert "考试成绩" in text and "一人一档测试考试" in text
    assert "保密内容123" in text
    assert AuditEntry.objects.filter(action="officer_file.view_confidential",
                                     object_id=str(cast.officers["judge_a"].id)).exists()


@pytest.mark.parametrize("username", ["clerk_a", "supervisor_a"])
def test_others_in_scope_see_the_plain_sections_only(cast, client_for, file_data, secret_section, username):
    page = client_for(cast.users[username]).get(url(cast))
    text = page.content.decode()
    assert page.status_code == 200 and "一人一档测试考试" in text
    assert "保密内容123" not in text and "另有保密内容" in text


@pytest.mark.parametrize("username", ["admin_b", "auditor"])
def test_out_of_scope_is_404_or_not_allowed(cast, client_for, file_data, username):
    status = client_for(cast.users[username]).get(url(cast)).status_code
    assert status == (404 if username == "admin_b" else 403)


def test_officer_cannot_open_a_colleagues_file(cast, client_for):
    response = client_for(cast.officer_a).get(f"/learning/officers/{cast.officers['police_a'].id}/file/")
    assert response.status_code == 404


def test_officer_detail_links_to_the_file(cast, client_for):
    page = client_for(cast.admin_a).get(f"/org/people/{cast.officers['judge_a'].id}/")
    assert url(cast) in page.content.decode()
