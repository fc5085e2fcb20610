"""stats_counttotal (CountDaily without the date) equals the records, is kept by the triggers, and is
what the dashboard reads when the range holds every dated row; the figures stay equal to their
drill-down lists either way."""

import datetime as dt

from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from tests.stats.test_figures import check_all
from zhengdun.activities.models import ActivityRecord, PledgeLetter, TalkRecord
from zhengdun.learning.models import StudyRecord
from zhengdun.stats.models import CountTotal
from zhengdun.stats.registry import evaluate

EVER = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))


def _total(unit, kind, campaign_id=None):
    rows = CountTotal.objects.filter(unit=unit, kind=kind)
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    agg = rows.aggregate(n=Sum("n"), t=Sum("total"))
    return int(agg["n"] or 0), int(agg["t"] or 0)


def assert_totals_equal_records(world):
    cast = world.cast
    for unit in (cast.city, cast.county_a, cast.county_b, cast.court_a, cast.police_a):
        def sub(model, unit=unit):
            return model.objects.filter(unit__path__startswith=unit.path)

        for campaign in (world.campaign, world.decoy):
            acts = sub(ActivityRecord).filter(campaign=campaign)
            assert _total(unit, "act", campaign.id) == (
                acts.count(), acts.aggregate(t=Sum("person_times"))["t"] or 0), (unit.name, campaign.name)
            assert _total(unit, "talk", campaign.id)[0] == sub(TalkRecord).filter(campaign=campaign).count()
            assert _total(unit, "pledge", campaign.id)[0] == sub(PledgeLetter).filter(campaign=campaign).count()
        assert _total(unit, "study", 0)[0] == sub(StudyRecord).count()
        for channel in ("self", "led", "video", "group"):
            n = CountTotal.objects.filter(unit=unit, kind="study", dim_a=channel).aggregate(n=Sum("n"))["n"] or 0
            assert n == sub(StudyRecord).filter(channel=channel).count(), (unit.name, channel)


def test_totals_equal_the_records_after_writes(world):
    assert_totals_equal_records(world)
    cast = world.cast
    world.activities[0].delete()
    ActivityRecord.objects.filter(pk=world.activities[1].pk).update(campaign=world.decoy, person_times=7)
    StudyRecord.objects.filter(officer=world.officers["judge_a"]).update(channel="video")
    TalkRecord.objects.filter(round=2).delete()
    PledgeLetter.objects.filter(officer=world.officers["judge_a"]).update(campaign=world.decoy)
    StudyRecord.objects.create(unit=cast.court_b, officer=world.officers["judge_b"], date=world.today,
                               channel="led", category="political")
    assert_totals_equal_records(world)


def test_a_range_holding_every_record_reads_the_totals(world):
    cast = world.cast
    for unit in (cast.city, cast.county_a, cast.court_a):
        for campaign in ("main", None):
            ctx = world.ctx(cast.city_admin, unit, campaign=campaign, date_from=EVER[0], date_to=EVER[1])
            own, snap, _checked = check_all(ctx)
            assert snap.total_kinds == {"act", "study", "talk", "pledge"}
            assert own["sessions"].value == ActivityRecord.objects.filter(
                unit__path__startswith=unit.path, **({"campaign": world.campaign} if campaign else {})).count()


def test_a_narrow_range_reads_the_days(world):
    cast = world.cast
    ctx = world.ctx(cast.city_admin, cast.city)  # records before and after this range exist
    _own, snap, _checked = check_all(ctx)
    assert "act" not in snap.total_kinds and "study" not in snap.total_kinds


def test_dashboard_query_count_does_not_grow_with_children(world, client_for):
    cast = world.cast
    client = client_for(cast.city_admin)
    q = f"from={EVER[0]}&to={EVER[1]}&campaign={world.campaign.id}"
    counts = []
    for unit in (cast.court_a, cast.county_a, cast.city):  # 0, 2 and 2 children (of different sizes)
        client.get(f"/stats/?unit={unit.id}&{q}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/stats/?unit={unit.id}&{q}").status_code == 200
        counts.append(len(queries))
    assert max(counts) - min(counts) <= 2, counts
    own = evaluate(world.ctx(cast.city_admin, cast.city, date_from=EVER[0], date_to=EVER[1]))[0]
    assert own["sessions"].value == ActivityRecord.objects.filter(campaign=world.campaign).count()


def test_child_table_links_every_figure_of_every_child(world, client_for):
    from html import escape

    from zhengdun.stats import registry

    cast = world.cast
    page = client_for(cast.city_admin).get(f"/stats/?unit={cast.city.id}&campaign={world.campaign.id}")
    html = page.content.decode()
    table = html[html.index('id="child-table"'):]
    ctx = world.ctx(cast.city_admin, cast.city)
    # the default range: from the campaign's start up to today
    page_ctx = ctx.__class__(ctx.scope, cast.city, world.campaign.start_date, world.today,
                             world.campaign, today=world.today)
    assert (page.context["ctx"].date_from, page.context["ctx"].date_to) == (page_ctx.date_from, page_ctx.date_to)
    for child in (cast.county_a, cast.county_b):
        assert f'<a href="?unit={child.id}&amp;from=' in table and escape(child.name) in table
        for figure in registry.FIGURES:
            assert f'href="{escape(figure.drilldown_url(page_ctx.with_unit(child)))}"' in table, (child.name, figure.key)
