"""The rollups stay exact when the tree or the roster changes under them: a unit moved to another
parent, a unit's kind or level changed, a unit deactivated, an officer transferred, departed or
recategorised, a campaign's participating units changed. After each change every figure equals its
drill-down list (at every level, with the decoys of the fixture) and the incrementally maintained
tables equal what `rebuild-rollups` computes from scratch."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from tests.stats.test_figures import check_all
from tests.stats.test_rollups import table_rows
from zhengdun.campaigns import services as camp
from zhengdun.campaigns.models import ActionCompletion, CampaignScopeUnit, CompletionStatus
from zhengdun.org.models import Level, UnitKind
from zhengdun.org.services import officer_update, unit_create, unit_move, unit_update
from zhengdun.stats import registry
from zhengdun.stats.registry import count_records, evaluate


def assert_exact(world):
    """Every figure == its list, for every unit of the cast, in the narrow range (live counts where
    needed), the whole campaign window (rollups only) and without a campaign; then the maintained
    tables == a rebuild."""
    cast, c = world.cast, world.campaign
    for user in (cast.city_admin,):
        for unit in (cast.city, cast.county_a, cast.county_b):
            check_all(world.ctx(user, unit))
            check_all(world.ctx(user, unit, date_from=c.start_date, date_to=c.end_date))
            check_all(world.ctx(user, unit, campaign=None, date_from=c.start_date, date_to=c.end_date))
    incremental = table_rows()
    call_command("rebuild_rollups")
    assert table_rows() == incremental


def figure(world, unit, key, **kw):
    return evaluate(world.ctx(world.cast.city_admin, unit, **kw), with_children=False)[0][key]


def listed(world, unit, key, part="records", **kw):
    return count_records(registry.BY_KEY[key], world.ctx(world.cast.city_admin, unit, **kw), part)


def test_moving_a_unit_moves_its_figures_and_closure(world):
    cast = world.cast
    sessions_b = figure(world, cast.county_b, "sessions").value
    moved = listed(world, cast.court_a, "sessions")
    unit_move(actor=None, unit=cast.court_a, new_parent=cast.county_b)
    cast.court_a.refresh_from_db()
    assert figure(world, cast.county_b, "sessions").value == sessions_b + moved == listed(world, cast.county_b,
                                                                                         "sessions")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ancestor_id FROM stats_unitancestor WHERE unit_id = %s ORDER BY ancestor_id",
                       [cast.court_a.id])
        assert [r[0] for r in cursor.fetchall()] == sorted([cast.city.id, cast.county_b.id, cast.court_a.id])
    assert_exact(world)


def test_moving_a_subtree_with_children(world):
    """A unit below the moved one moves too (closure of the whole subtree; actions issued inside it)."""
    cast = world.cast
    tribunal = unit_create(actor=None, parent=cast.court_a, code="CAFY1", name="甲县法院一庭", level=Level.UNIT,
                           kind=UnitKind.COURT, division_code="360101")
    from tests.stats.conftest import _officer

    officer = _officer(cast, tribunal, "庭员", 78)
    from zhengdun.learning.models import StudyRecord

    StudyRecord.objects.create(unit=tribunal, officer=officer, date=world.today, channel="self", category="political")
    action = camp.required_action_create(actor=cast.admin_a, campaign=world.campaign, issuing_unit=cast.court_a,
                                         title="法院规定动作", deadline=world.today)
    camp.completion_declare(actor=cast.admin_a, action=action, unit=tribunal, note="已完成")
    assert_exact(world)
    unit_move(actor=None, unit=cast.court_a, new_parent=cast.county_b)
    assert_exact(world)
    unit_move(actor=None, unit=cast.court_a, new_parent=cast.county_a)  # and back
    assert_exact(world)


def test_deactivating_a_unit_drops_it_from_the_actions(world):
    cast = world.cast
    before = figure(world, cast.county_a, "completion")
    unit_update(actor=cast.city_admin, unit=cast.police_a, is_active=False)
    after = figure(world, cast.county_a, "completion")
    assert after.denominator == listed(world, cast.county_a, "completion", "denominator") < before.denominator
    assert after.numerator == listed(world, cast.county_a, "completion", "numerator") < before.numerator
    assert figure(world, cast.county_a, "overdue").value == listed(world, cast.county_a, "overdue")
    assert_exact(world)
    unit_update(actor=cast.city_admin, unit=cast.police_a, is_active=True)
    assert figure(world, cast.county_a, "completion") == before
    assert_exact(world)


def test_changing_kind_or_level_changes_the_targets(world):
    cast = world.cast
    camp.required_action_create(actor=cast.admin_a, campaign=world.campaign, issuing_unit=cast.county_a,
                                         title="法院专项", deadline=world.today, target_kinds=[UnitKind.COURT])
    camp.required_action_create(actor=cast.admin_a, campaign=world.campaign, issuing_unit=cast.county_a,
                                        title="基层专项", deadline=world.today, target_levels=[Level.UNIT])
    before = figure(world, cast.county_a, "completion").denominator
    unit_update(actor=cast.city_admin, unit=cast.police_a, kind=UnitKind.COURT)
    assert figure(world, cast.county_a, "completion").denominator == before + 1
    assert_exact(world)
    unit_update(actor=cast.city_admin, unit=cast.police_a, level=Level.COUNTY)
    assert_exact(world)


def test_an_officer_transfer_moves_coverage_to_the_new_unit(world):
    """Coverage-type rates are about the current roster: a2 (who took part in court A) now counts
    for court B's coverage; the sessions stay where they were held."""
    cast, o = world.cast, world.officers
    sessions_a = figure(world, cast.county_a, "sessions").value
    officer_update(actor=cast.city_admin, officer=o["a2"], unit=cast.court_b)
    cov_b = figure(world, cast.county_b, "coverage")
    assert o["a2"].id in set(registry.BY_KEY["coverage"].numerator(
        world.ctx(cast.city_admin, cast.county_b)).values_list("pk", flat=True))
    assert cov_b.numerator == listed(world, cast.county_b, "coverage", "numerator")
    assert figure(world, cast.county_a, "sessions").value == sessions_a
    assert_exact(world)


def test_departed_and_recategorised_officers_leave_the_rates(world):
    cast, o = world.cast, world.officers
    before = figure(world, cast.county_a, "study_rate")
    officer_update(actor=cast.city_admin, officer=o["a2"], status="departed", left_date=world.today)
    after = figure(world, cast.county_a, "study_rate")
    assert (after.numerator, after.denominator) == (before.numerator - 1, before.denominator - 1)
    officer_update(actor=cast.city_admin, officer=o["judge_a"], category="auxiliary")
    assert figure(world, cast.county_a, "study_rate").numerator == before.numerator - 2
    assert figure(world, cast.county_a, "study_rate", campaign=None).numerator == before.numerator - 1
    assert_exact(world)
    officer_update(actor=cast.city_admin, officer=o["aux"], category="officer")
    officer_update(actor=cast.city_admin, officer=o["retired"], status="serving", left_date=None)
    assert_exact(world)


def test_a_record_of_another_unit_counts_for_the_officers_current_unit(world):
    """judge_b studies in county B, then moves to county A: county A's study coverage now counts
    them (the record stays a county B study record for 学习人次)."""
    cast, o = world.cast, world.officers
    study_times_b = figure(world, cast.county_b, "study_times").value
    officer_update(actor=cast.city_admin, officer=o["judge_b"], unit=cast.court_a)
    assert figure(world, cast.county_b, "study_times").value == study_times_b
    assert figure(world, cast.county_b, "study_rate").numerator == 0
    assert o["judge_b"].id in set(registry.BY_KEY["study_rate"].numerator(
        world.ctx(cast.city_admin, cast.court_a)).values_list("pk", flat=True))
    assert_exact(world)


def test_only_target_units_count_as_done(world):
    """A unit outside the campaign's participating units cannot declare, and a completion row written
    for it anyway (import, bulk load) does not inflate the issuer's rate."""
    cast = world.cast
    outside = unit_create(actor=None, parent=None, code="C9", name="外市", level=Level.CITY,
                          kind=UnitKind.COMMITTEE, division_code="3609")
    inside_b = world.campaign.scope_units.get()
    assert inside_b == cast.city
    action = camp.required_action_create(actor=cast.admin_a, campaign=world.campaign, issuing_unit=cast.county_a,
                                         title="只对法院", deadline=world.today, target_kinds=[UnitKind.COURT])
    with pytest.raises(ValidationError) as exc:
        camp.completion_declare(actor=cast.admin_a, action=action, unit=cast.police_a, note="已完成")
    assert "不是对本单位的要求" in str(exc.value)
    before = figure(world, cast.county_a, "completion")
    now = dt.datetime.now(dt.UTC)
    ActionCompletion.objects.create(action=action, unit=cast.police_a, status=CompletionStatus.DECLARED,
                                    declared_on=world.today, declared_at=now)
    assert figure(world, cast.county_a, "completion") == before
    assert outside.id
    assert_exact(world)


def test_declaring_outside_the_campaign_scope_is_refused(world):
    cast = world.cast
    # The campaign now covers county A only: county B's units are no longer targets of the city's actions.
    CampaignScopeUnit.objects.filter(campaign=world.campaign).update(unit=cast.county_a)
    action = world.campaign.actions.filter(unit=cast.city, deadline__gte=world.date_from,
                                           deadline__lte=world.date_to).first()
    with pytest.raises(ValidationError) as exc:
        camp.completion_declare(actor=cast.admin_b, action=action, unit=cast.county_b, note="已完成")
    assert "参加范围" in str(exc.value)
    assert figure(world, cast.county_b, "completion").denominator == 0
    assert_exact(world)


def test_records_changed_after_a_transfer_and_an_activity_moved_to_another_campaign(world):
    """Deletes and updates of records filed before a transfer, and an activity switched to another
    campaign (its participants' campaign-keyed coverage follows it)."""
    from zhengdun.activities.models import ActivityParticipant, ActivityRecord
    from zhengdun.learning.models import ExamAttempt, StudyRecord

    cast, o = world.cast, world.officers
    officer_update(actor=cast.city_admin, officer=o["judge_a"], unit=cast.court_b)
    ActivityRecord.objects.filter(pk=world.activities[0].pk).update(campaign=world.decoy)
    assert_exact(world)
    StudyRecord.objects.filter(officer=o["judge_a"]).first().delete()
    ExamAttempt.objects.filter(officer=o["judge_a"]).update(passed=False)
    ActivityParticipant.objects.filter(officer=o["judge_a"], activity=world.activities[1]).delete()
    ActivityRecord.objects.filter(pk=world.activities[0].pk).update(campaign=world.campaign)
    assert_exact(world)
    world.activities[2].delete()
    assert_exact(world)


def test_a_unit_created_and_deleted_again_leaves_no_trace(world):
    cast = world.cast
    unit = unit_create(actor=None, parent=cast.county_b, code="CBJC", name="乙县检察院", level=Level.UNIT,
                       kind=UnitKind.PROCURATORATE, division_code="360102")
    assert figure(world, cast.county_b, "completion").denominator == listed(world, cast.county_b, "completion",
                                                                            "denominator")
    # The rollup rows protect the unit from an ORM delete; a raw delete leaves the rollups exact.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_unit WHERE id = %s", [unit.id])
    assert_exact(world)
