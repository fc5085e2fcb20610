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
    other_city = unit_create(actor=None, parent=None, code="D9", name="新市", level="city",
                             kind="committee", division_code="3609")
    unit_move(actor=None, unit=cast.county_a, new_parent=other_city)
    assert Unit.objects.get(code="CA").path == "/D9/CA/" and Unit.objects.get(code="CA").depth == 1
    assert Unit.objects.get(code="CAGA").path == "/D9/CA/CAGA/"
    assert Unit.objects.get(code="CAGA").depth == 2


def test_a_unit_cannot_move_below_itself(cast):
    with pytest.raises(ValidationError) as excinfo:
        unit_move(actor=None, unit=cast.county_a, new_parent=cast.county_a)
    assert "不能把单位移动到它自己或它的下级单位之下" in str(excinfo.value)
    with pytest.raises(ValidationError):
        unit_move(actor=None, unit=cast.city, new_parent=cast.court_a)


@pytest.mark.parametrize("parent", ["court_a", "county_a"])
def test_a_unit_cannot_move_below_a_unit_of_its_level_or_lower(cast, parent):
    """Moving a county below a basic unit would leave a "county" at depth 3, below a court."""
    with pytest.raises(ValidationError) as excinfo:
        unit_move(actor=cast.city_admin, unit=cast.county_b, new_parent=getattr(cast, parent))
    assert "级别" in " ".join(excinfo.value.messages)
    assert Unit.objects.get(code="CB").path == "/C1/CB/" and Unit.objects.get(code="CBFY").depth == 2


def test_a_basic_unit_may_move_below_a_basic_unit(cast):
    """A tribunal below its court, a police station below its bureau."""
    unit_move(actor=cast.admin_a, unit=cast.police_a, new_parent=cast.court_a)
    assert Unit.objects.get(code="CAGA").path == "/C1/CA/CAFY/CAGA/"


def test_unit_create_checks_the_level_of_the_parent(cast):
    with pytest.raises(ValidationError) as excinfo:
        unit_create(actor=None, parent=cast.county_a, code="CAX2", name="丙县", level="county", kind="committee",
                    division_code="360103")
    assert "上级单位的级别必须高于本单位" in " ".join(excinfo.value.messages)
    with pytest.raises(ValidationError):
        unit_create(actor=None, parent=cast.court_a, code="CAX3", name="县", level="county", kind="committee",
                    division_code="360103")


def test_sysadmin_keeps_the_unit_tree_but_reads_no_people(cast):
    """三员分立: the system administrator manages accounts and units, not personal data."""
    scope = scope_for(cast.sysadmin)
    assert visible_units(cast.sysadmin) == {"C1", "CA", "CB", "CAFY", "CAGA", "CBFY"}
    assert visible_officers(cast.sysadmin) == set()
    assert Relative.objects.within(scope).count() == 0
    assert not scope.can_unmask and not scope.can_write_unit(cast.court_a)
    unit = unit_create(actor=cast.sysadmin, parent=cast.county_b, code="CBGA", name="乙县公安局", level="unit",
                       kind="police", division_code="360102")
    unit_move(actor=cast.sysadmin, unit=unit, new_parent=cast.county_a)
    assert Unit.objects.get(code="CBGA").path == "/C1/CA/CBGA/"


def test_id_unmask_roles_setting_never_reaches_the_administrators(cast, settings):
    settings.ID_UNMASK_ROLES = ["sysadmin", "supervisor"]
    assert scope_for(cast.supervisor_a).can_unmask
    assert not scope_for(cast.sysadmin).can_unmask
    assert not scope_for(cast.admin_a).can_unmask
