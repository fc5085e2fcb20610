"""Every figure of the registry equals the size of its drill-down list (numerator and denominator for
rates), for several subtrees, ranges and campaign choices, on data with decoys."""

import pytest

from zhengdun.campaigns.models import ActionCompletion
from zhengdun.stats import registry
from zhengdun.stats.registry import FIGURES, count_records, evaluate
from zhengdun.stats.selectors import PairList


def keys(items) -> set:
    """What a drill-down list lists: officers by id, completions and expected pairs by (action, unit)."""
    if isinstance(items, PairList):
        return {(p.action.id, p.unit.id) for p in items[:]}
    if items.model is ActionCompletion:
        return set(items.values_list("action_id", "unit_id"))
    return set(items.values_list("pk", flat=True))


def check_all(ctx):
    own, rows, snap = evaluate(ctx)
    checked = 0
    for figure in registry.figures_for(ctx):
        for unit, values in [(ctx.unit, own), *rows]:
            c = ctx.with_unit(unit)
            v = values[figure.key]
            if figure.is_rate:
                assert v.numerator == count_records(figure, c, "numerator"), (figure.key, unit.name, "numerator")
                assert v.denominator == count_records(figure, c, "denominator"), (figure.key, unit.name, "den")
                # numerator ⊆ denominator: a rate never exceeds 100 %
                numerator, denominator = keys(figure.numerator(c)), keys(figure.denominator(c))
                assert numerator <= denominator, (figure.key, unit.name)
                if figure.uncovered:
                    uncovered = keys(figure.uncovered(c))
                    assert len(uncovered) == count_records(figure, c, "uncovered") == v.denominator - v.numerator, (
                        figure.key, unit.name, "uncovered")
                    assert not uncovered & numerator, (figure.key, unit.name)
                    assert uncovered | numerator == denominator, (figure.key, unit.name)
            else:
                assert v.value == count_records(figure, c), (figure.key, unit.name, v.value)
            checked += 1
    return own, snap, checked


@pytest.mark.parametrize("campaign", ["main", None])
@pytest.mark.parametrize("unit_name", ["city", "county_a", "court_a"])
def test_every_figure_equals_its_drilldown(world, unit_name, campaign):
    cast = world.cast
    unit = getattr(cast, unit_name)
    ctx = world.ctx(cast.city_admin, unit, campaign=campaign)
    own, snap, checked = check_all(ctx)
    assert checked >= len(FIGURES)
    assert snap.live_fallbacks  # the narrow range starts after some records: counted live


def test_full_window_uses_the_rollups_only(world):
    cast = world.cast
    ctx = world.ctx(cast.city_admin, cast.city, date_from=world.campaign.start_date,
                    date_to=world.campaign.end_date)
    own, snap, _ = check_all(ctx)
    assert snap.live_fallbacks == []


def test_known_values_for_county_a(world):
    cast = world.cast
    own, _rows, _snap = evaluate(world.ctx(cast.city_admin, cast.county_a))
    assert own["sessions"].value == 5  # 4 roster activities in range + the head-count one
    assert own["person_times"].value == 2 + 1 + 2 + 2 + 30
    # participants in range: judge_a, a2, police_a, aux; roster (officer category): judge_a, police_a, a2, a3.
    # The auxiliary is not on the campaign's roster: 3 of 4 covered, a3 uncovered.
    assert (own["coverage"].numerator, own["coverage"].denominator) == (3, 4)
    uncovered = registry.BY_KEY["coverage"].uncovered(world.ctx(cast.city_admin, cast.county_a))
    assert [o.name for o in uncovered] == ["甲三"]
    assert own["study_times"].value == 4
    assert (own["exam_rate"].numerator, own["pass_rate"].numerator) == (2, 1)
    assert own["talks"].value == 3
    assert own["pledges"].value == 1
    assert own["returned"].value == 0
    assert own["completion"].numerator == 3


def test_breakdowns_drill_down(world):
    cast = world.cast
    base = world.ctx(cast.city_admin, cast.city)
    for key, type_, cat in [("sessions", "training", ""), ("sessions", "", "warning"), ("person_times", "open_day", ""),
                            ("study_times", "self", ""), ("talks", "1", ""), ("talks", "", "reminder")]:
        figure = registry.BY_KEY[key]
        ctx = base.with_filter(type=type_, cat=cat)
        own, _rows, _ = evaluate(ctx, with_children=False)
        assert own[key].value == count_records(figure, ctx) > 0, (key, type_, cat)


def test_talk_figures_only_for_office_admins(world):
    cast = world.cast
    ctx = world.ctx(cast.supervisor_a, cast.county_a)
    own, _rows, _ = evaluate(ctx)
    assert "talks" not in own
    check_all(ctx)
