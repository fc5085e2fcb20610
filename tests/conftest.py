"""Shared fixtures: a fixed cast of users across two counties (county A and county B) of one city."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengdun.org import idnumbers
from zhengdun.org.models import Level, Role, Unit, UnitKind, User
from zhengdun.org.services import officer_create, relative_create, unit_create, user_create

PASSWORD = "correct-horse-battery"


def make_id(region: str, birth: str, seq: int) -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + idnumbers.check_digit(body)


@dataclass
class Cast:
    city: Unit
    county_a: Unit
    county_b: Unit
    court_a: Unit
    police_a: Unit
    court_b: Unit
    users: dict
    officers: dict
    relatives: dict

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in the worker thread; every test starts in Chinese."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _checkpoints_in_tmp(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    settings.MEDIA_ROOT = tmp_path / "media"


def build_cast() -> Cast:
    city = unit_create(actor=None, parent=None, code="C1", name="测试市", level=Level.CITY,
                       kind=UnitKind.COMMITTEE, division_code="3601")
    county_a = unit_create(actor=None, parent=city, code="CA", name="甲县", level=Level.COUNTY,
                           kind=UnitKind.COMMITTEE, division_code="360101")
    county_b = unit_create(actor=None, parent=city, code="CB", name="乙县", level=Level.COUNTY,
                           kind=UnitKind.COMMITTEE, division_code="360102")
    court_a = unit_create(actor=None, parent=county_a, code="CAFY", name="甲县人民法院", level=Level.UNIT,
                          kind=UnitKind.COURT, division_code="360101")
    police_a = unit_create(actor=None, parent=county_a, code="CAGA", name="甲县公安局", level=Level.UNIT,
                           kind=UnitKind.POLICE, division_code="360101")
    court_b = unit_create(actor=None, parent=county_b, code="CBFY", name="乙县人民法院", level=Level.UNIT,
                          kind=UnitKind.COURT, division_code="360102")
    officers = {
        "judge_a": officer_create(actor=None, unit=court_a, id_number=make_id("360101", "19800101", 11),
                                  name="张审判", gender="M", birth_date=dt.date(1980, 1, 1), position="审判员"),
        "police_a": officer_create(actor=None, unit=police_a, id_number=make_id("360101", "19850505", 22),
                                   name="李警官", gender="F", birth_date=dt.date(1985, 5, 5), position="民警"),
        "judge_b": officer_create(actor=None, unit=court_b, id_number=make_id("360102", "19790303", 31),
                                  name="王法官", gender="M", birth_date=dt.date(1979, 3, 3), position="庭长"),
    }
    relatives = {
        "spouse_a": relative_create(actor=None, officer=officers["judge_a"], relation="spouse", name="赵配偶",
                                    id_number=make_id("360101", "19820202", 42), occupation="律师"),
        "child_b": relative_create(actor=None, officer=officers["judge_b"], relation="child", name="王子女",
                                   id_number=make_id("360102", "20050505", 51)),
    }
    specs = {
        "city_admin": [(Role.OFFICE_ADMIN, city)],
        "admin_a": [(Role.OFFICE_ADMIN, county_a)],
        "admin_b": [(Role.OFFICE_ADMIN, county_b)],
        "clerk_a": [(Role.UNIT_CLERK, court_a)],
        "officer_a": [(Role.OFFICER, court_a)],
        "supervisor_a": [(Role.SUPERVISOR, county_a)],
        "clue_handler": [(Role.CLUE_HANDLER, city)],
        "handler_a": [(Role.CLUE_HANDLER, county_a)],
        "sysadmin": [(Role.SYSADMIN, None)],
        "secadmin": [(Role.SECADMIN, None)],
        "auditor": [(Role.AUDITOR, None)],
    }
    users = {}
    for username, roles in specs.items():
        users[username] = user_create(actor=None, username=username, password=PASSWORD, roles=roles,
                                      officer=officers["judge_a"] if username == "officer_a" else None)
    users["officer_a"].refresh_from_db()
    return Cast(city, county_a, county_b, court_a, police_a, court_b, users, officers, relatives)


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


def login_as(client: Client, user: User) -> Client:
    """Sign a test client in, with a verified second factor where the role needs one."""
    client.force_login(user)
    from zhengdun.org.access import otp_required

    if otp_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(client):
    def make(user: User) -> Client:
        fresh = Client()
        return login_as(fresh, user)

    return make
