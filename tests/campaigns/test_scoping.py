"""Campaigns are visible to the units in their scope; everything else is a 404 on pages and API."""

import datetime as dt

from tests.campaigns.factories import running_campaign
from zhengdun.campaigns import selectors
from zhengdun.campaigns.services import (
    campaign_create_from_template,
    required_action_create,
    template_seed_builtin,
)
from zhengdun.org.access import scope_for


def test_city_campaign_is_visible_below_and_county_campaign_only_in_its_county(cast):
    city = running_campaign(cast)
    county_b = campaign_create_from_template(actor=cast.admin_b, template=template_seed_builtin(), name="乙县整顿",
                                             year=2021, owner_unit=cast.county_b)
    def visible(user):
        return {c.name for c in selectors.campaign_list(scope=scope_for(user))}

    assert visible(cast.clerk_a) == {city.name}
    assert visible(cast.officer_a) == {city.name}
    assert visible(cast.admin_a) == {city.name}
    assert visible(cast.admin_b) == {city.name, "乙县整顿"}
    assert visible(cast.city_admin) == {city.name, "乙县整顿"}
    assert visible(cast.auditor) == set()
    assert county_b.unit_id == cast.county_b.id


def test_out_of_scope_campaign_and_action_are_404_on_pages_and_api(cast, client_for):
    county_b = campaign_create_from_template(actor=cast.admin_b, template=template_seed_builtin(), name="乙县整顿",
                                             year=2021, owner_unit=cast.county_b, with_actions=False)
    action = required_action_create(actor=cast.admin_b, campaign=county_b, issuing_unit=cast.county_b, title="乙县动作",
                                     deadline=dt.date(2021, 5, 1))
    clerk = client_for(cast.clerk_a)
    assert clerk.get(f"/campaigns/{county_b.id}/").status_code == 404
    assert clerk.get(f"/api/campaigns/{county_b.id}").status_code == 404
    assert clerk.get(f"/campaigns/actions/{action.id}/").status_code == 404
    assert clerk.get(f"/api/actions/{action.id}").status_code == 404
    assert clerk.get(f"/api/actions?unit={cast.court_b.id}").status_code == 404
    assert clerk.get(f"/campaigns/actions/?unit={cast.court_b.id}").status_code == 404
    b = client_for(cast.admin_b)
    assert b.get(f"/campaigns/{county_b.id}/").status_code == 200
    assert b.get(f"/api/actions/{action.id}").json()["unit"] == cast.county_b.id
    items = b.get(f"/api/actions?unit={cast.court_b.id}").json()["items"]
    assert [(i["title"], i["unit"], i["for_unit"], i["light"]) for i in items] == [
        ("乙县动作", cast.county_b.id, cast.court_b.id, "red")]


def test_campaign_detail_page_and_api(cast, client_for):
    campaign = running_campaign(cast)
    page = client_for(cast.clerk_a).get(f"/campaigns/{campaign.id}/")
    html = page.content.decode()
    assert page.status_code == 200 and "查纠整改" in html and "违规参股借贷" in html and "弘扬英模精神" in html
    assert page.context["current_phase"].key == "rectification"
    data = client_for(cast.clerk_a).get(f"/api/campaigns/{campaign.id}").json()
    assert data["unit"] == cast.city.id and [p["name"] for p in data["phases"]] == ["学习教育", "查纠整改", "总结提升"]
    assert len(data["chronic_problems"]) == 6


def test_create_campaign_from_template_page(cast, client_for):
    template = template_seed_builtin()
    r = client_for(cast.admin_a).post("/campaigns/new/", {"template": template.id, "name": "甲县2023整顿",
                                                          "year": 2023, "owner_unit": cast.county_a.id,
                                                          "with_actions": "on"})
    assert r.status_code == 302
    campaign = selectors.campaign_list(scope=scope_for(cast.admin_a)).get(name="甲县2023整顿")
    assert campaign.unit_id == cast.county_a.id and campaign.actions.count() == 25
    # a county admin cannot own a campaign for the city: the city is not a choice
    r = client_for(cast.admin_a).post("/campaigns/new/", {"template": template.id, "name": "x", "year": 2023,
                                                          "owner_unit": cast.city.id})
    assert r.status_code == 200 and not selectors.campaign_list(scope=scope_for(cast.city_admin)).filter(name="x")
