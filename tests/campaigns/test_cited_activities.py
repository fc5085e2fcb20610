"""One entry, many uses (一次录入，多次调用): an activity record that names a required action is shown on
the action's completion page with its evidence, and the declaration cites it instead of uploading
the files again. An action that asks for evidence refuses a declaration with neither files nor a
cited or linked record; only target units may declare."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.campaigns.factories import running_campaign
from zhengdun.activities.models import ActivityRecord, ActivityType
from zhengdun.activities.services import activity_create
from zhengdun.campaigns.models import ActionCompletion, CompletionEvent
from zhengdun.campaigns.services import completion_declare, required_action_create

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


@pytest.fixture
def action(cast, campaign):
    return required_action_create(actor=cast.admin_a, campaign=campaign, issuing_unit=cast.county_a,
                                  title="专题党课", deadline=dt.date.today() + dt.timedelta(days=10),
                                  evidence_requirement="党课课件及签到表")


def lecture(cast, campaign, *, unit=None, action=None, title="党课：守初心", files=True):
    unit = unit or cast.court_a
    officer = {cast.court_a: "judge_a", cast.police_a: "police_a"}.get(unit, "judge_b")
    officer = cast.officers[officer]
    actor = cast.admin_a if unit.path.startswith(cast.county_a.path) else cast.admin_b
    return activity_create(actor=actor, unit=unit, campaign=campaign,
                           activity_type=ActivityType.objects.get(code="party_lecture"), title=title,
                           date=dt.date.today(), participants=[officer], action=action,
                           files=[(SimpleUploadedFile("党课课件.pdf", PDF), "notes")] if files else [])


def test_an_action_asking_for_evidence_refuses_a_bare_note(cast, action):
    with pytest.raises(ValidationError) as exc:
        completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="已完成")
    assert "党课课件及签到表" in str(exc.value) and "引用" in str(exc.value)
    assert not ActionCompletion.objects.exists()


def test_a_record_naming_the_action_is_shown_with_its_evidence_and_counts_as_evidence(cast, campaign, action,
                                                                                     client_for):
    record = lecture(cast, campaign, action=action)
    page = client_for(cast.clerk_a).get(f"/campaigns/actions/{action.id}/?unit={cast.court_a.id}")
    text = page.content.decode()
    listed = text[text.index('id="fulfilling-activities"'):]
    assert f"/activities/{record.id}/" in listed and "党课课件.pdf" in listed
    completion = completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="")
    assert completion.status == "declared" and not completion.evidence.exists()  # nothing uploaded twice


def test_the_declaration_cites_an_unlinked_record_through_the_form(cast, campaign, action, client_for):
    record = lecture(cast, campaign)
    assert record.action_id is None
    client = client_for(cast.clerk_a)
    page = client.get(f"/campaigns/actions/{action.id}/?unit={cast.court_a.id}").content.decode()
    assert f'name="activities" value="{record.id}"' in page
    r = client.post(f"/campaigns/actions/{action.id}/units/{cast.court_a.id}/declare/",
                    {"note": "", "activities": [record.id]})
    assert r.status_code == 302
    completion = ActionCompletion.objects.get(action=action, unit=cast.court_a)
    record.refresh_from_db()
    assert record.action_id == action.id and completion.evidence.count() == 0
    assert "党课：守初心" in CompletionEvent.objects.get(completion=completion).text


def test_only_the_units_own_unlinked_records_can_be_cited(cast, campaign, action):
    other_action = required_action_create(actor=cast.admin_a, campaign=campaign, issuing_unit=cast.county_a,
                                          title="另一动作", deadline=dt.date.today() + dt.timedelta(days=10))
    police = lecture(cast, campaign, unit=cast.police_a, title="公安局党课")
    elsewhere = lecture(cast, campaign, action=other_action, title="已关联其他动作")
    for record in (police, elsewhere):
        with pytest.raises(ValidationError) as exc:
            completion_declare(actor=cast.admin_a, action=action, unit=cast.court_a, note="", activities=[record])
        assert record.title in str(exc.value)
    assert not ActionCompletion.objects.exists()
    assert ActivityRecord.objects.get(pk=police.pk).action_id is None


def test_files_still_work_and_an_action_without_requirement_takes_a_note(cast, campaign, action):
    completion_declare(actor=cast.clerk_a, action=action, unit=cast.court_a, note="",
                       files=[(SimpleUploadedFile("签到表.pdf", PDF), "sign_in")])
    plain = required_action_create(actor=cast.admin_a, campaign=campaign, issuing_unit=cast.county_a,
                                   title="无佐证要求", deadline=dt.date.today() + dt.timedelta(days=10))
    completion_declare(actor=cast.clerk_a, action=plain, unit=cast.court_a, note="已完成")
    assert ActionCompletion.objects.count() == 2


def test_a_unit_outside_the_campaign_cannot_declare(cast, campaign):
    from zhengdun.campaigns.models import CampaignScopeUnit

    action = required_action_create(actor=cast.city_admin, campaign=campaign, issuing_unit=cast.city,
                                    title="全市动作", deadline=dt.date.today() + dt.timedelta(days=10))
    CampaignScopeUnit.objects.filter(campaign=campaign).update(unit=cast.county_a)
    action.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        completion_declare(actor=cast.admin_b, action=action, unit=cast.court_b, note="已完成")
    assert "乙县人民法院" in str(exc.value) and "参加范围" in str(exc.value)
    completion_declare(actor=cast.admin_a, action=action, unit=cast.court_a, note="已完成")
