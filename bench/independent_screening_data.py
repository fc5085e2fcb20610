#!/usr/bin/env python3
"""A screening data set written independently of the engine's own generator, from the contract
(shared/formats/screening.md) only, to check that the engine is not tuned to its generator.
It deliberately shares no code with the engine (its own check digits, masking, 15-digit forms and
traditional characters), so that a mistake in the engine's helpers cannot hide in the truth.

    python bench/independent_screening_data.py DATA
    zhengdun screen DATA/csv --out hits.csv --as-of 2026-06-30
    zhengdun screen-score DATA/truth.csv hits.csv

Writes DATA/csv/*.csv, DATA/parquet/*.parquet, DATA/truth.csv, DATA/params.json and, for analysis
only, DATA/hidden/* (true identity of every record and the corruption applied to it). Truth is
computed by applying the contract rules to the hidden identities. A small name pool and many
planted same-name, same-birth-date strangers make it harder than chance would. Results: docs/screening.md.
"""
# ruff: noqa: E741, E731, B905  (a one-off data script: short names as in its formulas)
import datetime as dt
import json
import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20260630
AS_OF = dt.date(2026, 6, 30)
if len(sys.argv) != 2:
    sys.exit("usage: python bench/independent_screening_data.py DATA_DIR")
OUT = sys.argv[1]
N_OFFICERS = 5000
N_RELATIVES = 20000
N_ENT_ROWS = 400000
N_LAWYERS = 5000
N_CASES = 60000

rng = np.random.default_rng(SEED)

PARAMS = {
    "seed": SEED, "as_of": AS_OF.isoformat(),
    "sizes": dict(officers=N_OFFICERS, relatives=N_RELATIVES, enterprise_rows=N_ENT_ROWS,
                  lawyers=N_LAWYERS, cases=N_CASES),
    # ID renderings (probabilities; legacy15 only if born 19xx, lowerx only if check digit X)
    "officer_id_forms": {"full": .80, "lowerx": .04, "legacy15": .06, "spaced": .04, "fullwidth": .03, "empty": .03},
    "relative_id_forms": {"full": .66, "lowerx": .03, "legacy15": .06, "spaced": .04, "fullwidth": .03, "empty": .18},
    "lawyer_id_forms": {"full": .78, "lowerx": .03, "legacy15": .04, "spaced": .02, "fullwidth": .01, "empty": .12},
    "enterprise_id_forms": {"full": .50, "lowerx": .03, "legacy15": .05, "masked": .25, "badcheck": .06,
                            "empty": .07, "spaced": .02, "fullwidth": .02},
    "birth_date_empty": {"officer": .08, "relative": .15, "lawyer": .10},
    # name renderings (per record)
    "name_forms": {"plain": .80, "trad": .10, "space": .04, "fwspace": .03, "edge_space": .03},
    "minority_dot_variant": .10,   # '•' or '・' instead of '·'
    "name_pool": "small: 24 weighted surnames (+4 compound) x 30 given characters, 1 or 2 given chars; 3% minority X·Y names",
    "officer_jurisdiction_levels": {"2": .30, "4": .35, "6": .35},
    "officer_id_zero_padded_digits": .15,
    "departed_rate": .09,
    "planted": {},
}

# --------------------------------------------------------------------------- IDs
W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHK = "10X98765432"


def check_digit(s17):
    return CHK[sum(int(c) * w for c, w in zip(s17, W)) % 11]


def valid18(s):
    return len(s) == 18 and s[:17].isdigit() and check_digit(s[:17]) == s[17]


PROVS = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
         '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65']
FOCUS = ['44', '33', '51', '32']
CITIES = {p: [p + f"{c:02d}" for c in range(1, 9)] for p in PROVS}
COUNTIES = {c: [c + f"{k:02d}" for k in range(1, 11)] for p in PROVS for c in CITIES[p]}
ALL_COUNTIES = [k for c in COUNTIES for k in COUNTIES[c]]
FOCUS_COUNTIES = [k for k in ALL_COUNTIES if k[:2] in FOCUS]


def county_in(prefix):
    cands = [k for k in (FOCUS_COUNTIES if prefix[:2] in FOCUS else ALL_COUNTIES) if k.startswith(prefix)]
    return cands[rng.integers(len(cands))]


def county_out(prefix):
    while True:
        k = FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))] if rng.random() < .7 else \
            ALL_COUNTIES[rng.integers(len(ALL_COUNTIES))]
        if not k.startswith(prefix):
            return k


# --------------------------------------------------------------------------- names
SURN = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋")
SURN_W = np.array([10, 10, 9, 8, 7, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2], float)
SURN_W /= SURN_W.sum()
COMPOUND = ["欧阳", "司马", "诸葛", "上官"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚华国红东龙飞兰云辉庆")
UY = ["买买提", "艾力", "阿不都", "吐尔逊", "阿依古丽", "古丽娜尔", "热依拉", "迪丽拜尔", "努尔", "艾合买提"]
TRAD = dict(zip("陈刘张国华伟黄赵吴杨孙郑罗谢马军丽红东龙飞兰云辉庆强涛杰刚艳静欧阳诸买热尔逊",
                "陳劉張國華偉黃趙吳楊孫鄭羅謝馬軍麗紅東龍飛蘭雲輝慶強濤傑剛豔靜歐陽諸買熱爾遜"))


def new_name(surname=None):
    r = rng.random()
    if surname is None and r < .03:
        return UY[rng.integers(len(UY))] + "·" + UY[rng.integers(len(UY))]
    if surname is None:
        surname = COMPOUND[rng.integers(4)] if rng.random() < .02 else SURN[rng.choice(len(SURN), p=SURN_W)]
    if len(surname) == 2:
        n = 2
    else:
        n = 1 if rng.random() < .30 else 2
    return surname + "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=n))


def pick(forms):
    k = list(forms)
    return k[rng.choice(len(k), p=np.array(list(forms.values())) / sum(forms.values()))]


def render_name(name):
    form = pick(PARAMS["name_forms"])
    out = name
    if "·" in name and rng.random() < PARAMS["minority_dot_variant"]:
        out = out.replace("·", "•" if rng.random() < .5 else "・")
        form = "dotvar" if form == "plain" else form + "+dotvar"
    if form.startswith("trad"):
        t = "".join(TRAD.get(c, c) for c in out)
        if t == out:
            form = form.replace("trad", "plain")
        out = t
    elif form.startswith("space") or form.startswith("fwspace"):
        sp = " " if form.startswith("space") else "\u3000"
        if "·" in out or "•" in out or "・" in out:
            out = out.replace("·", sp + "·" + sp, 1) if "·" in out else sp.join([out[:2], out[2:]])
        else:
            cut = 2 if out[:2] in COMPOUND else 1
            out = out[:cut] + sp + out[cut:]
    elif form.startswith("edge_space"):
        out = [" " + out, out + " ", "\u3000" + out, out + "\u3000"][rng.integers(4)]
    return out, form


FW = str.maketrans("0123456789", "０１２３４５６７８９")


def render_id(id18, forms):
    form = pick(forms)
    yy = id18[6:8]
    if form == "legacy15" and yy != "19":
        form = "full"
    if form == "lowerx" and id18[-1] != "X":
        form = "full"
    if form == "full":
        return id18, form
    if form == "lowerx":
        return id18[:-1] + "x", form
    if form == "legacy15":
        return id18[:6] + id18[8:17], form
    if form == "masked":
        return id18[:6] + "*" * 8 + id18[-4:], form
    if form == "empty":
        return "", form
    if form == "spaced":
        v = rng.integers(3)
        return [id18[:6] + " " + id18[6:14] + " " + id18[14:], " " + id18, id18 + " "][v], form
    if form == "fullwidth":
        return id18.translate(FW), form
    if form == "badcheck":
        pos = int(rng.integers(18))
        s = list(id18)
        if pos == 17:
            s[17] = rng.choice([c for c in CHK if c != id18[17]])
        else:
            s[pos] = str((int(s[pos]) + 1 + rng.integers(9)) % 10)
        out = "".join(s)
        assert not valid18(out)
        return out, form + f"@{pos}"
    raise ValueError(form)


# --------------------------------------------------------------------------- persons
PERSONS = []      # pid -> dict(name, birth, id18, kind)
USED_IDS = set()


def d2s(d):
    return d.isoformat()


def rand_date(lo, hi):
    a, b = lo.toordinal(), hi.toordinal()
    return dt.date.fromordinal(int(rng.integers(a, b + 1)))


def new_person(kind, birth=None, region=None, name=None, surname=None, lo=1950, hi=2003):
    if birth is None:
        birth = rand_date(dt.date(lo, 1, 1), dt.date(hi, 12, 31))
    if region is None:
        region = ALL_COUNTIES[rng.integers(len(ALL_COUNTIES))] if rng.random() < .5 else \
            FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))]
    if name is None:
        name = new_name(surname)
    while True:
        s17 = region + birth.strftime("%Y%m%d") + f"{int(rng.integers(1000)):03d}"
        id18 = s17 + check_digit(s17)
        if id18 not in USED_IDS:
            USED_IDS.add(id18)
            break
    PERSONS.append(dict(pid=len(PERSONS), kind=kind, name=name, birth=birth, id18=id18))
    return len(PERSONS) - 1


def clamp_date(y, m=None, d=None):
    y = int(min(max(y, 1930), 2024))
    return rand_date(dt.date(y, 1, 1), dt.date(y, 12, 31))


# --------------------------------------------------------------------------- officers
ROLES = ["judge", "prosecutor", "police", "justice", "committee", "other"]
ROLE_P = [.30, .20, .30, .08, .06, .06]
officers = []
for i in range(N_OFFICERS):
    prov = FOCUS[rng.integers(len(FOCUS))]
    lvl = pick(PARAMS["officer_jurisdiction_levels"])
    city = CITIES[prov][rng.integers(8)]
    jur = prov if lvl == "2" else city if lvl == "4" else COUNTIES[city][rng.integers(10)]
    born_region = county_in(prov) if rng.random() < .7 else None
    pid = new_person("officer", region=born_region, lo=1962, hi=1998)
    role = ROLES[rng.choice(6, p=ROLE_P)]
    departed = rng.random() < PARAMS["departed_rate"]
    oid = f"{i + 1:07d}" if rng.random() < PARAMS["officer_id_zero_padded_digits"] else f"JC{i + 1:05d}"
    left = rand_date(dt.date(2018, 1, 1), dt.date(2026, 6, 29)) if departed else None
    officers.append(dict(officer_id=oid, pid=pid, jurisdiction=jur, role=role,
                         departed=departed, left_date=left,
                         unit_code=f"{jur}{'J' if role == 'judge' else 'P' if role == 'prosecutor' else 'G'}{int(rng.integers(100)):02d}"))
O = pd.DataFrame(officers)

# --------------------------------------------------------------------------- relatives
REL_MEAN = {"spouse": .85, "child": 1.4, "child_spouse": .30, "parent": 1.6, "sibling": .5}
rels = []
for o in officers:
    p = PERSONS[o["pid"]]
    by = p["birth"].year
    sur = p["name"][:2] if p["name"][:2] in COMPOUND else (p["name"][0] if "·" not in p["name"] else None)
    n_sp = int(rng.random() < REL_MEAN["spouse"])
    n_ch = int(rng.poisson(REL_MEAN["child"]))
    n_pa = int(min(2, rng.poisson(REL_MEAN["parent"])))
    n_si = int(rng.poisson(REL_MEAN["sibling"]))
    for _ in range(n_sp):
        rels.append((o["officer_id"], "spouse", new_person("relative", birth=clamp_date(by + rng.integers(-5, 6)))))
    kids = []
    for _ in range(n_ch):
        k = new_person("relative", birth=clamp_date(by + rng.integers(22, 36)), surname=sur)
        kids.append(k)
        rels.append((o["officer_id"], "child", k))
    for k in kids:
        if PERSONS[k]["birth"].year < 2000 and rng.random() < .6:
            rels.append((o["officer_id"], "child_spouse",
                         new_person("relative", birth=clamp_date(PERSONS[k]["birth"].year + rng.integers(-3, 4)))))
    for j in range(n_pa):
        rels.append((o["officer_id"], "parent",
                     new_person("relative", birth=clamp_date(by - rng.integers(20, 36)), surname=sur if j == 0 else None)))
    for _ in range(n_si):
        rels.append((o["officer_id"], "sibling",
                     new_person("relative", birth=clamp_date(by + rng.integers(-8, 9)), surname=sur)))
# officers who are relatives of other officers: spouse pairs and sibling pairs sharing a parent
serving_idx = O.index[~O.departed].to_numpy()
pairs = rng.choice(serving_idx, size=(60, 2), replace=False)
for a, b in pairs[:40]:
    rels.append((O.officer_id[a], "spouse", int(O.pid[b])))
for a, b in pairs[40:]:
    rels.append((O.officer_id[a], "sibling", int(O.pid[b])))
    rels.append((O.officer_id[b], "sibling", int(O.pid[a])))
    par = [r for r in rels if r[0] == O.officer_id[a] and r[1] == "parent"]
    if par:
        rels.append((O.officer_id[b], "parent", par[0][2]))
R = pd.DataFrame(rels, columns=["officer_id", "relation", "pid"])
if len(R) > N_RELATIVES:
    keep = np.sort(rng.choice(len(R), N_RELATIVES, replace=False))
    R = R.iloc[keep].reset_index(drop=True)
PARAMS["planted"]["relatives_rows"] = len(R)
OFF_BY_ID = O.set_index("officer_id")

# --------------------------------------------------------------------------- registries
ENT_STATUS = {"active": .75, "revoked": .13, "cancelled": .12}
ENT_STATUS_RENDER = {"active": ["active", "Active", " ACTIVE", "active ", "ACTIVE"],
                     "revoked": ["revoked", "Revoked", "REVOKED "], "cancelled": ["cancelled", "Cancelled", " CANCELLED"]}
ENT_ROLES = ["shareholder", "legal_rep", "director", "supervisor", "manager"]
CC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
used_cc = set()
ENT_WORDS = list("华信达通源鑫泰恒盛宏远联创新科隆昌瑞丰兴")
ENT_SUFFIX = ["科技有限公司", "贸易有限公司", "建设工程有限公司", "商贸有限责任公司", "投资咨询有限公司", "餐饮管理有限公司"]


def new_cc(region):
    while True:
        cc = "91" + region + "".join(CC_CHARS[i] for i in rng.integers(len(CC_CHARS), size=10))
        if cc not in used_cc:
            used_cc.add(cc)
            return cc


enterprises = []   # dict(credit_code, name, region, status, ent_kind)
ent_rows = []      # (ent_idx, pid, role, plant_tag)


def add_enterprise(region, status=None, kind="filler"):
    status = status or pick(ENT_STATUS)
    enterprises.append(dict(credit_code=new_cc(region), region=region, status=status, kind=kind,
                            name="".join(ENT_WORDS[i] for i in rng.integers(len(ENT_WORDS), size=2)) +
                            ENT_SUFFIX[rng.integers(len(ENT_SUFFIX))]))
    return len(enterprises) - 1


def plant_in_enterprise(pid, region, tag, status=None, n_filler=None):
    e = add_enterprise(region, status, kind=tag)
    role = ENT_ROLES[rng.integers(5)]
    ent_rows.append((e, pid, role, tag))
    if rng.random() < .3:  # same person in two roles of the same enterprise
        ent_rows.append((e, pid, [r for r in ENT_ROLES if r != role][rng.integers(4)], tag))
    for _ in range(int(rng.integers(0, 4)) if n_filler is None else n_filler):
        ent_rows.append((e, new_person("registry"), ENT_ROLES[rng.integers(5)], "filler"))
    return e


# officers in enterprises (serving and departed)
serv = O[~O.departed]
dep = O[O.departed]
for _, o in serv.sample(220, random_state=1).iterrows():
    for _ in range(int(rng.integers(1, 3))):
        reg = county_in(o.jurisdiction) if rng.random() < .5 else county_out(o.jurisdiction)
        plant_in_enterprise(int(o.pid), reg, "officer")
for _, o in dep.sample(60, random_state=2).iterrows():
    plant_in_enterprise(int(o.pid), county_in(o.jurisdiction), "officer_departed")

# relatives in enterprises, inside/outside jurisdiction
Rsel = R.sample(1100, random_state=3)
for _, r in Rsel.iterrows():
    o = OFF_BY_ID.loc[r.officer_id]
    for _ in range(int(rng.integers(1, 3))):
        inside = rng.random() < .6
        reg = county_in(o.jurisdiction) if inside else county_out(o.jurisdiction)
        plant_in_enterprise(int(r.pid), reg, "relative_" + ("in" if inside else "out"))

# lawyers
LAW_STATUS_RENDER = {"practising": ["practising", "Practising", " PRACTISING", "practising ", "PRACTISING"],
                     "suspended": ["suspended", "Suspended", "SUSPENDED "], "revoked": ["revoked", "Revoked"]}
lawyers = []   # dict(pid, region, status, tag)


def add_lawyer(pid, region, status, tag):
    lawyers.append(dict(pid=pid, region=region, status=status, tag=tag))
    return len(lawyers) - 1


rel_lawyers = []
for _, r in R.sample(450, random_state=4).iterrows():
    o = OFF_BY_ID.loc[r.officer_id]
    inside = rng.random() < .6
    st = pick({"practising": .75, "suspended": .15, "revoked": .10})
    li = add_lawyer(int(r.pid), county_in(o.jurisdiction) if inside else county_out(o.jurisdiction), st,
                    "relative_" + ("in" if inside else "out"))
    rel_lawyers.append((r.officer_id, li))

# departed judges/prosecutors/police as lawyers, left_date around the boundary
BOUND = dt.date(AS_OF.year - 2, AS_OF.month, AS_OF.day)   # 2024-06-30: exactly two years
dep_jpp = O[O.departed & O.role.isin(["judge", "prosecutor", "police"])].sample(250, random_state=5)
special = ([BOUND] * 12 + [BOUND + dt.timedelta(days=1)] * 12 + [BOUND - dt.timedelta(days=1)] * 12 + [AS_OF] * 3)
for k, (idx, o) in enumerate(dep_jpp.iterrows()):
    ld = special[k] if k < len(special) else rand_date(dt.date(2022, 1, 1), dt.date(2026, 6, 29))
    O.at[idx, "left_date"] = ld
    st = "practising" if rng.random() < .82 else "suspended"
    add_lawyer(int(o.pid), FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))], st, "departed")
for _, o in serv.sample(25, random_state=6).iterrows():   # serving officers with a lawyer record: no rule
    add_lawyer(int(o.pid), county_in(o.jurisdiction), "practising", "officer_serving")

# same-name strangers
PARAMS["planted"]["stranger_kinds"] = {"same_bd": .35, "same_r6": .30, "same_r6_bd": .20, "name_only": .15}
targets = []
for _, o in serv.sample(500, random_state=7).iterrows():
    targets.append((int(o.pid), o.jurisdiction))
for _, r in R[R.relation.isin(["spouse", "child", "child_spouse"])].sample(900, random_state=8).iterrows():
    targets.append((int(r.pid), OFF_BY_ID.loc[r.officer_id].jurisdiction))
for _, o in O[O.departed & O.role.isin(["judge", "prosecutor"])].sample(120, random_state=9).iterrows():
    targets.append((int(o.pid), "LAW"))
stranger_of = {}
for tpid, jur in targets:
    t = PERSONS[tpid]
    kind = pick(PARAMS["planted"]["stranger_kinds"])
    reg6 = t["id18"][:6]
    if kind == "same_bd":
        s = new_person("stranger_" + kind, birth=t["birth"], region=county_out(reg6), name=t["name"])
    elif kind == "same_r6":
        s = new_person("stranger_" + kind, region=reg6, name=t["name"])
    elif kind == "same_r6_bd":
        s = new_person("stranger_" + kind, birth=t["birth"], region=reg6, name=t["name"])
    else:
        s = new_person("stranger_" + kind, name=t["name"])
    stranger_of[s] = tpid
    if jur == "LAW":
        add_lawyer(s, FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))], "practising", "stranger")
    elif rng.random() < .7:
        plant_in_enterprise(s, county_in(jur), "stranger", status="active")
    else:
        add_lawyer(s, county_in(jur), "practising", "stranger")

# filler lawyers
while len(lawyers) < N_LAWYERS:
    add_lawyer(new_person("lawyer", lo=1955, hi=2000), FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))]
               if rng.random() < .6 else ALL_COUNTIES[rng.integers(len(ALL_COUNTIES))],
               pick({"practising": .85, "suspended": .08, "revoked": .07}), "filler")
PARAMS["planted"]["lawyer_tags"] = pd.Series([l["tag"] for l in lawyers]).value_counts().to_dict()

# filler enterprises; some registry persons recur across enterprises
recurring = []
while len(ent_rows) < N_ENT_ROWS:
    reg = FOCUS_COUNTIES[rng.integers(len(FOCUS_COUNTIES))] if rng.random() < .5 else \
        ALL_COUNTIES[rng.integers(len(ALL_COUNTIES))]
    e = add_enterprise(reg)
    for _ in range(int(rng.integers(1, 6))):
        if recurring and rng.random() < .15:
            pid = recurring[rng.integers(len(recurring))]
        else:
            pid = new_person("registry")
            if rng.random() < .05:
                recurring.append(pid)
        ent_rows.append((e, pid, ENT_ROLES[rng.integers(5)], "filler"))
ent_rows = ent_rows[:N_ENT_ROWS]
PARAMS["planted"]["enterprise_row_tags"] = pd.Series([t for *_, t in ent_rows]).value_counts().to_dict()

# --------------------------------------------------------------------------- render files
P = pd.DataFrame(PERSONS)


def person_cols(pid, id_forms, bd_empty, allow_both_empty=True):
    p = PERSONS[pid]
    name, nform = render_name(p["name"])
    idn, iform = render_id(p["id18"], id_forms)
    bd = "" if rng.random() < bd_empty else d2s(p["birth"])
    if not allow_both_empty and idn == "" and bd == "":
        bd = d2s(p["birth"])
    return name, idn, bd, nform, iform


OFF_STATUS = {False: ["", "", "serving", "serving", "Serving", " SERVING "], True: ["departed", "departed", "Departed", "DEPARTED "]}
roster, roster_h = [], []
for o in O.itertuples():
    name, idn, bd, nf, idf = person_cols(o.pid, PARAMS["officer_id_forms"], PARAMS["birth_date_empty"]["officer"],
                                         allow_both_empty=False)
    st = OFF_STATUS[o.departed][rng.integers(len(OFF_STATUS[o.departed]))]
    roster.append(dict(officer_id=o.officer_id, name=name, id_number=idn, birth_date=bd, unit_code=o.unit_code,
                       jurisdiction=o.jurisdiction, role=o.role, status=st,
                       left_date=d2s(o.left_date) if o.departed else ""))
    roster_h.append(dict(officer_id=o.officer_id, pid=o.pid, name_form=nf, id_form=idf, bd_empty=bd == ""))
REL_RENDER = lambda r: [r, r, r, r, r, r, r, r, r.upper(), r.upper(), r.upper(), r.capitalize(), " " + r + " "]
relatives, relatives_h = [], []
for i, r in enumerate(R.itertuples()):
    name, idn, bd, nf, idf = person_cols(r.pid, PARAMS["relative_id_forms"], PARAMS["birth_date_empty"]["relative"])
    rr = REL_RENDER(r.relation)
    relatives.append(dict(officer_id=r.officer_id, relation=rr[rng.integers(len(rr))], name=name, id_number=idn,
                          birth_date=bd))
    relatives_h.append(dict(row=i, officer_id=r.officer_id, relation=r.relation, pid=r.pid, name_form=nf,
                            id_form=idf, bd_empty=bd == ""))
E = pd.DataFrame(enterprises)
ent_out, ent_h = [], []
for i, (e, pid, role, tag) in enumerate(ent_rows):
    en = enterprises[e]
    name, nf = render_name(PERSONS[pid]["name"])
    idn, idf = render_id(PERSONS[pid]["id18"], PARAMS["enterprise_id_forms"])
    sr = ENT_STATUS_RENDER[en["status"]]
    ent_out.append(dict(credit_code=en["credit_code"], enterprise_name=en["name"], region_code=en["region"],
                        status=sr[rng.integers(len(sr))], person_name=name, person_id_number=idn,
                        person_role=role, share_ratio=f"{rng.uniform(.01, 1):.2f}" if role == "shareholder" else ""))
    ent_h.append(dict(row=i, credit_code=en["credit_code"], pid=pid, status=en["status"], region=en["region"],
                      tag=tag, name_form=nf, id_form=idf))
order = rng.permutation(len(ent_out))
ent_out = [ent_out[i] for i in order]
law_out, law_h = [], []
used_lic = set()
for i, l in enumerate(lawyers):
    while True:
        lic = "1" + l["region"][:4] + str(rng.integers(2000, 2026)) + "1" + f"{int(rng.integers(10**7)):07d}"
        if lic not in used_lic:
            used_lic.add(lic)
            break
    l["license_no"] = lic
    name, idn, bd, nf, idf = person_cols(l["pid"], PARAMS["lawyer_id_forms"], PARAMS["birth_date_empty"]["lawyer"])
    sr = LAW_STATUS_RENDER[l["status"]]
    law_out.append(dict(license_no=lic, name=name, id_number=idn, birth_date=bd,
                        firm_name="".join(ENT_WORDS[j] for j in rng.integers(len(ENT_WORDS), size=2)) + "律师事务所",
                        firm_region_code=l["region"], status=sr[rng.integers(len(sr))]))
    law_h.append(dict(row=i, license_no=lic, pid=l["pid"], status=l["status"], region=l["region"], tag=l["tag"],
                      name_form=nf, id_form=idf, bd_empty=bd == ""))
L = pd.DataFrame(law_h)

# cases: random + planted (handler's relative represents a party); some cases with 2 rows
PROV_ABBR = {"44": "粤", "33": "浙", "51": "川", "32": "苏"}
handlers = O[O.role.isin(["judge", "prosecutor", "police"])].officer_id.to_numpy()
cases = []
case_no = [0]


def new_case_id(jur):
    case_no[0] += 1
    return f"({rng.integers(2019, 2027)}){PROV_ABBR.get(jur[:2], '京')}{(jur + '0000')[:4]}" \
           f"{['民初', '刑初', '行初', '民终', '执'][rng.integers(5)]}{case_no[0]}号"


n_planted = 0
for oid, li in rel_lawyers:
    if rng.random() < .7:
        for _ in range(int(rng.integers(1, 3))):
            cid = new_case_id(OFF_BY_ID.loc[oid].jurisdiction)
            cases.append((cid, oid, lawyers[li]["license_no"]))
            n_planted += 1
            if rng.random() < .2:
                cases.append((cid, oid, lawyers[rng.integers(len(lawyers))]["license_no"]))
PARAMS["planted"]["case_rows_relative_lawyer"] = n_planted
while len(cases) < N_CASES:
    oid = handlers[rng.integers(len(handlers))]
    cid = new_case_id(OFF_BY_ID.loc[oid].jurisdiction)
    lic = lawyers[rng.integers(len(lawyers))]["license_no"] if rng.random() > .02 else ""
    cases.append((cid, oid, lic))
    if rng.random() < .1 and len(cases) < N_CASES:
        cases.append((cid, handlers[rng.integers(len(handlers))] if rng.random() < .5 else oid,
                      lawyers[rng.integers(len(lawyers))]["license_no"]))
C = pd.DataFrame(cases, columns=["case_id", "handler_officer_id", "lawyer_license_no"]).sample(frac=1, random_state=10)

# --------------------------------------------------------------------------- write
os.makedirs(f"{OUT}/csv", exist_ok=True)
os.makedirs(f"{OUT}/parquet", exist_ok=True)
os.makedirs(f"{OUT}/hidden", exist_ok=True)
tables = {
    "roster": pd.DataFrame(roster),
    "relatives": pd.DataFrame(relatives),
    "enterprises": pd.DataFrame(ent_out),
    "lawyers": pd.DataFrame(law_out),
    "cases": C.reset_index(drop=True),
}
for stem, df in tables.items():
    df = df.astype(str)
    df.to_csv(f"{OUT}/csv/{stem}.csv", index=False, encoding="utf-8-sig" if stem == "roster" else "utf-8")
    # parquet: all string columns, empty values as nulls
    arr = {c: pa.array([None if v == "" else v for v in df[c]], type=pa.string()) for c in df.columns}
    pq.write_table(pa.table(arr), f"{OUT}/parquet/{stem}.parquet")

P.assign(birth=P.birth.astype(str)).to_csv(f"{OUT}/hidden/persons.csv", index=False)
pd.DataFrame(roster_h).to_csv(f"{OUT}/hidden/roster_hidden.csv", index=False)
pd.DataFrame(relatives_h).to_csv(f"{OUT}/hidden/relatives_hidden.csv", index=False)
EH = pd.DataFrame(ent_h)
EH.to_csv(f"{OUT}/hidden/enterprises_hidden.csv", index=False)
L.to_csv(f"{OUT}/hidden/lawyers_hidden.csv", index=False)
pd.DataFrame([dict(stranger=k, target=v) for k, v in stranger_of.items()]).to_csv(
    f"{OUT}/hidden/strangers.csv", index=False)

# --------------------------------------------------------------------------- truth from identities
Os = O.assign(serving=~O.departed)
RH = pd.DataFrame(relatives_h)
near = ["spouse", "child", "child_spouse"]
truth = []
# officer_business
t = Os[Os.serving].merge(EH[EH.status == "active"], on="pid")
truth.append(pd.DataFrame(dict(rule="officer_business", officer_id=t.officer_id, subject="officer",
                               registry="enterprises", record_key=t.credit_code)))
# relative_business
rr = RH[RH.relation.isin(near)].merge(Os[Os.serving][["officer_id", "jurisdiction"]], on="officer_id")
t = rr.merge(EH[EH.status == "active"], on="pid")
t = t[[r.startswith(j) for r, j in zip(t.region, t.jurisdiction)]]
truth.append(pd.DataFrame(dict(rule="relative_business", officer_id=t.officer_id, subject=t.relation,
                               registry="enterprises", record_key=t.credit_code)))
# relative_lawyer
t = rr.merge(L[L.status == "practising"], on="pid")
t = t[[r.startswith(j) for r, j in zip(t.region, t.jurisdiction)]]
truth.append(pd.DataFrame(dict(rule="relative_lawyer", officer_id=t.officer_id, subject=t.relation,
                               registry="lawyers", record_key=t.license_no)))
# case_conflict (serving handler, any relation, any lawyer status)
t = C.merge(Os[Os.serving][["officer_id"]], left_on="handler_officer_id", right_on="officer_id")
t = t.merge(L[["license_no", "pid"]], left_on="lawyer_license_no", right_on="license_no")
t = t.merge(RH[["officer_id", "relation", "pid"]], on=["officer_id", "pid"])
truth.append(pd.DataFrame(dict(rule="case_conflict", officer_id=t.officer_id, subject=t.relation,
                               registry="cases", record_key=t.case_id)))
# departed_lawyer: departed judge/prosecutor, practising, left_date > as_of - 2 years
d = Os[Os.departed & Os.role.isin(["judge", "prosecutor"])]
d = d[[ld > BOUND for ld in d.left_date]]
t = d.merge(L[L.status == "practising"], on="pid")
truth.append(pd.DataFrame(dict(rule="departed_lawyer", officer_id=t.officer_id, subject="officer",
                               registry="lawyers", record_key=t.license_no)))
T = pd.concat(truth).drop_duplicates().sort_values(["rule", "officer_id", "record_key", "subject"])
T.to_csv(f"{OUT}/truth.csv", index=False)
PARAMS["truth_counts"] = T.rule.value_counts().to_dict()
PARAMS["file_rows"] = {k: len(v) for k, v in tables.items()}
PARAMS["boundary_date"] = BOUND.isoformat()
with open(f"{OUT}/params.json", "w") as f:
    json.dump(PARAMS, f, ensure_ascii=False, indent=1, default=str)
print(json.dumps(PARAMS, ensure_ascii=False, indent=1, default=str))
