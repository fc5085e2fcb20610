"""Rollups (kept by triggers in the writing transaction) equal the records after creates, updates and
deletes, and equal what `rebuild-rollups` computes from scratch."""

from django.core.management import call_command
from django.db import connection

from tests.stats.test_figures import check_all
from zhengdun.activities.models import ActivityRecord, PledgeLetter, TalkRecord
from zhengdun.campaigns.models import ActionCompletion
from zhengdun.learning.models import ExamAttempt, StudyRecord
from zhengdun.org.models import Level, UnitKind
from zhengdun.org.services import unit_create
from zhengdun.stats.registry import evaluate
from zhengdun.stats.rollups import TABLES


def table_rows():
    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table}")
            cols = [c[0] for c in cursor.description]
            rows = []
            for row in cursor.fetchall():
                d = dict(zip(cols, row, strict=True))
                d.pop("id")
                if any(d.get(k) == 0 for k in ("n",)) or (table == "stats_actionroll" and
                                                          not (d["expected"] or d["done"] or d["returned"])):
                    continue  # a counter back at zero is the same as no row
                rows.append(tuple(sorted((k, str(v)) for k, v in d.items())))
            out[table] = sorted(rows)
    return out


def contexts(world):
    cast = world.cast
    c = world.campaign
    for unit in (cast.city, cast.county_a, cast.court_a):
        yield world.ctx(cast.city_admin, unit)
        yield world.ctx(cast.city_admin, unit, date_from=c.start_date, date_to=c.end_date)
        yield world.ctx(cast.city_admin, unit, campaign=None, date_from=c.start_date, date_to=c.end_date)


def test_rollups_follow_creates_updates_deletes_and_match_a_rebuild(world):
    cast, o = world.cast, world.officers
    before = evaluate(world.ctx(cast.city_admin, cast.county_a))[0]
    # deletes (cascading participants), updates that move a record in or out of what is counted
    world.activities[0].delete()
    ActivityRecord.objects.filter(pk=world.activities[4].pk).update(date=world.today)
    StudyRecord.objects.filter(officer=o["judge_a"]).first().delete()
    ExamAttempt.objects.filter(officer=o["judge_a"]).update(passed=False)
    PledgeLetter.objects.filter(officer=o["judge_a"]).delete()
    TalkRecord.objects.filter(round=2).delete()
    ActionCompletion.objects.filter(unit=cast.police_a).update(status="returned")
    o["police_a"].status = "retired"
    o["police_a"].save()
    after = evaluate(world.ctx(cast.city_admin, cast.county_a))[0]
    assert after["sessions"].value == before["sessions"].value - 1 + 1
    assert after["person_times"].value == before["person_times"].value - 2 + 1
    assert after["pass_rate"].numerator == before["pass_rate"].numerator - 1
    assert after["pledges"].value == before["pledges"].value - 1
    assert after["talks"].value == before["talks"].value - 1
    assert after["returned"].value == before["returned"].value + 1
    assert after["coverage"].denominator == before["coverage"].denominator - 1
    for ctx in contexts(world):
        check_all(ctx)
    incremental = table_rows()
    call_command("rebuild_rollups")
    assert table_rows() == incremental
    for ctx in contexts(world):
        check_all(ctx)


def test_a_new_unit_joins_the_tree_and_its_records_count_above(world):
    cast = world.cast
    unit = unit_create(actor=None, parent=cast.court_a, code="CAFY1", name="甲县法院一庭", level=Level.UNIT,
                       kind=UnitKind.COURT, division_code="360101")
    from tests.stats.conftest import _officer

    officer = _officer(cast, unit, "新人", 77)
    StudyRecord.objects.create(unit=unit, officer=officer, date=world.today, channel="self", category="political")
    own = evaluate(world.ctx(cast.city_admin, cast.court_a))[0]
    assert own["study_times"].value == 4  # judge_a ×2, a2, and the new unit's officer
    assert own["study_rate"].denominator == 4  # judge_a, a2, a3, new officer
    check_all(world.ctx(cast.city_admin, cast.court_a))
    check_all(world.ctx(cast.city_admin, cast.city, date_from=world.campaign.start_date))
