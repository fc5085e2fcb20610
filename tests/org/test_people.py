import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import make_id
from zhengdun.audit.models import AuditEntry
from zhengdun.org import identity
from zhengdun.org.models import Officer, Relative
from zhengdun.org.services import officer_create, officer_update, person_reveal_id


def test_id_number_is_encrypted_hashed_and_masked(cast):
    officer = cast.officers["judge_a"]
    plain = make_id("360101", "19800101", 11)
    stored = Officer.objects.get(pk=officer.pk)
    assert plain not in stored.id_number_enc
    assert stored.id_number_masked == plain[:6] + "********" + plain[-4:]
    assert stored.id_number_hash == identity.lookup_hash(plain)
    assert stored.reveal_id_number() == plain


def test_lookup_hash_is_keyed_not_a_plain_hash(settings):
    import hashlib

    number = make_id("360101", "19800101", 11)
    first = identity.lookup_hash(number)
    assert first != hashlib.sha256(number.encode()).hexdigest()
    settings.ID_HMAC_KEY = b"k" * 32
    assert identity.lookup_hash(number) != first


def test_duplicate_id_number_is_refused(cast):
    with pytest.raises(ValidationError, match="已登记"):
        officer_create(actor=None, unit=cast.court_a, id_number=make_id("360101", "19800101", 11),
                       name="重复", gender="M", birth_date="1980-01-01")


def test_bad_id_number_is_refused_with_reason_and_nothing_saved(cast):
    before = Officer.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        officer_create(actor=None, unit=cast.court_a, id_number="360101198001010000",
                       name="错误", gender="M", birth_date="1980-01-01")
    assert "校验位" in str(excinfo.value)
    assert Officer.objects.count() == before


def test_reveal_is_allowed_to_unmask_roles_and_audited(cast):
    officer = cast.officers["judge_a"]
    number = person_reveal_id(actor=cast.clue_handler, person=officer)
    assert number == make_id("360101", "19800101", 11)
    entry = AuditEntry.objects.filter(action="person.reveal_id").latest("id")
    assert entry.actor_name == "clue_handler" and entry.object_id == str(officer.pk) and entry.op == "read"


@pytest.mark.parametrize("who", ["clerk_a", "supervisor_a", "sysadmin", "officer_a"])
def test_reveal_is_refused_to_other_roles(cast, who):
    with pytest.raises(PermissionDenied):
        person_reveal_id(actor=cast.users[who], person=cast.officers["judge_a"])
    assert not AuditEntry.objects.filter(action="person.reveal_id").exists()


def test_moving_an_officer_moves_the_scope_of_their_relatives(cast):
    officer = officer_update(actor=cast.city_admin, officer=cast.officers["judge_a"], unit=cast.court_b)
    assert set(Relative.objects.filter(officer=officer).values_list("unit_id", flat=True)) == {cast.court_b.id}


def test_clerk_cannot_write_outside_their_unit(cast):
    with pytest.raises(PermissionDenied):
        officer_update(actor=cast.clerk_a, officer=cast.officers["judge_b"], position="x")


def test_an_officer_needs_an_id_number(cast):
    """Without one the first officer used to be saved with an empty hash and the second refused as
    "already registered"; now both are refused with the real reason."""
    before = Officer.objects.count()
    for name in ("无证甲", "无证乙"):
        with pytest.raises(ValidationError) as excinfo:
            officer_create(actor=cast.admin_a, unit=cast.court_a, id_number="", name=name, gender="M",
                           birth_date="1980-01-01")
        assert excinfo.value.message_dict == {"id_number": ["请填写干警的身份证号"]}
    assert Officer.objects.count() == before
    with pytest.raises(ValidationError, match="请填写干警的身份证号"):
        officer_update(actor=cast.admin_a, officer=cast.officers["judge_a"], id_number="  ")
    assert Officer.objects.get(pk=cast.officers["judge_a"].pk).id_number_hash


def test_a_relative_may_be_declared_without_an_id_number(cast):
    from zhengdun.org.services import relative_create

    relative = relative_create(actor=cast.admin_a, officer=cast.officers["judge_a"], relation="parent", name="张父")
    assert relative.id_number_hash == "" and relative.pk


def test_the_system_administrator_writes_no_people(cast):
    from zhengdun.org.services import relative_create

    with pytest.raises(PermissionDenied):
        officer_create(actor=cast.sysadmin, unit=cast.court_a, id_number=make_id("360101", "19900101", 71),
                       name="新人", gender="M", birth_date="1990-01-01")
    with pytest.raises(PermissionDenied):
        officer_update(actor=cast.sysadmin, officer=cast.officers["judge_a"], position="x")
    with pytest.raises(PermissionDenied):
        relative_create(actor=cast.sysadmin, officer=cast.officers["judge_a"], relation="parent", name="张父")


def test_the_system_administrator_reads_no_people_pages(cast, client_for):
    client = client_for(cast.sysadmin)
    officer = cast.officers["judge_a"]
    assert client.get("/org/people/").status_code == 403
    assert client.get(f"/org/people/{officer.id}/").status_code == 403
    assert client.get(f"/org/units/{cast.court_a.id}/").status_code == 200
    assert not AuditEntry.objects.filter(action="person.view_relatives").exists()
