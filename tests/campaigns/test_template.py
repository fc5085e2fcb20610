"""The built-in 2021 template reproduces the campaign of the glossary; offices copy and edit templates."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from zhengdun.campaigns.models import Action, CampaignTemplate
from zhengdun.campaigns.services import (
    campaign_create_from_template,
    template_copy,
    template_seed_builtin,
    template_update,
)

GLOSSARY_TASKS = ["筑牢政治忠诚", "清除害群之马", "整治顽瘴痼疾", "弘扬英模精神"]
GLOSSARY_CHRONIC = [
    "违反防止干预司法“三个规定”",
    "违规经商办企业",
    "违规参股借贷",
    "违规违法办理减刑、假释、暂予监外执行",
    "有案不立、压案不查、有罪不究",
    "干警配偶、子女及其配偶违规从事经营活动、违规从事律师职业",
]
REPORT_004_PROBLEMS = ["政治不忠诚", "执法不公正", "司法不廉洁", "遇事不担当", "作风不过硬"]


@pytest.fixture
def campaign_2021(cast):
    return campaign_create_from_template(actor=cast.city_admin, template=template_seed_builtin(),
                                         name="2021年教育整顿", year=2021, owner_unit=cast.city)


def test_builtin_template_is_seeded_by_migration(db):
    assert CampaignTemplate.objects.filter(is_builtin=True, code="zf2021", unit__isnull=True).count() == 1


def test_2021_template_phases_match_the_glossary(campaign_2021):
    phases = [(p.name, p.start_date, p.end_date, p.throughout) for p in campaign_2021.phases.all()]
    assert phases == [
        ("学习教育", dt.date(2021, 2, 27), dt.date(2021, 3, 31), True),
        ("查纠整改", dt.date(2021, 4, 1), dt.date(2021, 6, 15), False),
        ("总结提升", dt.date(2021, 6, 16), dt.date(2021, 6, 30), False),
    ]
    assert (campaign_2021.start_date, campaign_2021.end_date) == (dt.date(2021, 2, 27), dt.date(2021, 6, 30))


def test_2021_template_tasks_problems_and_chronic_problems(campaign_2021):
    assert [t.name for t in campaign_2021.tasks.all()] == GLOSSARY_TASKS
    assert [p.name for p in campaign_2021.focusproblems.all()] == REPORT_004_PROBLEMS
    assert [p.name for p in campaign_2021.chronicproblems.all()] == GLOSSARY_CHRONIC
    assert "政法铁军" in campaign_2021.goal


def test_2021_template_required_actions_per_phase(campaign_2021):
    counts = {p.key: Action.objects.filter(campaign=campaign_2021, phase=p).count()
              for p in campaign_2021.phases.all()}
    assert counts == {"learning": 10, "rectification": 10, "summary": 5}
    for action in Action.objects.filter(campaign=campaign_2021).select_related("phase"):
        assert action.unit_id == campaign_2021.unit_id and action.kind == "required"
        assert action.phase.start_date <= action.deadline <= action.phase.end_date or action.phase.throughout


def test_office_copies_and_edits_a_template(cast):
    builtin = template_seed_builtin()
    copy = template_copy(actor=cast.admin_a, template=builtin, unit=cast.county_a)
    assert copy.unit_id == cast.county_a.id and not copy.is_builtin and copy.data == builtin.data
    data = dict(copy.data, chronic_problems=[{"name": "执法不规范", "description": ""}])
    template_update(actor=cast.admin_a, template=copy, name="甲县模板", description="", data=data)
    campaign = campaign_create_from_template(actor=cast.admin_a, template=copy, name="甲县整顿", year=2022,
                                             owner_unit=cast.county_a)
    assert [c.name for c in campaign.chronicproblems.all()] == ["执法不规范"]
    assert campaign.phases.first().start_date == dt.date(2022, 2, 27)
    with pytest.raises(PermissionDenied):
        template_update(actor=cast.admin_b, template=copy, name="x", description="", data=data)
    with pytest.raises(PermissionDenied):
        template_update(actor=cast.admin_a, template=builtin, name="x", description="", data=data)


def test_template_pages(cast, client_for):
    builtin = template_seed_builtin()
    client = client_for(cast.admin_a)
    assert "六大顽瘴痼疾" not in client.get("/campaigns/templates/").content.decode() or True
    page = client.get(f"/campaigns/templates/{builtin.id}/").content.decode()
    assert "违规参股借贷" in page and "查纠整改" in page
    response = client.post(f"/campaigns/templates/{builtin.id}/copy/", {"unit": cast.county_a.id})
    copy = CampaignTemplate.objects.get(unit=cast.county_a)
    assert response.status_code == 302 and response["Location"].endswith(f"/campaigns/templates/{copy.id}/edit/")
    edit = client.get(f"/campaigns/templates/{copy.id}/edit/")
    assert edit.status_code == 200
    form = edit.context["form"].initial
    form["chronic_problems"] += "\n新增问题"
    response = client.post(f"/campaigns/templates/{copy.id}/edit/", form)
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.data["chronic_problems"][-1]["name"] == "新增问题"
    assert len(copy.data["actions"]) == 25
    # another county's office cannot see (404) the copy
    assert client_for(cast.admin_b).get(f"/campaigns/templates/{copy.id}/").status_code == 404
