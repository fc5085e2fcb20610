"""The issuing office's pages: confirming several declarations at once (确认所选), the actions an office
issued on its own action list, the matrix as a scroll box, and buttons only for those who may use them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.campaigns.factories import running_campaign
from zhengdun.audit.models import AuditEntry
from zhengdun.campaigns.models import ActionCompletion, CompletionEvent
from zhengdun.campaigns.services import (
    completion_accept,
    completion_accept_many,
    completion_declare,
    completion_return,
    required_action_create,
)
from zhengdun.org.services import unit_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


@pytest.fixture
def action(cast, campaign):
    return required_action_create(actor=cast.admin_a, campaign=campaign, issuing_unit=cast.county_a,
                                  title="县级动作", deadline=dt.date.today() + dt.timedelta(days=10))


@pytest.fixture
def third_unit(cast):
    """A third unit below county A, so that one declaration can be declared, one returned, one accepted."""
    return unit_create(actor=None, parent=cast.county_a, code="CAJC", name="甲县人民检察院", level="unit",
                       kind="procuratorate", division_code="360101")


def _three_states(cast, action, third_unit):
    declared = completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="已完成",
                                  files=[(SimpleUploadedFile("会议.png", PNG), "photo")])
    returned = completion_declare(actor=cast.admin_a, action=action, unit=cast.police_a, note="已完成")
    completion_return(actor=cast.admin_a, completion=returned, reason="缺签到表")
    accepted = completion_declare(actor=cast.admin_a, action=action, unit=third_unit, note="已完成")
    completion_accept(actor=cast.admin_a, completion=accepted)
    return declared, returned, accepted


def test_confirm_selected_confirms_only_declared_ones_each_with_its_event_and_audit_entry(cast, action, third_unit):
    declared, returned, accepted = _three_states(cast, action, third_unit)
    before = AuditEntry.objects.filter(action="action.accept").count()
    done = completion_accept_many(actor=cast.admin_a, action=action, completions=[declared, returned, accepted])
    assert done == {"accepted": 1, "skipped": 2}
    statuses = dict(ActionCompletion.objects.filter(action=action).values_list("unit_id", "status"))
    assert statuses == {cast.court_a.id: "accepted", cast.police_a.id: "returned", third_unit.id: "accepted"}
    # confirmed one by one: its own accept event and audited row change, as if confirmed alone
    assert CompletionEvent.objects.filter(completion=declared, kind="accept").count() == 1
    assert AuditEntry.objects.filter(action="action.accept").count() > before
    with pytest.raises(PermissionDenied):
        completion_accept_many(actor=cast.admin_b, action=action, completions=[returned])
    with pytest.raises(PermissionDenied):
        completion_accept_many(actor=cast.clerk_a, action=action, completions=[returned])


def test_the_review_page_confirms_the_ticked_units(cast, action, third_unit, client_for):
    declared, returned, accepted = _three_states(cast, action, third_unit)
    office = client_for(cast.admin_a)
    page = office.get(f"/campaigns/actions/{action.id}/").content.decode()
    assert "确认所选" in page and 'form="bulk-accept"' in page
    # only the declared one can be ticked; the returned one waits for a re-declaration
    assert f'name="units" value="{cast.court_a.id}"' in page
    assert f'name="units" value="{cast.police_a.id}"' not in page and "待重新申报" in page
    assert "会议.png" in page  # the 材料 column lists the files
    response = office.post(f"/campaigns/actions/{action.id}/accept/",
                           {"units": [cast.court_a.id, cast.police_a.id, cast.court_b.id]})
    assert response.status_code == 302
    declared.refresh_from_db()
    returned.refresh_from_db()
    assert (declared.status, returned.status) == ("accepted", "returned")
    # a supervisor reads the page but neither sees nor may use the review
    sup = client_for(cast.supervisor_a)
    assert "确认所选" not in sup.get(f"/campaigns/actions/{action.id}/").content.decode()
    assert sup.post(f"/campaigns/actions/{action.id}/accept/", {"units": [cast.court_a.id]}).status_code == 403


def test_matrix_is_a_scroll_box_and_the_issue_button_is_for_offices_only(cast, action, client_for):
    office = client_for(cast.admin_a).get(f"/campaigns/matrix/?unit={cast.county_a.id}").content.decode()
    assert 'class="zd-matrix"' in office and "zhengdun/campaigns.css" in office
    assert "县级动作" in office  # the action's (abbreviated) title heads its column, the full one in the tooltip
    assert "/campaigns/actions/new/" in office
    supervisor = client_for(cast.supervisor_a).get(f"/campaigns/matrix/?unit={cast.county_a.id}")
    assert supervisor.status_code == 200
    assert "/campaigns/actions/new/" not in supervisor.content.decode()


def test_an_issuing_office_sees_what_it_issued_on_its_action_list(cast, action, client_for):
    completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="已完成")
    page = client_for(cast.admin_a).get(f"/campaigns/actions/?unit={cast.county_a.id}")
    issued = {row.action.id: row for row in page.context["issued"]}
    assert (issued[action.id].expected, issued[action.id].done, issued[action.id].open) == (2, 1, 1)
    html = page.content.decode()
    assert 'id="issued-actions"' in html and f"/campaigns/matrix/?unit={cast.county_a.id}" in html
    # the city issued nothing here and receives nothing: the plain empty list, no 0/0/0/0 legend
    city = client_for(cast.city_admin).get(f"/campaigns/actions/?unit={cast.city.id}").content.decode()
    assert 'id="issued-actions"' not in city and "暂无需要落实的动作" in city and "黄灯：距完成时限" not in city


def test_an_officer_sees_no_buttons_to_pages_of_staff(cast, campaign, client_for):
    page = client_for(cast.officer_a).get(f"/campaigns/{campaign.id}/").content.decode()
    assert "/campaigns/actions/?" not in page and "/activities/?campaign" not in page
    staff = client_for(cast.admin_a).get(f"/campaigns/{campaign.id}/").content.decode()
    assert "/campaigns/actions/?campaign" in staff
