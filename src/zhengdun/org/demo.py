"""The demo campaign city: units, officers with declared relatives, and one account per role.

Deterministic (seeded) and idempotent: a second run finds the city and changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import random

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengdun.audit.chain import audited
from zhengdun.org import identity, idnumbers
from zhengdun.org.models import Level, Officer, Relative, Role, RoleAssignment, Unit, UnitKind, User

DEMO_PASSWORD = "zhengdun-demo"
CITY_CODE = "JZ"
CITY_DIVISION = "3690"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅林海燕晨宇浩然子轩欣怡思远佳慧志强文博雪婷俊杰晓东凯丹丹宁波春燕立新秋菊永刚振华"

COUNTIES = [("DC", "东城区", "01"), ("XC", "西城区", "02"), ("NH", "南湖区", "03"),
            ("BS", "北山县", "04"), ("QS", "青水县", "05"), ("LY", "临阳县", "06")]

CITY_UNITS = [("FY", "江州市中级人民法院", UnitKind.COURT), ("JCY", "江州市人民检察院", UnitKind.PROCURATORATE),
              ("GAJ", "江州市公安局", UnitKind.POLICE), ("AQJ", "江州市国家安全局", UnitKind.STATE_SECURITY),
              ("SFJ", "江州市司法局", UnitKind.JUSTICE), ("FXH", "江州市法学会", UnitKind.LAW_SOCIETY),
              ("JZB", "江州市教育整顿领导小组办公室", UnitKind.CAMPAIGN_OFFICE)]

COUNTY_UNITS = [("FY", "人民法院", UnitKind.COURT, 60), ("JCY", "人民检察院", UnitKind.PROCURATORATE, 40),
                ("GAJ", "公安分局", UnitKind.POLICE, 160), ("SFJ", "司法局", UnitKind.JUSTICE, 25),
                ("JZB", "教育整顿领导小组办公室", UnitKind.CAMPAIGN_OFFICE, 6),
                ("PCS1", "城关派出所", UnitKind.POLICE, 35), ("PCS2", "城南派出所", UnitKind.POLICE, 30),
                ("PCS3", "新区派出所", UnitKind.POLICE, 28), ("SFS1", "城关司法所", UnitKind.JUSTICE, 8),
                ("SFS2", "城南司法所", UnitKind.JUSTICE, 7), ("FT", "城郊人民法庭", UnitKind.COURT, 12)]

POSITIONS = {
    UnitKind.COURT: ["审判员", "法官助理", "书记员", "庭长", "副庭长", "执行员", "法警"],
    UnitKind.PROCURATORATE: ["检察官", "检察官助理", "书记员", "部门主任", "司法警察"],
    UnitKind.POLICE: ["民警", "副所长", "所长", "大队长", "中队长", "警务辅助人员"],
    UnitKind.JUSTICE: ["科员", "所长", "科长", "社区矫正专员"],
    UnitKind.STATE_SECURITY: ["侦查员", "科长"],
    UnitKind.LAW_SOCIETY: ["秘书长", "干事"],
    UnitKind.CAMPAIGN_OFFICE: ["主任", "副主任", "干事"],
    UnitKind.COMMITTEE: ["书记", "副书记", "科员"],
}

DEMO_ACCOUNTS = [
    ("city_admin", "市教整办管理员", Role.OFFICE_ADMIN, "city"),
    ("county_admin", "东城区教整办管理员", Role.OFFICE_ADMIN, "county"),
    ("unit_clerk", "东城区法院联络员", Role.UNIT_CLERK, "court"),
    ("officer", None, Role.OFFICER, "court"),
    ("supervisor", "市督导组成员", Role.SUPERVISOR, "county"),
    ("clue_handler", "市纪委监委线索核查员", Role.CLUE_HANDLER, "city"),
    ("sysadmin", "系统管理员", Role.SYSADMIN, None),
    ("secadmin", "安全保密管理员", Role.SECADMIN, None),
    ("auditor", "安全审计员", Role.AUDITOR, None),
]


def make_id_number(rng: random.Random, region: str, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + idnumbers.check_digit(body)


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def seed_demo(*, officers_target: int = 5000, seed: int = 2021) -> dict:
    """Build the demo city once; returns the accounts (and TOTP secrets) either way."""
    if not Unit.objects.filter(code=CITY_CODE).exists():
        with transaction.atomic(), audited(actor=None, action="demo.seed"):
            _build(random.Random(seed), officers_target)
    return {"accounts": _accounts_summary(), "units": Unit.objects.filter(path__startswith=f"/{CITY_CODE}/").count(),
            "officers": Officer.objects.count(), "relatives": Relative.objects.count()}


def _build(rng: random.Random, officers_target: int) -> None:
    city = _unit(None, CITY_CODE, "江州市", Level.CITY, UnitKind.COMMITTEE, CITY_DIVISION)
    units: list[tuple[Unit, int]] = []
    for code, name, kind in CITY_UNITS:
        units.append((_unit(city, f"{CITY_CODE}{code}", name, Level.UNIT, kind, CITY_DIVISION), 50))
    for ccode, cname, suffix in COUNTIES:
        county = _unit(city, f"{CITY_CODE}{ccode}", f"{cname}", Level.COUNTY, UnitKind.COMMITTEE,
                       CITY_DIVISION + suffix)
        for code, name, kind, weight in COUNTY_UNITS:
            units.append((_unit(county, f"{CITY_CODE}{ccode}{code}", f"{cname}{name}", Level.UNIT, kind,
                                CITY_DIVISION + suffix), weight))
    total_weight = sum(w for _u, w in units)
    officers: list[Officer] = []
    seen: set[str] = set()
    for unit, weight in units:
        for _ in range(max(3, round(officers_target * weight / total_weight))):
            officers.append(_officer(rng, unit, seen))
    Officer.objects.bulk_create(officers, batch_size=1000)
    officers = list(Officer.objects.filter(unit__path__startswith=city.path).select_related("unit"))
    relatives: list[Relative] = []
    for officer in officers:
        relatives.extend(_relatives(rng, officer, seen))
    Relative.objects.bulk_create(relatives, batch_size=1000)
    _create_accounts(city, officers)


def _unit(parent, code, name, level, kind, division) -> Unit:
    return Unit.objects.create(parent=parent, code=code, name=name, level=level, kind=kind, division_code=division,
                               path=(parent.path if parent else "/") + code + "/",
                               depth=(parent.depth + 1) if parent else 0)


def _person_fields(rng, region, birth, male, seen) -> dict:
    while True:
        number = make_id_number(rng, region, birth, male)
        if number not in seen:
            seen.add(number)
            break
        birth += dt.timedelta(days=1)
    return {"id_number_enc": identity.encrypt(number), "id_number_hash": identity.lookup_hash(number),
            "id_number_masked": idnumbers.mask(number)}, birth


def _officer(rng, unit, seen) -> Officer:
    male = rng.random() < 0.68
    birth = dt.date(rng.randint(1966, 1999), rng.randint(1, 12), rng.randint(1, 28))
    fields, birth = _person_fields(rng, unit.division_code.ljust(6, "0")[:6], birth, male, seen)
    position = rng.choice(POSITIONS.get(unit.kind, ["科员"]))
    category = "auxiliary" if position == "警务辅助人员" else rng.choices(["officer", "other"], [95, 5])[0]
    status = rng.choices(["serving", "seconded", "retired", "departed"], [95, 2, 2, 1])[0]
    left = None
    if status in ("retired", "departed"):
        left = dt.date.today() - dt.timedelta(days=rng.randint(60, 1500))
    return Officer(unit=unit, name=random_name(rng), gender="M" if male else "F", birth_date=birth,
                   position=position, category=category,
                   party=rng.choices(["cpc", "probationary", "league", "masses"], [80, 3, 7, 10])[0],
                   status=status, left_date=left, **fields)


def _relatives(rng, officer, seen) -> list[Relative]:
    result, names = [], set()
    plan = []
    if officer.birth_date.year < 1995 and rng.random() < 0.85:
        plan.append(("spouse", officer.birth_date + dt.timedelta(days=rng.randint(-1500, 1500))))
    if officer.birth_date.year < 1990:
        for _ in range(rng.choice([0, 1, 1, 2])):
            plan.append(("child", dt.date(officer.birth_date.year + rng.randint(24, 34), rng.randint(1, 12),
                                          rng.randint(1, 28))))
    if rng.random() < 0.4:
        plan.append(("parent", dt.date(officer.birth_date.year - rng.randint(22, 32), rng.randint(1, 12),
                                       rng.randint(1, 28))))
    if rng.random() < 0.3:
        plan.append(("sibling", officer.birth_date + dt.timedelta(days=rng.randint(-2500, 2500))))
    occupations = ["教师", "医生", "个体经营", "企业职员", "公务员", "律师", "退休", "学生", "自由职业"]
    for relation, birth in plan:
        name = random_name(rng)
        if (relation, name) in names:
            continue
        names.add((relation, name))
        fields = {}
        if birth.year < 2008 or rng.random() < 0.5:
            fields, birth = _person_fields(rng, officer.unit.division_code.ljust(6, "0")[:6], birth,
                                           rng.random() < 0.5, seen)
        occupation = "学生" if birth.year > 2003 else rng.choice(occupations)
        result.append(Relative(officer=officer, unit_id=officer.unit_id, relation=relation, name=name,
                               work_unit="" if occupation in {"退休", "学生", "自由职业"} else f"江州市某{occupation}单位",
                               occupation=occupation, **fields))
    return result


def _create_accounts(city: Unit, officers: list[Officer]) -> None:
    county = Unit.objects.get(code=f"{CITY_CODE}{COUNTIES[0][0]}")
    court = Unit.objects.get(code=f"{CITY_CODE}{COUNTIES[0][0]}FY")
    anchors = {"city": city, "county": county, "court": court, None: None}
    court_officer = next(o for o in officers if o.unit_id == court.id and o.status == "serving")
    for username, display, role, anchor in DEMO_ACCOUNTS:
        user = User(username=username, display_name=display or court_officer.name)
        user.set_password(DEMO_PASSWORD)
        user.save()
        RoleAssignment.objects.create(user=user, role=role, unit=anchors[anchor])
        if role == Role.OFFICER:
            Officer.objects.filter(pk=court_officer.pk).update(user=user)
        if role in {Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}:
            TOTPDevice.objects.create(user=user, name="演示动态口令", confirmed=True)


def _accounts_summary() -> list[dict]:
    rows = []
    for username, _display, role, _anchor in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        unit = RoleAssignment.objects.filter(user=user).select_related("unit").first()
        rows.append({"username": username, "password": DEMO_PASSWORD, "role": str(Role(role).label),
                     "unit": unit.unit.name if unit and unit.unit else "—",
                     "totp_secret": base64.b32encode(device.bin_key).decode() if device else ""})
    return rows
