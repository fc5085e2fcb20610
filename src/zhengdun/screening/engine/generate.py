"""Synthetic screening data in the contract's format, with planted conflicts and a truth file.

Vectorised with numpy/pyarrow so the province scale (20M enterprise rows) takes
seconds, not hours. Every registry row carries a hidden "true person" key while
generating; truth.csv is computed by applying the five rules to those true
identities (not to what the files show), so it also counts conflicts whose
registry record is corrupted, masked or has a missing ID.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time

import numpy as np

from .normalize import CHECK_CHARS, ID_WEIGHTS, s2t_char_map

SCALES = {
    "tiny": dict(officers=300, enterprise_rows=20_000, lawyers=150, cases=3_000),
    "small": dict(officers=2_000, enterprise_rows=200_000, lawyers=500, cases=20_000),
    "city": dict(officers=10_000, enterprise_rows=1_000_000, lawyers=2_500, cases=100_000),
    "province": dict(officers=200_000, enterprise_rows=20_000_000, lawyers=50_000, cases=2_000_000),
}
RELATIVES_PER_OFFICER = 4

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉鹏飞云龙凤晓东国海波宁斌宇浩凯健俊帆"
             "帅旭亮成志新荣欣佳颖琳雪梅莉倩婷慧丹蕾薇璐晨阳鑫嘉睿轩子涵梓诗雨思博瑞泽锦德贤庆义礼智信忠孝仁"
             "爱民春夏秋冬山川林森松柏桥梁宏伦坤鸿权武斌锋胜利彬钢铁金银铭锐馨怡悦乐宝贵福禄寿喜顺达发财广远")
ROLES = np.array(["judge", "prosecutor", "police", "justice", "committee", "other"])
ROLE_P = [0.25, 0.2, 0.25, 0.1, 0.1, 0.1]
PERSON_ROLES = np.array(["shareholder", "legal_rep", "director", "supervisor", "manager"])
PERSON_ROLE_P = [0.4, 0.2, 0.15, 0.15, 0.1]
MAIN_PROVINCE = 44
OTHER_PROVINCES = [11, 31, 32, 33, 51]
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def _log(msg: str, t0: float) -> None:
    print(f"[gen] {msg} ({time.time() - t0:.1f}s)", file=sys.stderr, flush=True)


class Gen:
    def __init__(self, seed: int, as_of: datetime.date):
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        main = [MAIN_PROVINCE * 10000 + c * 100 + d for c in range(1, 21) for d in range(2, 17)]
        other = [p * 10000 + c * 100 + d for p in OTHER_PROVINCES for c in range(1, 4) for d in range(1, 6)]
        self.main_counties = np.array(main, dtype=np.int64)
        self.other_counties = np.array(other, dtype=np.int64)
        sw = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
        self.sur_p = sw / sw.sum()
        gw = 1.0 / np.arange(1, len(GIVEN) + 1) ** 0.6
        self.giv_p = gw / gw.sum()

    # ---------------------------------------------------------------- primitives
    def names(self, n: int, surname_idx: np.ndarray | None = None, arrow: bool = False):
        import pyarrow as pa
        import pyarrow.compute as pc

        rng = self.rng
        s = surname_idx if surname_idx is not None else rng.choice(len(SURNAMES), n, p=self.sur_p)
        g1 = rng.choice(len(GIVEN), n, p=self.giv_p)
        g2 = rng.choice(len(GIVEN) + 1, n, p=np.r_[self.giv_p * 0.75, 0.25])
        giv2 = pa.array(GIVEN + [""])
        out = pc.binary_join_element_wise(pa.array(SURNAMES).take(pa.array(s)), pa.array(GIVEN).take(pa.array(g1)),
                                          giv2.take(pa.array(g2)), "")
        return out if arrow else out.to_numpy(zero_copy_only=False).astype(object)

    def counties(self, n: int, p_main: float = 0.9) -> np.ndarray:
        rng = self.rng
        main = rng.random(n) < p_main
        out = np.where(main, self.main_counties[rng.integers(0, len(self.main_counties), n)],
                       self.other_counties[rng.integers(0, len(self.other_counties), n)])
        return out

    def births(self, n: int, y0: int, y1: int) -> np.ndarray:
        start = np.datetime64(f"{y0}-01-01")
        span = (np.datetime64(f"{y1}-12-31") - start).astype(int)
        return start + self.rng.integers(0, span, n).astype("timedelta64[D]")

    def ids(self, region: np.ndarray, birth: np.ndarray, seq_lo: int, seq_hi: int) -> np.ndarray:
        """Valid 18-digit IDs as an object array of str."""
        return self.ids_arrow(region, birth, seq_lo, seq_hi).to_numpy(zero_copy_only=False).astype(object)

    def ids_arrow(self, region: np.ndarray, birth: np.ndarray, seq_lo: int, seq_hi: int):
        n = len(region)
        d = birth.astype("datetime64[D]")
        y = d.astype("datetime64[Y]")
        m = d.astype("datetime64[M]")
        ymd_int = ((y.astype(np.int64) + 1970) * 10000 + ((m - y.astype("datetime64[M]")).astype(np.int64) + 1) * 100
                   + (d - m.astype("datetime64[D]")).astype(np.int64) + 1)
        seq = self.rng.integers(seq_lo, seq_hi, n)
        id17 = region.astype(np.int64) * 10**11 + ymd_int * 1000 + seq
        return self._finish(id17)

    @staticmethod
    def _finish(id17: np.ndarray):
        import pyarrow as pa
        import pyarrow.compute as pc

        total = np.zeros(len(id17), dtype=np.int64)
        rest = id17.copy()
        for w in reversed(ID_WEIGHTS):
            total += (rest % 10) * w
            rest //= 10
        chk = pa.array(list(CHECK_CHARS)).take(pa.array(total % 11))
        return pc.binary_join_element_wise(pc.cast(pa.array(id17), pa.string()), chk, "")

    def unique_ids(self, region, birth, seq_lo, seq_hi) -> np.ndarray:
        ids = self.ids(region, birth, seq_lo, seq_hi)
        for _ in range(20):
            _, first = np.unique(ids.astype("U18"), return_index=True)
            dup = np.ones(len(ids), bool)
            dup[first] = False
            if not dup.any():
                break
            ids[dup] = self.ids(region[dup], birth[dup], seq_lo, seq_hi)
        return ids

    # ---------------------------------------------------------------- corruptions (small subsets)
    def id_variant(self, id18: str, kind: str) -> str:
        rng = self.rng
        if kind == "legacy" and id18[6:8] == "19":
            return id18[:6] + id18[8:17]
        if kind == "spaces":
            if rng.random() < 0.5:
                return id18[:6] + " " + id18[6:14] + " " + id18[14:]
            return id18.translate(FW)
        if kind == "lower":
            return id18.lower() if id18.endswith("X") else " " + id18 + " "
        if kind == "masked":
            return id18[:6] + "********" + id18[14:]
        if kind == "invalid":
            from .normalize import check_digit

            for _ in range(20):
                pos = int(rng.integers(0, 17))
                d = str((int(id18[pos]) + int(rng.integers(1, 10))) % 10)
                bad = id18[:pos] + d + id18[pos + 1:]
                if check_digit(bad[:17]) != bad[17] and bad[6:8] in ("19", "20"):
                    return bad
            return id18[:6] + "********" + id18[14:]
        if kind == "empty":
            return ""
        return id18

    def name_variant(self, name: str, kind: str) -> str:
        if kind == "trad":
            m = s2t_char_map()
            return "".join(m.get(c, c) for c in name)
        if kind == "space":
            return name[0] + " " + name[1:]
        if kind == "fwspace":
            return name[0] + "\u3000" + name[1:]
        return name

    def pick(self, n: int, kinds: list[str], p: list[float]) -> np.ndarray:
        return self.rng.choice(np.array(kinds), n, p=np.array(p) / sum(p))


def generate(out_dir: str, scale: str = "small", *, fmt: str = "csv", seed: int = 7,
             as_of: datetime.date | None = None, formats: tuple[str, ...] | None = None) -> dict:
    import pyarrow as pa
    import pyarrow.compute as pc

    t0 = time.time()
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; one of {', '.join(SCALES)}")
    as_of = as_of or datetime.date.today()
    cfg = SCALES[scale]
    g = Gen(seed, as_of)
    rng = g.rng
    n_o = cfg["officers"]
    n_r = n_o * RELATIVES_PER_OFFICER

    # ------------------------------------------------------------ officers
    off_id = np.char.add("O", np.char.zfill(np.arange(1, n_o + 1).astype(str), 7)).astype(object)
    off_birth = g.births(n_o, 1960, 1998)
    off_region = g.counties(n_o, 0.95)
    off_true = g.unique_ids(off_region, off_birth, 0, 500)
    jkind = rng.choice(3, n_o, p=[0.1, 0.3, 0.6])
    home = g.main_counties[rng.integers(0, len(g.main_counties), n_o)]
    juris = np.where(jkind == 0, (home // 10000).astype(str),
                     np.where(jkind == 1, (home // 100).astype(str), home.astype(str))).astype(object)
    role = rng.choice(ROLES, n_o, p=ROLE_P)
    departed = rng.random(n_o) < 0.06
    status = np.where(departed, "departed", np.where(rng.random(n_o) < 0.5, "", "serving")).astype(object)
    left_days = rng.integers(10, 5 * 365, n_o)
    left = (np.datetime64(as_of.isoformat()) - left_days.astype("timedelta64[D]")).astype(str).astype(object)
    left[~departed] = ""
    # avoid a left_date exactly on the two-year boundary day (keeps truth unambiguous)
    off_name = g.names(n_o)
    # ------------------------------------------------------------ relatives
    rel_off = np.repeat(np.arange(n_o), RELATIVES_PER_OFFICER)
    slot = np.tile(np.arange(RELATIVES_PER_OFFICER), n_o)
    extra = rng.choice(np.array(["child", "child_spouse", "sibling", "parent"]), n_r, p=[0.3, 0.3, 0.2, 0.2])
    relation = np.where(slot == 0, "spouse", np.where(slot == 1, "child", np.where(slot == 2, "parent", extra)))
    ob_year = off_birth[rel_off].astype("datetime64[Y]").astype(int) + 1970
    lo = np.select([relation == "spouse", relation == "child", relation == "child_spouse", relation == "parent"],
                   [ob_year - 5, ob_year + 22, ob_year + 20, ob_year - 35], ob_year - 10)
    yrs = np.clip(lo + rng.integers(0, 10, n_r), 1925, 2012)
    rel_birth = (yrs - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(0, 365, n_r).astype(
        "timedelta64[D]")
    rel_region = g.counties(n_r, 0.9)
    rel_true = g.unique_ids(rel_region, rel_birth, 0, 500)
    # one ID must not be shared by an officer and a relative
    off_set = set(off_true.tolist())
    clash = np.fromiter((x in off_set for x in rel_true), bool, len(rel_true))
    while clash.any():
        rel_true[clash] = g.ids(rel_region[clash], rel_birth[clash], 0, 500)
        clash = np.fromiter((x in off_set for x in rel_true), bool, len(rel_true)) | _dups(rel_true)
    sur_idx = rng.choice(len(SURNAMES), n_r, p=g.sur_p)
    off_sur = np.array([SURNAMES.index(n[0]) for n in off_name])
    sur_idx = np.where(relation == "child", off_sur[rel_off], sur_idx)
    rel_name = g.names(n_r, sur_idx)
    _log("people", t0)

    # declared forms (roster / relatives files)
    def declared_ids(true_ids, p_empty):
        n = len(true_ids)
        kinds = g.pick(n, ["exact", "legacy", "lower", "spaces", "empty"], [0.93 - p_empty, 0.03, 0.02, 0.02, p_empty])
        out = true_ids.copy()
        for i in np.nonzero(kinds != "exact")[0]:
            out[i] = g.id_variant(true_ids[i], kinds[i])
        return out

    def declared_names(names, p_space=0.03, p_trad=0.02, p_fw=0.01):
        kinds = g.pick(len(names), ["same", "space", "trad", "fwspace"], [1 - p_space - p_trad - p_fw, p_space, p_trad, p_fw])
        out = names.copy()
        for i in np.nonzero(kinds != "same")[0]:
            out[i] = g.name_variant(names[i], kinds[i])
        return out

    off_decl_id = declared_ids(off_true, 0.02)
    rel_decl_id = declared_ids(rel_true, 0.06)
    off_bd = off_birth.astype(str).astype(object)
    off_bd[rng.random(n_o) < 0.3] = ""
    rel_bd = rel_birth.astype(str).astype(object)
    rel_bd[(rng.random(n_r) < 0.15) & (rel_decl_id != "")] = ""
    roster = {
        "officer_id": off_id, "name": declared_names(off_name), "id_number": off_decl_id, "birth_date": off_bd,
        "unit_code": np.char.add("U", juris.astype(str)).astype(object), "jurisdiction": juris, "role": role.astype(object),
        "status": status, "left_date": left,
    }
    relatives = {
        "officer_id": off_id[rel_off], "relation": relation.astype(object), "name": declared_names(rel_name),
        "id_number": rel_decl_id, "birth_date": rel_bd,
    }
    # universe of our people: 0..n_o-1 officers, n_o.. relatives
    p_name = np.concatenate([off_name, rel_name])
    p_true = np.concatenate([off_true, rel_true])
    p_birth = np.concatenate([off_birth, rel_birth]).astype(str).astype(object)
    p_off = np.concatenate([np.arange(n_o), rel_off])
    p_subject = np.concatenate([np.full(n_o, "officer", dtype=object), relation.astype(object)])

    # ------------------------------------------------------------ planted enterprise rows
    def inside_region(off_idx: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """A 6-digit county inside (or outside) each officer's jurisdiction."""
        out = np.empty(len(off_idx), dtype=np.int64)
        for k, (oi, ins) in enumerate(zip(off_idx, inside, strict=True)):
            j = juris[oi]
            cands = g.main_counties[np.char.startswith(g.main_counties.astype(str), j)]
            if ins:
                out[k] = cands[rng.integers(0, len(cands))]
            else:
                pool = g.main_counties[~np.char.startswith(g.main_counties.astype(str), j)]
                if len(pool) == 0 or rng.random() < 0.4:
                    pool = g.other_counties
                out[k] = pool[rng.integers(0, len(pool))]
        return out

    po = np.nonzero(rng.random(n_o) < 0.015)[0]                   # officers with a business role
    pr = n_o + np.nonzero(rng.random(n_r) < 0.04)[0]              # relatives with a business role
    planted_p = np.concatenate([po, pr, po[rng.random(len(po)) < 0.3]])
    n_pl = len(planted_p)
    pl_status = rng.choice(np.array(["active", "revoked", "cancelled"]), n_pl, p=[0.8, 0.1, 0.1]).astype(object)
    pl_region = inside_region(p_off[planted_p], rng.random(n_pl) < 0.6)
    pl_idkind = g.pick(n_pl, ["exact", "legacy", "spaces", "lower", "masked", "invalid"],
                       [0.6, 0.08, 0.05, 0.02, 0.15, 0.05])
    pl_ids = np.array([g.id_variant(p_true[p], k) for p, k in zip(planted_p, pl_idkind, strict=True)], dtype=object)
    pl_nkind = g.pick(n_pl, ["same", "trad", "space", "fwspace"], [0.8, 0.12, 0.05, 0.03])
    pl_names = np.array([g.name_variant(p_name[p], k) for p, k in zip(planted_p, pl_nkind, strict=True)], dtype=object)
    # same-name strangers (decoys) next to our people, inside the jurisdiction
    dp = rng.choice(n_o + n_r, max(1, (n_o + n_r) // 50), replace=False)
    n_dc = len(dp)
    dc_region = inside_region(p_off[dp], np.ones(n_dc, bool))
    dc_birth = g.births(n_dc, 1950, 2005)
    dc_valid = g.ids(dc_region, dc_birth, 500, 1000)
    dc_kind = g.pick(n_dc, ["valid", "masked_other", "empty"], [0.5, 0.3, 0.2])
    dc_ids = dc_valid.copy()
    for i in range(n_dc):
        if dc_kind[i] == "masked_other":
            t = p_true[dp[i]]
            last4 = t[14:]
            other = f"{(int(t[14:17]) + int(rng.integers(1, 999))) % 1000:03d}" + t[17]
            dc_ids[i] = t[:6] + "********" + (other if other != last4 else "0000")
        elif dc_kind[i] == "empty":
            dc_ids[i] = ""
    dc_names = np.array([g.name_variant(p_name[p], "trad" if rng.random() < 0.2 else "same") for p in dp], dtype=object)
    _log(f"planted {n_pl} enterprise rows, {n_dc} same-name decoys", t0)

    # ------------------------------------------------------------ background enterprise rows
    n_bg = max(0, cfg["enterprise_rows"] - n_pl - n_dc)
    bg_region = g.counties(n_bg, 0.9)
    bg_birth = g.births(n_bg, 1950, 2000)
    bg_ids = g.ids_arrow(bg_region, bg_birth, 500, 1000)
    bkind = rng.choice(6, n_bg, p=[0.75, 0.12, 0.04, 0.05, 0.02, 0.02])
    bg_ids = _vector_id_kinds(bg_ids, bkind, rng, arrow=True)
    bg_names = g.names(n_bg, arrow=True)
    _log(f"background {n_bg} enterprise rows", t0)

    n_ent_rows = n_pl + n_dc + n_bg
    e_region = np.concatenate([pl_region, dc_region, bg_region])
    e_pname = pa.concat_arrays([pa.array(pl_names, pa.string()), pa.array(dc_names, pa.string()), bg_names])
    e_pid = pa.concat_arrays([pa.array(pl_ids, pa.string()), pa.array(dc_ids, pa.string()), bg_ids])
    e_true = np.concatenate([planted_p, np.full(n_dc + n_bg, -1)])
    role_idx = rng.choice(len(PERSON_ROLES), n_ent_rows, p=PERSON_ROLE_P)
    e_role = _dict(role_idx, PERSON_ROLES)
    st_names = np.array(["active", "revoked", "cancelled"])
    pl_st_idx = np.array([list(st_names).index(x) for x in pl_status], dtype=np.int64)
    st_idx = np.concatenate([pl_st_idx, np.zeros(n_dc, np.int64), rng.choice(3, n_bg, p=[0.75, 0.1, 0.15])])
    e_status = st_names[st_idx]
    n_ent = max(1, n_ent_rows * 2 // 5)
    e_idx = rng.integers(0, n_ent, n_ent_rows)
    e_idx[: n_pl + n_dc] = np.arange(n_pl + n_dc) + n_ent  # planted/decoy rows get their own enterprise
    region_s = pc.cast(pa.array(e_region), pa.string())
    ent_key = pc.utf8_lpad(pc.cast(pa.array(e_idx), pa.string()), 10, "0")
    credit_a = pc.binary_join_element_wise("91", region_s, ent_key, "")
    credit = credit_a.slice(0, n_pl + n_dc).to_numpy(zero_copy_only=False)
    share = pc.cast(pa.array(np.round(rng.random(n_ent_rows) * 0.99 + 0.01, 2)), pa.string())
    share = pc.if_else(pa.array(role_idx == 0), share, pa.scalar(""))
    enterprise_name = pc.binary_join_element_wise(region_s, "-", ent_key, "号有限公司", "")
    enterprises = {
        "credit_code": credit_a, "enterprise_name": enterprise_name, "region_code": region_s,
        "status": _dict(st_idx, st_names), "person_name": e_pname, "person_id_number": e_pid,
        "person_role": e_role, "share_ratio": share,
    }
    _log("enterprises assembled", t0)

    # ------------------------------------------------------------ lawyers
    dep_jp = np.nonzero(departed & np.isin(role, ["judge", "prosecutor"]))[0]
    law_off = dep_jp[rng.random(len(dep_jp)) < 0.5]
    law_off = np.concatenate([law_off, rng.choice(n_o, max(1, n_o // 500), replace=False)])  # serving officers too
    law_rel = n_o + np.nonzero(rng.random(n_r) < 0.01)[0]
    lp = np.concatenate([law_off, law_rel])
    n_lp = len(lp)
    lp_status = rng.choice(np.array(["practising", "suspended", "revoked"]), n_lp, p=[0.85, 0.1, 0.05]).astype(object)
    lp_region = inside_region(p_off[lp], rng.random(n_lp) < 0.6)
    lp_idkind = g.pick(n_lp, ["exact", "empty", "legacy", "masked", "invalid"], [0.6, 0.15, 0.05, 0.15, 0.05])
    lp_ids = np.array([g.id_variant(p_true[p], k) for p, k in zip(lp, lp_idkind, strict=True)], dtype=object)
    lp_bd = p_birth[lp].copy()
    lp_bd[(rng.random(n_lp) < 0.15) & (lp_idkind != "empty")] = ""
    lp_names = np.array([g.name_variant(p_name[p], k) for p, k in
                         zip(lp, g.pick(n_lp, ["same", "trad", "space"], [0.85, 0.1, 0.05]), strict=True)], dtype=object)
    # decoys: same name, other birth date, no ID
    ld = rng.choice(np.arange(n_o, n_o + n_r), max(1, n_lp // 2), replace=False)
    n_ld = len(ld)
    ld_bd = g.births(n_ld, 1950, 2000).astype(str).astype(object)
    ld_bd = np.where(ld_bd == p_birth[ld], "1949-01-01", ld_bd)
    n_lb = max(0, cfg["lawyers"] - n_lp - n_ld)
    lb_region = g.counties(n_lb, 0.9)
    lb_birth = g.births(n_lb, 1950, 2000)
    lb_ids = _vector_id_kinds(g.ids(lb_region, lb_birth, 500, 1000), rng.choice(6, n_lb, p=[0.7, 0.1, 0, 0.2, 0, 0]),
                              rng)
    n_law = n_lp + n_ld + n_lb
    lic = np.char.add("L", np.char.zfill(rng.permutation(n_law).astype(str), 9)).astype(object)
    l_true = np.concatenate([lp, np.full(n_ld + n_lb, -1)])
    l_status = np.concatenate([lp_status, np.full(n_ld, "practising", dtype=object),
                               rng.choice(np.array(["practising", "suspended", "revoked"]), n_lb, p=[0.85, 0.1, 0.05])])
    l_region = np.concatenate([lp_region, inside_region(p_off[ld], np.ones(n_ld, bool)), lb_region])
    lawyers = {
        "license_no": lic, "name": np.concatenate([lp_names, p_name[ld], g.names(n_lb)]),
        "id_number": np.concatenate([lp_ids, np.full(n_ld, "", dtype=object), lb_ids]),
        "birth_date": np.concatenate([lp_bd, ld_bd, lb_birth.astype(str).astype(object)]),
        "firm_name": np.char.add("律师事务所", (np.arange(n_law) % 997).astype(str)).astype(object),
        "firm_region_code": l_region.astype(str).astype(object), "status": l_status.astype(object),
    }
    _log(f"lawyers {n_law} ({n_lp} planted)", t0)

    # ------------------------------------------------------------ cases
    rel_law_rows = np.nonzero(l_true >= n_o)[0]
    pc_rows = rel_law_rows[rng.random(len(rel_law_rows)) < 0.6]
    reps = rng.integers(1, 4, len(pc_rows))
    pc_law = np.repeat(pc_rows, reps)
    pc_handler = p_off[l_true[pc_law]]
    n_cb = max(0, cfg["cases"] - len(pc_law))
    handlers_pool = np.nonzero(np.isin(role, ["judge", "prosecutor", "police"]))[0]
    c_handler = np.concatenate([pc_handler, handlers_pool[rng.integers(0, len(handlers_pool), n_cb)]])
    c_law = np.concatenate([pc_law, rng.integers(0, n_law, n_cb)])
    n_cases = len(c_law)
    case_id = np.char.add("C", np.char.zfill(rng.permutation(n_cases).astype(str), 9)).astype(object)
    cases = {"case_id": case_id, "handler_officer_id": off_id[c_handler], "lawyer_license_no": lic[c_law]}
    _log(f"cases {n_cases}", t0)

    # ------------------------------------------------------------ truth from true identities
    truth = _truth(
        as_of=as_of, n_o=n_o, off_id=off_id, juris=juris, role=role, status=status, left=left,
        p_off=p_off, p_subject=p_subject,
        e_true=e_true[: n_pl + n_dc], e_status=e_status[: n_pl + n_dc], e_region=e_region[: n_pl + n_dc].astype(str),
        credit=credit[: n_pl + n_dc],
        l_true=l_true, l_status=l_status, l_region=l_region.astype(str), lic=lic,
        c_handler=c_handler, c_law=c_law, case_id=case_id)
    _log(f"truth {len(truth['rule'])} rows", t0)

    os.makedirs(out_dir, exist_ok=True)
    fmts = formats or (fmt,)
    tables = {"roster": roster, "relatives": relatives, "enterprises": enterprises, "lawyers": lawyers,
              "cases": cases}
    for f in fmts:
        target = out_dir if len(fmts) == 1 else os.path.join(out_dir, f)
        os.makedirs(target, exist_ok=True)
        for stem, cols in tables.items():
            _write(pa.table({k: (v if isinstance(v, pa.Array) else pa.array(v, type=pa.string()))
                             for k, v in cols.items()}), os.path.join(target, f"{stem}.{f}"), f)
        _log(f"wrote {f} to {target}", t0)
    _write(pa.table({k: pa.array(v, type=pa.string()) for k, v in truth.items()}),
           os.path.join(out_dir, "truth.csv"), "csv")
    meta = {"scale": scale, "seed": seed, "as_of": as_of.isoformat(), "formats": list(fmts),
            "rows": {k: len(next(iter(v.values()))) for k, v in tables.items()}, "truth_rows": len(truth["rule"])}
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2)
    _log("done", t0)
    return meta


def _dups(a: np.ndarray) -> np.ndarray:
    _, first = np.unique(a.astype("U18"), return_index=True)
    d = np.ones(len(a), bool)
    d[first] = False
    return d


def _dict(idx: np.ndarray, values: np.ndarray):
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(list(values))).cast(pa.string())


def _vector_id_kinds(ids, kind: np.ndarray, rng, arrow: bool = False):
    """0 valid, 1 masked, 2 legacy 15, 3 empty, 4 invalid (one digit changed), 5 with a space."""
    import pyarrow as pa
    import pyarrow.compute as pc

    a = ids if isinstance(ids, pa.Array) else pa.array(ids, type=pa.string())
    head6 = pc.utf8_slice_codeunits(a, 0, 6)
    masked = pc.binary_join_element_wise(head6, pa.scalar("********"), pc.utf8_slice_codeunits(a, 14, 18), "")
    legacy = pc.binary_join_element_wise(head6, pc.utf8_slice_codeunits(a, 8, 17), "")
    d9 = pc.utf8_slice_codeunits(a, 8, 9)
    d9n = pc.cast(pc.bit_wise_and(pc.add(pc.cast(d9, pa.int64()), 1), 7), pa.string())
    d9n = pc.if_else(pc.equal(d9n, d9), pa.scalar("9"), d9n)
    invalid = pc.binary_join_element_wise(pc.utf8_slice_codeunits(a, 0, 8), d9n, pc.utf8_slice_codeunits(a, 9, 18), "")
    spaced = pc.binary_join_element_wise(head6, pa.scalar(" "), pc.utf8_slice_codeunits(a, 6, 18), "")
    is19 = pc.equal(pc.utf8_slice_codeunits(a, 6, 8), "19")
    k = pa.array(kind)
    out = a
    out = pc.if_else(pc.equal(k, 1), masked, out)
    out = pc.if_else(pc.and_(pc.equal(k, 2), is19), legacy, out)
    out = pc.if_else(pc.equal(k, 3), pa.scalar(""), out)
    out = pc.if_else(pc.equal(k, 4), invalid, out)
    out = pc.if_else(pc.equal(k, 5), spaced, out)
    return out if arrow else out.to_numpy(zero_copy_only=False).astype(object)


def _truth(*, as_of, n_o, off_id, juris, role, status, left, p_off, p_subject, e_true, e_status, e_region, credit,
           l_true, l_status, l_region, lic, c_handler, c_law, case_id) -> dict:
    from .pipeline import two_years_before

    cutoff = two_years_before(as_of).isoformat()
    serving = status != "departed"
    close = {"spouse", "child", "child_spouse"}
    rows = set()
    # enterprises
    idx = np.nonzero(e_true >= 0)[0]
    for i in idx:
        p = e_true[i]
        o = p_off[p]
        if e_status[i] != "active" or not serving[o]:
            continue
        subj = p_subject[p]
        if subj == "officer":
            rows.add(("officer_business", off_id[o], "officer", "enterprises", credit[i]))
        elif subj in close and e_region[i].startswith(juris[o]):
            rows.add(("relative_business", off_id[o], subj, "enterprises", credit[i]))
    # lawyers
    for i in np.nonzero(l_true >= 0)[0]:
        p = l_true[i]
        o = p_off[p]
        subj = p_subject[p]
        if l_status[i] != "practising":
            continue
        if subj == "officer":
            if status[o] == "departed" and role[o] in ("judge", "prosecutor") and left[o] > cutoff:
                rows.add(("departed_lawyer", off_id[o], "officer", "lawyers", lic[i]))
        elif subj in close and serving[o] and l_region[i].startswith(juris[o]):
            rows.add(("relative_lawyer", off_id[o], subj, "lawyers", lic[i]))
    # cases
    lt = l_true[c_law]
    for k in np.nonzero(lt >= n_o)[0]:
        p = lt[k]
        h = c_handler[k]
        if p_off[p] == h and serving[h]:
            rows.add(("case_conflict", off_id[h], p_subject[p], "cases", case_id[k]))
    rows = sorted(rows)
    keys = ("rule", "officer_id", "subject", "registry", "record_key")
    return {k: np.array([r[i] for r in rows], dtype=object) for i, k in enumerate(keys)}


def _write(table, path: str, fmt: str) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    tmp = path + ".tmp"
    if fmt == "parquet":
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
    else:
        pcsv.write_csv(table, tmp)
    os.replace(tmp, path)
