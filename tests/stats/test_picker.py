"""The unit picker offers the top of the user's reach, the level below it, the chosen unit's
ancestors in reach and its children: the same units as a depth filter over the whole reach."""

from __future__ import annotations

import dataclasses

from django.db.models import Q

from zhengdun.org.access import scope_for
from zhengdun.org.services import unit_create
from zhengdun.stats import selectors


def reference(scope, unit) -> list[int]:
    reach = selectors.stats_units(scope=scope)
    top = reach.order_by("depth").values_list("depth", flat=True).first() or 0
    q = Q(depth__lte=top + 1) | Q(path__in=selectors.ancestor_paths(unit.path)) | Q(parent=unit)
    return list(reach.filter(q).order_by("path").values_list("id", flat=True)[:300])


def scopes(cast):
    yield "city_admin", scope_for(cast.city_admin)
    yield "admin_a", scope_for(cast.admin_a)
    yield "supervisor_a", scope_for(cast.supervisor_a)
    yield "clerk_a", scope_for(cast.clerk_a)
    # two anchors at different depths (a county and a unit of the other county), and everything
    yield "two anchors", dataclasses.replace(scope_for(cast.admin_a),
                                             subtree_paths=(cast.county_a.path, cast.court_b.path))
    yield "everything", dataclasses.replace(scope_for(cast.city_admin), everything=True)


def test_picker_units_match_the_depth_definition(cast):
    unit_create(actor=cast.admin_a, parent=cast.county_a, code="CAXZ", name="甲县某乡政法委",
                level=cast.court_a.level, kind="committee", division_code=cast.county_a.division_code)
    checked = 0
    for who, scope in scopes(cast):
        units = list(selectors.stats_units(scope=scope))
        assert units, who
        for unit in units:
            got = [u.id for u in selectors.picker_units(scope=scope, unit=unit)]
            assert got and got == reference(scope, unit), (who, unit.name)
            checked += 1
    assert checked > 20
