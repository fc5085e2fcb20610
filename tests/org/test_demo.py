"""The org demo city: its size, its accounts, and a second run that changes nothing."""

from zhengdun.audit.chain import verify
from zhengdun.audit.models import AuditEntry
from zhengdun.org.demo import CITY_CODE, CITY_UNITS, COUNTIES, COUNTY_UNITS, DEMO_ACCOUNTS, seed_demo
from zhengdun.org.models import Officer, Relative, RoleAssignment, Unit, User


def test_seed_demo_builds_the_city_once(db):
    first = seed_demo(officers_target=300)
    assert first["units"] == 1 + len(CITY_UNITS) + len(COUNTIES) * (1 + len(COUNTY_UNITS)) == 80
    assert 300 <= first["officers"] <= 400 and first["relatives"] > first["officers"]
    assert not Officer.objects.filter(id_number_hash="").exists()  # every officer carries an ID number
    assert Officer.objects.values("id_number_hash").distinct().count() == first["officers"]
    assert [a["username"] for a in first["accounts"]] == [name for name, *_rest in DEMO_ACCOUNTS]
    admins = [a for a in first["accounts"] if a["totp_secret"]]
    assert {a["username"] for a in admins} == {"sysadmin", "secadmin", "auditor"}
    assert User.objects.get(username="officer").officer.unit.code == f"{CITY_CODE}{COUNTIES[0][0]}FY"
    assert RoleAssignment.objects.count() == len(DEMO_ACCOUNTS)
    entries = AuditEntry.objects.count()
    assert seed_demo(officers_target=300) == first  # idempotent: found, nothing written
    assert AuditEntry.objects.count() == entries
    assert (Unit.objects.count(), Officer.objects.count(), Relative.objects.count()) == (
        first["units"], first["officers"], first["relatives"])
    assert verify().ok
