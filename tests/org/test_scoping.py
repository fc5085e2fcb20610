"""A county admin sees exactly its county's subtree; a unit clerk exactly its unit."""

import pytest
from django.core.exceptions import ValidationError

from zhengdun.org.access import scope_for
from zhengdun.org.models import Officer, Relative, Unit
from zhengdun.org.services import unit_create, unit_move


def visible_units(user):
    return set(Unit.objects.within(scope_for(user)).values_list("code", flat=True))


def visible_officers(user):
    return set(Officer.objects.within(scope_for(user)).values_list("name", flat=True))


def test_county_admin_sees_exactly_its_subtree(cast):
    assert visible_units(cast.admin_a) == {"CA", "CAFY", "CAGA"}
    assert visible_officers(cast.admin_a) == {"张审判", "李警官"}
    assert set(Relative.objects.within(scope_for(cast.admin_a)).values_list("name", flat=True)) == {"赵配偶"}


def test_other_county_admin_sees_only_theirs(cast):
    assert visible_units(cast.admin_b) == {"CB", "CBFY"}
    assert visible_officers(cast.admin_b) == {"王法官"}


def test_unit_clerk_sees_exactly_its_unit(cast):
    assert visible_units(cast.clerk_a) == {"CAFY"}
    assert visible_officers(cast.clerk_a) == {"张审判"}


def test_city_admin_sees_everything_below_the_city(cast):
    assert visible_units(cast.city_admin) == {"C1", "CA", "CB", "CAFY", "CAGA", "CBFY"}


def test_officer_sees_only_themself(cast):
    assert visible_officers(cast.officer_a) == {"张审判"}
    assert visible_units(cast.officer_a) == set()


def test_auditor_sees_no_units_or_people(cast):
    assert visible_units(cast.auditor) == set()
    assert visible_officers(cast.auditor) == set()
    assert Relative.objects.within(scope_for(cast.auditor)).count() == 0


def test_scope_filter_is_one_prefix_query(cast):
    sql = str(Officer.objects.within(scope_for(cast.admin_a)).query)
    assert "LIKE" in sql.upper() and "/C1/CA/%" in sql


def test_unit_path_prefix_does_not_leak_to_similar_codes(cast):
    # "CA" must not match a sibling coded "CAX": the path separator closes the prefix.
    unit_create(actor=None, parent=cast.city, code="CAX", name="丙县", level="county", kind="committee",
                division_code="360103")
    assert "CAX" not in visible_units(cast.admin_a)


def test_moving_a_subtree_keeps_paths_and_scopes_consistent(cast):
    unit_move(actor=cast.city_admin, unit=cast.court_a, new_parent=cast.county_b)
    court = Unit.objects.get(code="CAFY")
    assert court.path == "/C1/CB/CAFY/" and court.depth == 2 and court.parent_id == cast.county_b.id
    assert visible_officers(cast.admin_b) == {"王法官", "张审判"}
    assert visible_officers(cast.admin_a) == {"李警官"}


def test_moving_a_county_moves_its_descendants(cast):
    district = unit_create(actor=None, parent=cast.city, code="D9", name="新区", level="county",
                           kind="committee", division_code="360109")
    unit_move(actor=None, unit=cast.county_a, new_parent=district)
    assert Unit.objects.get(code="CAGA").path == "/C1/D9/CA/CAGA/"
    assert Unit.objects.get(code="CAGA").depth == 3


def test_a_unit_cannot_move_below_itself(cast):
    with pytest.raises(ValidationError):
        unit_move(actor=None, unit=cast.county_a, new_parent=cast.court_a)
