"""The screening pipeline as SQL text shared by the DuckDB and Spark backends.

Each step is (name, sql, materialise). A backend turns a step into a table or
view called ``name``. The SQL sticks to what DuckDB and Spark SQL both accept;
the few functions that differ come from a ``Dialect``. There is ONE definition
of each rule, used by both engines.

Source views the backend must provide (all columns strings, contract names):
src_roster, src_relatives and, when present, src_enterprises, src_lawyers, src_cases.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .contract import CHECKS, CLOSE_RELATIONS, PERSON_ROLES, RULE_NEEDS, RULES
from .normalize import (
    name_translate_strings,
    sql_checksum,
    sql_clean_id,
    sql_hamming18,
    sql_str,
    sql_valid_date,
)

# Fuzzy-match scoring. A fuzzy match always needs an equal normalised name
# (prior 0.5) and combines further evidence as 1 - 0.5 * prod(1 - w).
W_ID_STRONG = 0.9   # masked ID with >= 10 visible digits agreeing, or a failed-checksum ID 1 digit away
W_ID_WEAK = 0.8     # masked ID with 6-9 visible digits agreeing, or a failed-checksum ID 2 digits away
W_BIRTH = 0.8       # birth date agrees
W_REGION = 0.3      # registry region equals the region of the person's ID number
THRESHOLD = 0.85    # name alone (0.5) or name + region (0.65) is never enough
# Name + birth date with no ID evidence: the chance that a stranger shares both grows with how
# common the name is in the registry (a term-frequency adjustment): the remaining doubt is
# multiplied by (1 + n / TF_ROWS), n = registry rows carrying that name. With about 25,000
# plausible birth dates, n = 12,000 means roughly half a stranger per real person expected to
# share name and birth date; from n ~ 6,000 name + birth date alone falls below THRESHOLD.
TF_ROWS = 12000
# case_conflict only: a relative and a lawyer on one of the officer's own cases with the same
# normalised name and nothing else in common to compare (see case_name_matches). The case link
# itself is the further evidence: 1 - 0.5 * (1 - W_CASE) = THRESHOLD.
W_CASE = 0.7


def name_evidence(exact: str) -> str:
    """The evidence's first clause; ``exact``: SQL true when the two raw names are equal."""
    return f"CASE WHEN {exact} THEN '姓名一致' ELSE '姓名一致(规范化后: 繁简/全角/空格)' END"


def fuzzy_score(idev: int, birth: bool, region: bool) -> float:
    rest = 1.0
    rest *= {0: 1.0, 1: 1 - W_ID_WEAK, 2: 1 - W_ID_STRONG}[idev]
    if birth:
        rest *= 1 - W_BIRTH
    if region:
        rest *= 1 - W_REGION
    return round(1 - 0.5 * rest, 3)


def two_years_before(as_of: datetime.date) -> datetime.date:
    try:
        return as_of.replace(year=as_of.year - 2)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - 2, day=28)


def name_dirty_chars(*, three_byte_only: bool = False) -> str:
    src, _ = name_translate_strings()
    chars = "".join(sorted(c for c in set(src) if not three_byte_only or len(c.encode()) == 3))
    assert not any(c in chars for c in "[]^-&\\"), "regex class needs escaping"
    return chars


@dataclass
class Dialect:
    name: str

    def nname(self, expr: str) -> str:
        raise NotImplementedError

    def bytelen(self, expr: str) -> str:
        raise NotImplementedError

    def re_full(self, expr: str, pattern: str) -> str:
        raise NotImplementedError

    def idiv(self, a: str, b: str) -> str:
        raise NotImplementedError

    # DuckDB: a large registry's checks come from one aggregate scan (histograms of the checked
    # columns) instead of one GROUP BY per column
    summary_scan = False

    def hkey(self, *exprs: str) -> str:
        """A 64-bit hash of the values: the blocking keys are probed as integers."""
        raise NotImplementedError

    def row_id(self) -> str:
        """A unique integer per row of the (materialised) table selected from: the people's key."""
        raise NotImplementedError

    def name_maybe_dirty(self, expr: str) -> str:
        """True for every name that normalisation may change (a superset): any character that is
        not 3 bytes long in UTF-8 (ASCII letters and spaces, Latin and other scripts, the middle
        dot, rare 4-byte characters), and the 3-byte traditional, full-width, space and dot
        characters of the translate table. False means nname(expr) = expr. (Not caught: the few
        3-byte symbols with a case outside the table, such as circled letters.)"""
        # "not made only of other characters": a whole-string match, cheaper than a search
        return (f"({self.bytelen(expr)} <> 3 * length({expr}) "
                f"OR NOT {self.re_full(expr, '[^' + name_dirty_chars(three_byte_only=True) + ']*')})")


@dataclass
class Step:
    name: str
    sql: str
    materialise: bool = True
    reads: str | None = None  # source file first read by this step: its read errors name that file


def _in(values) -> str:
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


# ------------------------------------------------------------------ validation

def validation_queries(d: Dialect, present: set[str]) -> list[tuple[str, str, str, str]]:
    """(file, column, problem, sql) — each query returns rows (value, n) of offending values."""
    out = []
    for file, col, kind, arg in CHECKS:
        if file not in present:
            continue
        if kind == "nonempty":
            # "< '!'" is a cheap pre-test (blank strings sort first) so trim() runs on few rows
            sql = (f"SELECT 'empty' AS v, count(*) AS n FROM src_{file} "
                   f"WHERE {col} IS NULL OR ({col} < '!' AND trim({col}) = '') HAVING count(*) > 0")
            out.append((file, col, "is empty", sql))
            continue
        if kind == "date":
            bad = f"NOT {sql_valid_date('v')}"
            problem = "is not a date YYYY-MM-DD"
        elif kind in ("enum", "enum_or_empty"):
            bad = f"lower(v) NOT IN {_in(arg)}"
            problem = "is not one of " + ", ".join(arg)
        elif kind == "ratio":
            bad = "(try_cast(v AS DOUBLE) IS NULL OR try_cast(v AS DOUBLE) < 0 OR try_cast(v AS DOUBLE) > 1)"
            problem = "is not a number between 0 and 1"
        elif kind == "code":
            bad = "NOT " + d.re_full("v", "|".join(f"[0-9]{{{n}}}" for n in arg))
            problem = "is not a division code of " + "/".join(str(n) for n in arg) + " digits"
        else:  # pragma: no cover
            raise ValueError(kind)
        empty_ok = kind != "enum"
        keep_empty = "v <> ''" if empty_ok else "TRUE"
        # group on the raw column first: trim/lower/casts then run once per distinct value
        sql = (f"SELECT v, n FROM (SELECT coalesce(trim(v0), '') AS v, n FROM "
               f"(SELECT {col} AS v0, count(*) AS n FROM src_{file} GROUP BY {col}) g0) g "
               f"WHERE {keep_empty} AND {bad} ORDER BY n DESC, v LIMIT 3")
        out.append((file, col, problem, sql))
    if "roster" in present:
        out.append(("roster", "officer_id", "row: the same officer_id is on more than one row",
                    "SELECT officer_id AS v, count(*) AS n FROM src_roster WHERE officer_id IS NOT NULL "
                    "GROUP BY officer_id HAVING count(*) > 1 ORDER BY n DESC, v LIMIT 3"))
        out.append(("roster", "left_date", "row: departed officers need a left_date",
                    "SELECT officer_id AS v, 1 AS n FROM src_roster "
                    "WHERE lower(trim(coalesce(status, ''))) = 'departed' AND trim(coalesce(left_date, '')) = '' "
                    "ORDER BY v LIMIT 3"))
    return out


# checked columns of large files summarised by one aggregate scan (value -> rows histograms)
SUMMARY_HIST = {"enterprises": ("region_code", "status", "person_role", "share_ratio")}
SUMMARY_NONEMPTY = {"enterprises": ("credit_code",)}


def summary_step(file: str) -> Step:
    """One scan of ``file``: its row count, a histogram and NULL count of every checked column, and
    the count of empty values of the columns that must not be empty."""
    parts = ["count(*) AS n_rows"]
    parts += [f"histogram({c}) AS h_{c}, count_if({c} IS NULL) AS z_{c}" for c in SUMMARY_HIST[file]]
    parts += [f"count_if({c} IS NULL OR ({c} < '!' AND trim({c}) = '')) AS e_{c}" for c in SUMMARY_NONEMPTY[file]]
    return Step(f"{file}_summary", f"SELECT {', '.join(parts)} FROM src_{file}", reads=file)


def is_summary(step: Step) -> str | None:
    """The file a summary step summarises, else None."""
    return step.name[: -len("_summary")] if step.name.endswith("_summary") and step.reads else None


def summary_validation_queries(d: Dialect, file: str) -> list[tuple[str, str, str, str]]:
    """The checks of ``file`` run on its summary (same problems, same messages as validation_queries)."""
    table = f"{file}_summary"
    out = []
    for q_file, col, problem, sql in validation_queries(d, {file}):
        if problem == "is empty":
            sql = f"SELECT 'empty' AS v, e_{col} AS n FROM {table} WHERE e_{col} > 0"
        else:
            grouped = f"(SELECT {col} AS v0, count(*) AS n FROM src_{file} GROUP BY {col})"
            assert grouped in sql, (file, col)
            sql = sql.replace(grouped, f"(SELECT unnest(map_keys(h_{col})) AS v0, unnest(map_values(h_{col})) AS n "
                                       f"FROM {table} UNION ALL SELECT NULL AS v0, z_{col} AS n FROM {table} "
                                       f"WHERE z_{col} > 0)")
        out.append((q_file, col, problem, sql))
    return out


def summary_status_query(file: str) -> str:
    return f"SELECT unnest(map_keys(h_status)) FROM {file}_summary"


def summarised_files(d: Dialect, present: set[str]) -> set[str]:
    """Files validated from a summary scan instead of separate queries."""
    return {f for f in SUMMARY_HIST if f in present} if d.summary_scan else set()


# ------------------------------------------------------------------ identity features

def _real_birth_date(id17n: str, idiv) -> str:
    """True when digits 7-14 of the 17-digit number are a real date YYYYMMDD (integer arithmetic:
    cheaper than a cast, and the same in every engine and in normalize_id)."""
    y = f"({idiv(id17n, '10000000')} % 10000)"
    m = f"({idiv(id17n, '100000')} % 100)"
    day = f"({idiv(id17n, '1000')} % 100)"
    leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
    days = f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    return f"({y} >= 1 AND {m} BETWEEN 1 AND 12 AND {day} >= 1 AND {day} <= {days})"


def id_features(d: Dialect, inner: str, raw: str) -> str:
    """Wrap ``inner`` (a SELECT) adding: idc, id_n, id_kind, m_head, m_tail, m_vis, id_birth,
    inv_birth (the birth date shown by a number that fails its checksum)."""
    l1 = f"SELECT x1.*, {sql_clean_id(raw, d.bytelen)} AS idc FROM ({inner}) x1"
    shape18 = d.re_full("idc", "[0-9]{17}[0-9X]")
    shape15 = d.re_full("idc", "[0-9]{15}")
    l2 = (f"SELECT x2.*, CASE WHEN length(idc) = 18 AND {shape18} THEN substr(idc, 1, 17) "
          f"WHEN length(idc) = 15 AND {shape15} THEN substr(idc, 1, 6) || '19' || substr(idc, 7, 9) END AS id17 "
          f"FROM ({l1}) x2")
    l2b = f"SELECT x2b.*, cast(id17 AS BIGINT) AS id17n FROM ({l2}) x2b"
    l3 = f"SELECT x3.*, CASE WHEN id17 IS NOT NULL THEN {sql_checksum('id17n', d.idiv)} END AS chk FROM ({l2b}) x3"
    l4 = (f"SELECT x4.*, CASE WHEN id17 IS NOT NULL AND (length(idc) = 15 OR substr(idc, 18, 1) = chk) "
          f"AND {_real_birth_date('id17n', d.idiv)} THEN id17 || chk END AS id_n FROM ({l3}) x4")
    l5 = (f"SELECT x5.*, CASE WHEN id_n IS NOT NULL THEN 'valid' WHEN idc = '' THEN 'empty' "
          f"WHEN instr(idc, '*') > 0 THEN 'masked' ELSE 'invalid' END AS id_kind, "
          f"CASE WHEN id_n IS NOT NULL THEN substr(id_n, 7, 4) || '-' || substr(id_n, 11, 2) || '-' || "
          f"substr(id_n, 13, 2) END AS id_birth, "
          # an 18-character number that fails only its checksum still shows a birth date; it is used
          # only where our side has no ID number to compare it with (see match_steps)
          f"CASE WHEN id_n IS NULL AND length(idc) = 18 AND id17 IS NOT NULL AND "
          f"{_real_birth_date('id17n', d.idiv)} THEN substr(idc, 7, 4) || '-' || substr(idc, 11, 2) || '-' || "
          f"substr(idc, 13, 2) END AS inv_birth FROM ({l4}) x5")
    l6 = (f"SELECT x6.*, "
          f"CASE WHEN id_kind = 'masked' THEN substr(idc, 1, instr(idc, '*') - 1) END AS m_head, "
          f"CASE WHEN id_kind = 'masked' THEN reverse(substr(reverse(idc), 1, instr(reverse(idc), '*') - 1)) "
          f"END AS m_tail FROM ({l5}) x6")
    return f"SELECT x7.*, length(m_head) + length(m_tail) AS m_vis FROM ({l6}) x7"


# ------------------------------------------------------------------ matching

def match_steps(d: Dialect, reg: str, src: str, src_name: str) -> list[Step]:
    """People <-> registry identity matches. ``reg`` is a table with rec, name_raw, name_n,
    idc, id_n, id_kind, m_head, m_tail, m_vis, reg_birth, inv_birth, region; ``src``.``src_name`` the
    registry's raw name column (for name frequencies). Produces ``{reg}_m``
    (pid, rec, mt, score, ev_id)."""
    p_reg = f"{reg}_pairs"
    pairs = f"""
SELECT p.pid, r.rec FROM people p JOIN {reg} r ON p.name_n = r.name_n
 WHERE r.id_kind = 'masked' AND p.id_n IS NOT NULL AND length(r.m_tail) >= 4
   AND substr(p.id_n, 15, 4) = substr(r.m_tail, length(r.m_tail) - 3, 4)
UNION
SELECT p.pid, r.rec FROM people p JOIN {reg} r ON p.name_n = r.name_n AND substr(p.id_n, 15, 4) = substr(r.idc, 15, 4)
 WHERE r.id_kind = 'invalid' AND length(r.idc) = 18
UNION
SELECT p.pid, r.rec FROM people p JOIN {reg} r ON p.name_n = r.name_n AND substr(p.id_n, 7, 8) = substr(r.idc, 7, 8)
 WHERE r.id_kind = 'invalid' AND length(r.idc) = 18
UNION
SELECT p.pid, r.rec FROM people p JOIN {reg} r ON p.name_n = r.name_n AND p.birth_n = r.reg_birth
 WHERE NOT (r.id_kind = 'valid' AND p.id_n IS NOT NULL)
UNION
SELECT p.pid, r.rec FROM people p JOIN {reg} r ON p.name_n = r.name_n AND p.birth_n = r.inv_birth
 WHERE p.id_n IS NULL AND r.reg_birth IS NULL
"""
    feat = f"""
SELECT q.pid, q.rec,
  CASE WHEN r.id_kind = 'masked' AND p.id_n IS NOT NULL THEN
       CASE WHEN substr(p.id_n, 1, length(r.m_head)) = r.m_head
             AND substr(p.id_n, 19 - length(r.m_tail), length(r.m_tail)) = r.m_tail THEN 1 ELSE -1 END
       ELSE 0 END AS mask_st,
  CASE WHEN r.id_kind = 'invalid' AND length(r.idc) = 18 AND p.id_n IS NOT NULL
       THEN {sql_hamming18('p.id_n', 'r.idc')} END AS ham,
  CASE WHEN r.reg_birth IS NOT NULL AND p.birth_n IS NOT NULL THEN
       CASE WHEN r.reg_birth = p.birth_n THEN 1 ELSE -1 END
       WHEN r.inv_birth IS NOT NULL AND p.birth_n IS NOT NULL AND p.id_n IS NULL THEN
       CASE WHEN r.inv_birth = p.birth_n THEN 1 ELSE -1 END ELSE 0 END AS birth_st,
  CASE WHEN r.reg_birth IS NULL AND r.inv_birth IS NOT NULL AND p.id_n IS NULL THEN 1 ELSE 0 END AS birth_inv,
  CASE WHEN r.region IS NOT NULL AND p.id_n IS NOT NULL AND r.region = substr(p.id_n, 1, 6) THEN 1 ELSE 0 END
       AS region_ok,
  CASE WHEN r.id_kind = 'valid' AND p.id_n IS NOT NULL AND r.id_n <> p.id_n THEN 1 ELSE 0 END AS id_conflict,
  r.m_vis, r.id_kind, CASE WHEN p.name_raw = r.name_raw THEN 1 ELSE 0 END AS name_exact, p.name_n,
  CASE WHEN p.id_n IS NULL THEN 1 ELSE 0 END AS p_noid
FROM {p_reg} q JOIN people p ON p.pid = q.pid JOIN {reg} r ON r.rec = q.rec
"""
    idev = ("CASE WHEN mask_st = 1 AND m_vis >= 10 THEN 2 WHEN mask_st = 1 AND m_vis >= 6 THEN 1 "
            "WHEN ham IS NOT NULL AND ham <= 1 THEN 2 WHEN ham = 2 THEN 1 ELSE 0 END")
    cases = []
    for iv in (0, 1, 2):
        for b in (0, 1):
            for rg in (0, 1):
                cases.append(f"WHEN idev = {iv} AND birth_st = {b} AND region_ok = {rg} "
                             f"THEN CAST({fuzzy_score(iv, bool(b), bool(rg))} AS DOUBLE)")
    tf = (f"CAST(1 - 0.5 * {round(1 - W_BIRTH, 6)} * CASE WHEN region_ok = 1 THEN {round(1 - W_REGION, 6)} "
          f"ELSE 1 END * (1 + CAST(name_rows AS DOUBLE) / {TF_ROWS}) AS DOUBLE)")
    score_case = (f"CASE WHEN idev = 0 AND birth_st = 1 THEN {tf} " + " ".join(cases)
                  + " ELSE CAST(0 AS DOUBLE) END")
    freq = f"""
SELECT {src_name} AS name_n, count(*) AS name_rows FROM {src}
WHERE {src_name} IN (SELECT DISTINCT name_n FROM {reg}_feat WHERE birth_st = 1)
GROUP BY {src_name}"""
    scored = f"""
SELECT s2.* FROM (
  SELECT s1.*, {score_case} AS score FROM (
    SELECT f.*, {idev} AS idev, coalesce(fr.name_rows, 0) AS name_rows FROM {reg}_feat f
    LEFT JOIN {reg}_freq fr ON fr.name_n = f.name_n
     WHERE mask_st >= 0 AND (ham IS NULL OR ham <= 2) AND birth_st >= 0 AND id_conflict = 0
  ) s1
) s2 WHERE score >= {THRESHOLD}
"""
    ev_fuzzy = (f"concat_ws('; ', {name_evidence('name_exact = 1')}, "
                "CASE WHEN mask_st = 1 THEN '脱敏身份证可见' || cast(m_vis AS STRING) || '位一致' END, "
                "CASE WHEN ham IS NOT NULL THEN '登记身份证号校验失败, 与申报号码仅差' || cast(ham AS STRING) || '位' END, "
                "CASE WHEN idev = 0 AND p_noid = 1 THEN '申报信息无有效身份证号' END, "
                "CASE WHEN idev = 0 AND id_kind = 'empty' THEN '登记记录无身份证号' "
                "WHEN idev = 0 AND id_kind = 'masked' THEN '登记身份证号脱敏' "
                "WHEN idev = 0 AND id_kind = 'invalid' THEN '登记身份证号无效' END, "
                "CASE WHEN birth_st = 1 AND birth_inv = 1 THEN '出生日期与登记身份证号(校验失败)所含日期一致' "
                "WHEN birth_st = 1 THEN '出生日期一致' END, "
                "CASE WHEN region_ok = 1 THEN '登记地区与身份证地区码一致' END, "
                "CASE WHEN idev = 0 THEN '登记库同名记录 ' || cast(name_rows AS STRING) || ' 条' END)")
    matches = f"""
SELECT p.pid, r.rec, 'id' AS mt, CAST(1 AS DOUBLE) AS score,
  '身份证号一致' || CASE WHEN length(r.idc) = 15 THEN '(登记为15位旧号, 转换为18位后)'
                       WHEN coalesce(r.id_raw, '') <> r.id_n THEN '(登记号码规范化后: 空格/全角/小写x)' ELSE '' END
               || CASE WHEN length(p.idc) = 15 THEN '(申报为15位旧号, 转换为18位后)' ELSE '' END AS ev_id
FROM people p JOIN {reg} r ON p.id_n = r.id_n
UNION ALL
SELECT pid, rec, 'fuzzy' AS mt, score, {ev_fuzzy} AS ev_id FROM {reg}_scored
"""
    return [Step(p_reg, pairs), Step(f"{reg}_feat", feat), Step(f"{reg}_freq", freq), Step(f"{reg}_scored", scored),
            Step(f"{reg}_m", matches)]


def case_name_matches() -> str:
    """case_conflict's name-only tier (see W_CASE): (pid, rec, mt, score, ev_id) like law_m, for a
    relative of the case's handler and a lawyer on the case whose normalised names agree, where the
    two sides have nothing else in common to compare: no birth date on one side (a registry number
    failing its checksum still shows one), no ID number of any kind on one side. Left out: a licence
    any row of which has something comparable with that relative, and a licence already matched to
    anyone in law_m (the lawyer is then identified, as this relative or as someone else)."""
    score = round(1 - 0.5 * (1 - W_CASE), 3)
    p_birth, l_birth = "coalesce(p.birth_n, p.inv_birth)", "coalesce(l.reg_birth, l.inv_birth)"
    comparable = (f"CASE WHEN ({p_birth} IS NOT NULL AND {l_birth} IS NOT NULL) OR (p.idc <> '' AND l.idc <> '') "
                  f"THEN 1 ELSE 0 END")
    ours = ("'申报: ' || CASE WHEN p.idc = '' THEN '无身份证号' WHEN p.id_n IS NULL THEN '身份证号无效' "
            f"ELSE '有身份证号' END || CASE WHEN {p_birth} IS NULL THEN '、无出生日期' ELSE '、有出生日期' END")
    theirs = ("'律师登记: ' || CASE WHEN l.idc = '' THEN '无身份证号' WHEN l.id_kind = 'masked' THEN '身份证号脱敏' "
              "WHEN l.id_n IS NULL THEN '身份证号无效' ELSE '有身份证号' END "
              f"|| CASE WHEN {l_birth} IS NULL THEN '、无出生日期' ELSE '、有出生日期' END")
    return f"""
SELECT k.pid, k.rec, 'fuzzy' AS mt, CAST({score} AS DOUBLE) AS score,
  {name_evidence('p.name_raw = l.name_raw')}
  || '; 仅姓名可比对(' || {ours} || '; ' || {theirs} || '), 该律师代理了本人承办的案件, 须人工核实' AS ev_id
FROM (
  SELECT p.pid, min(l.rec) AS rec
  FROM src_cases c JOIN law l ON l.license_no = c.lawyer_license_no
  JOIN people p ON p.officer_id = c.handler_officer_id AND p.name_n = l.name_n
  LEFT JOIN (SELECT DISTINCT l2.license_no AS lic FROM law_m m2 JOIN law l2 ON l2.rec = m2.rec) idf
    ON idf.lic = l.license_no
  WHERE idf.lic IS NULL AND p.subject <> 'officer' AND p.name_n <> ''
  GROUP BY p.pid, l.license_no HAVING max({comparable}) = 0
) k JOIN people p ON p.pid = k.pid JOIN law l ON l.rec = k.rec"""


# ------------------------------------------------------------------ enterprise candidates

def enterprise_candidate_steps(d: Dialect, active_values: list[str] | None = None,
                               row_key: str | None = None) -> list[Step]:
    """The one pass over the (20M-row) enterprise registry: keep only rows that can match anyone.

    A row goes on when its ID number, as it is, is one of our people's ID variants, or when its raw
    name together with the ID's last four characters or its birth date (YYMMDD) is one of our
    people's (normalised name, key) pairs: the blocking keys of every fuzzy comparison in
    ``match_steps``. Keys are 64-bit hashes, so each probe is one hash look-up; a collision only
    lets an extra row through, which the exact comparisons later drop. Only active enterprises
    count for the rules, so others are dropped first. A name that normalisation may change
    (traditional, full-width, dot, space or lower-case characters) or an ID that is not 15 or 18
    bytes (blanks, full-width digits) cannot be keyed raw; such rows (a small minority) are kept
    aside, cleaned and normalised afterwards and keyed then (``ent_names`` -> ``ent_kept``).

    ``row_key``: a column of src_enterprises numbering its rows (Parquet's file_row_number). With
    it the pass reads only the three columns it tests, and ``ent_cand`` fetches the other five for
    the rows kept, by row number: the wide columns are then decoded once, not carried through the
    probes of 14M rows.
    """
    raw = "id_raw"
    # ``active_values``: the raw spellings of 'active' in the file (read off its distinct values), so
    # the filter is a plain IN list the reader can apply while scanning
    if active_values is None:
        active = "(status = 'active' OR lower(trim(coalesce(status, ''))) = 'active')"
    else:
        active = f"status IN {_in(active_values)}" if active_values else "1 = 0"
    # the birth date in an ID as YYMMDD: it starts at character 9 of an 18-digit number and at 7 of a
    # 15-digit one, that is at half the length either way (no CASE, no concatenation in the scan). The
    # century is left out: a few more rows get through, which the exact comparisons later drop.
    def yymmdd(idk: str) -> str:
        return f"substr({idk}, {d.idiv(d.bytelen(idk), '2')}, 6)"
    # the key tables are only probed (IN), where a repeated key changes nothing: no DISTINCT
    steps = [
        # every spelling of our people's IDs a registry may carry as it is: the 18-digit number,
        # with a lower-case x, and the legacy 15-digit form
        Step("k_id", f"""
SELECT h FROM (
  SELECT {d.hkey('id_n')} AS h FROM people WHERE id_n IS NOT NULL
  UNION ALL SELECT {d.hkey("substr(id_n, 1, 17) || 'x'")} FROM people WHERE substr(id_n, 18, 1) = 'X'
  UNION ALL SELECT {d.hkey('substr(id_n, 1, 6) || substr(id_n, 9, 9)')} FROM people WHERE substr(id_n, 7, 2) = '19'
) v"""),
        Step("k_nm", f"""
SELECT h FROM (
  SELECT {d.hkey('name_n', 'substr(id_n, 15, 4)')} AS h FROM people WHERE id_n IS NOT NULL AND name_n <> ''
  UNION ALL SELECT {d.hkey('name_n', "substr(id_n, 15, 3) || 'x'")} FROM people
   WHERE substr(id_n, 18, 1) = 'X' AND name_n <> ''
  UNION ALL SELECT {d.hkey('name_n', "substr(birth_n, 3, 2) || substr(birth_n, 6, 2) || substr(birth_n, 9, 2)")}
   FROM people WHERE birth_n IS NOT NULL AND name_n <> ''
) k"""),
    ]
    # IDs of 15 or 18 bytes are plain ASCII (the common case) and are keyed as they are in the scan.
    # The others (spaces, full-width digits: "odd" IDs, a few per cent) are kept aside like dirty
    # names and cleaned in ent_kept, on the few rows kept, and keyed then.
    odd = f"CASE WHEN {d.bytelen(raw)} = 18 OR {d.bytelen(raw)} = 15 THEN 0 ELSE 1 END"

    def name_keyed(name: str, idk: str) -> str:
        return (f"{d.hkey(name, f'substr({idk}, 15, 4)')} IN (SELECT h FROM k_nm) "
                f"OR {d.hkey(name, yymmdd(idk))} IN (SELECT h FROM k_nm)")

    keyed = f"({d.hkey(raw)} IN (SELECT h FROM k_id) OR {name_keyed('name_raw', raw)})"
    dirty = f"CASE WHEN name_raw IS NOT NULL AND {d.name_maybe_dirty('name_raw')} THEN 1 ELSE 0 END"
    # the scan carries the columns as they are: they are trimmed and lower-cased in ent_cand, on the
    # few rows kept
    wide_cols = "credit_code, enterprise_name, region_code, person_role, share_ratio"
    narrow_cols = "status, person_name AS name_raw, person_id_number AS id_raw"
    raw_cols = f"{narrow_cols}, {row_key} AS row_no" if row_key else f"{wide_cols}, {narrow_cols}"
    w = "w" if row_key else "c"  # the alias the wide columns are read from in ent_cand
    # Enterprise rows carry no birth date, so a row without an ID number can match no one (every
    # comparison in match_steps needs the ID, part of it or a birth date): such rows are dropped in
    # the scan, before any key is computed.
    steps.append(Step("ent_pre", f"""
SELECT * FROM (
  SELECT e.*, {keyed} AS keyed, {dirty} AS dirty, {odd} AS odd
  FROM (SELECT {raw_cols} FROM src_enterprises WHERE {active} AND person_id_number <> '') e
) x WHERE keyed OR dirty = 1 OR odd = 1""", reads="enterprises"))
    steps.append(Step("ent_names", f"""
SELECT raw, name_n FROM (
  SELECT raw, {d.nname('raw')} AS name_n FROM (SELECT DISTINCT name_raw AS raw FROM ent_pre WHERE dirty = 1) a0) a
WHERE name_n IN (SELECT name_n FROM pnames)"""))
    # a row set aside (dirty name or odd ID) is keyed again with its normalised name (NULL when it is
    # none of our people's names) and its cleaned ID
    nm = "CASE WHEN c.dirty = 1 THEN n.name_n ELSE c.name_raw END"
    steps.append(Step("ent_kept", f"""
SELECT c.*, {nm} AS name_n
FROM (SELECT c0.*, CASE WHEN odd = 1 THEN {sql_clean_id(raw, d.bytelen)} ELSE {raw} END AS idk FROM ent_pre c0) c
LEFT JOIN ent_names n ON c.dirty = 1 AND n.raw = c.name_raw
WHERE c.keyed
   OR (c.odd = 1 AND {d.hkey('c.idk')} IN (SELECT h FROM k_id))
   OR ({nm} IS NOT NULL AND (c.dirty = 1 OR c.odd = 1) AND ({name_keyed(nm, 'c.idk')}))"""))
    fetch = (f" JOIN (SELECT {row_key} AS row_no, {wide_cols} FROM src_enterprises) w ON w.row_no = c.row_no"
             if row_key else "")
    steps.append(Step("ent_cand", f"""
SELECT {w}.credit_code, {w}.enterprise_name, trim(coalesce({w}.region_code, '')) AS region_code,
       lower(trim(coalesce(c.status, ''))) AS status, c.name_raw, c.id_raw,
       lower(trim(coalesce({w}.person_role, ''))) AS person_role, trim({w}.share_ratio) AS share_ratio, c.name_n
FROM ent_kept c{fetch}""", reads="enterprises" if row_key else None))
    # rec: the row's number in ent_cand (an integer key that never leaves the run, like people's pid)
    ent_inner = f"SELECT {d.row_id()} AS rec, c.* FROM ent_cand c"
    steps.append(Step("ent", f"""
SELECT f.*, id_birth AS reg_birth, nullif(region_code, '') AS region
FROM ({id_features(d, ent_inner, 'id_raw')}) f"""))
    return steps


# ------------------------------------------------------------------ whole pipeline

def build_steps(d: Dialect, present: set[str], rules: list[str], as_of: datetime.date, *,
                active_values: list[str] | None = None, row_key: str | None = None) -> list[Step]:
    """All steps of a run. ``row_key``: see enterprise_candidate_steps."""
    steps: list[Step] = []
    need_ent = any(r in rules for r in ("officer_business", "relative_business"))
    need_law = any(r in rules for r in ("relative_lawyer", "case_conflict", "departed_lawyer"))

    steps.append(Step("officers", """
SELECT officer_id, name AS name_raw, trim(coalesce(jurisdiction, '')) AS jurisdiction,
       lower(trim(coalesce(role, ''))) AS role,
       CASE WHEN lower(trim(coalesce(status, ''))) = 'departed' THEN 'departed' ELSE 'serving' END AS status,
       nullif(trim(coalesce(left_date, '')), '') AS left_date
FROM src_roster"""))
    people_src = """
SELECT officer_id, 'officer' AS subject, name AS name_raw, id_number AS id_raw,
       nullif(trim(coalesce(birth_date, '')), '') AS birth_raw FROM src_roster
UNION ALL
SELECT officer_id, lower(trim(relation)) AS subject, name AS name_raw, id_number AS id_raw,
       nullif(trim(coalesce(birth_date, '')), '') AS birth_raw FROM src_relatives"""
    # materialised first: a table is processed in parallel, while a one-row-group file is read by one thread
    steps.append(Step("people_src", people_src))
    # only names that normalisation may change are normalised (see Dialect.name_maybe_dirty); after
    # people_src, so that the name tables (loaded in the background, see duck.py) are ready by then
    steps.append(Step("people_names", f"""
SELECT raw, {d.nname('raw')} AS name_n FROM (
  SELECT DISTINCT name AS raw FROM src_roster WHERE name IS NOT NULL AND {d.name_maybe_dirty('name')}
  UNION SELECT DISTINCT name AS raw FROM src_relatives WHERE name IS NOT NULL AND {d.name_maybe_dirty('name')}) a"""))
    # pid: the row's number in people_src (an integer key, free to compute and cheap to join on; it
    # never leaves the run). Only the columns later steps read are kept.
    steps.append(Step("people", f"""
SELECT f.pid, f.officer_id, f.subject, f.name_raw, f.idc, f.id_n,
       CASE WHEN f.name_raw IS NULL THEN '' WHEN nm.raw IS NOT NULL THEN nm.name_n ELSE f.name_raw END AS name_n,
       coalesce(birth_raw, id_birth) AS birth_n, f.inv_birth
FROM ({id_features(d, f'SELECT {d.row_id()} AS pid, * FROM people_src', 'id_raw')}) f
LEFT JOIN people_names nm ON nm.raw = f.name_raw"""))
    steps.append(Step("pnames", "SELECT DISTINCT name_n FROM people WHERE name_n <> ''"))
    for file in sorted(summarised_files(d, present)):
        steps.append(summary_step(file))

    if need_ent and "enterprises" in present:
        steps += enterprise_candidate_steps(d, active_values, row_key)
        steps += match_steps(d, "ent", "src_enterprises", "person_name")

    if need_law and "lawyers" in present:
        law_inner = """
SELECT license_no || '#' || cast(row_number() OVER (PARTITION BY license_no
         ORDER BY name, id_number, birth_date, firm_name, firm_region_code, status) AS STRING) AS rec, license_no, name AS name_raw, id_number AS id_raw,
       nullif(trim(coalesce(birth_date, '')), '') AS birth_raw, firm_name,
       trim(coalesce(firm_region_code, '')) AS firm_region_code, lower(trim(coalesce(status, ''))) AS status
FROM src_lawyers"""
        steps.append(Step("law", f"""
SELECT f.*, {d.nname('name_raw')} AS name_n, coalesce(birth_raw, id_birth) AS reg_birth,
       nullif(firm_region_code, '') AS region
FROM ({id_features(d, law_inner, 'id_raw')}) f"""))
        steps += match_steps(d, "law", "src_lawyers", "name")
        if "case_conflict" in rules and "cases" in present:
            steps.append(Step("law_case_names", case_name_matches()))

    rel_cn = ("CASE p.subject WHEN 'spouse' THEN '配偶' WHEN 'child' THEN '子女' WHEN 'child_spouse' THEN '子女配偶' "
              "WHEN 'parent' THEN '父母' WHEN 'sibling' THEN '兄弟姐妹' ELSE p.subject END")
    role_cn = ("CASE e.person_role WHEN 'shareholder' THEN '股东' WHEN 'legal_rep' THEN '法定代表人' "
               "WHEN 'director' THEN '董事' WHEN 'supervisor' THEN '监事' WHEN 'manager' THEN '经理' END")
    ent_ctx = (f"'在正常经营企业 ' || coalesce(e.enterprise_name, '') || '(' || e.credit_code || ') 任' || {role_cn} "
               f"|| CASE WHEN e.person_role = 'shareholder' AND e.share_ratio IS NOT NULL AND e.share_ratio <> '' "
               f"THEN ', 持股比例 ' || e.share_ratio ELSE '' END")
    jur_ctx = "'; 登记地 ' || {code} || ' 在任职辖区 ' || o.jurisdiction || ' 内'"
    hit_cols = "rule, officer_id, subject, subject_name, registry, record_key, mt, score, evidence"
    parts = []
    if "officer_business" in rules and "enterprises" in present:
        parts.append(f"""
SELECT 'officer_business' AS rule, o.officer_id, 'officer' AS subject, p.name_raw AS subject_name,
       'enterprises' AS registry, e.credit_code AS record_key, m.mt, m.score,
       m.ev_id || '; 本人' || {ent_ctx} AS evidence
FROM ent_m m JOIN people p ON p.pid = m.pid JOIN ent e ON e.rec = m.rec JOIN officers o ON o.officer_id = p.officer_id
WHERE p.subject = 'officer' AND o.status = 'serving' AND e.status = 'active' AND e.person_role IN {_in(PERSON_ROLES)}""")
    if "relative_business" in rules and "enterprises" in present:
        parts.append(f"""
SELECT 'relative_business' AS rule, o.officer_id, p.subject, p.name_raw AS subject_name,
       'enterprises' AS registry, e.credit_code AS record_key, m.mt, m.score,
       m.ev_id || '; ' || {rel_cn} || {ent_ctx} || {jur_ctx.format(code='e.region_code')} AS evidence
FROM ent_m m JOIN people p ON p.pid = m.pid JOIN ent e ON e.rec = m.rec JOIN officers o ON o.officer_id = p.officer_id
WHERE p.subject IN {_in(CLOSE_RELATIONS)} AND o.status = 'serving' AND e.status = 'active'
  AND e.person_role IN {_in(PERSON_ROLES)} AND length(o.jurisdiction) > 0
  AND substr(e.region_code, 1, length(o.jurisdiction)) = o.jurisdiction""")
    law_ctx = ("'执业律师(执业证号 ' || l.license_no || ', ' || coalesce(l.firm_name, '') || ')'")
    if "relative_lawyer" in rules and "lawyers" in present:
        parts.append(f"""
SELECT 'relative_lawyer' AS rule, o.officer_id, p.subject, p.name_raw AS subject_name,
       'lawyers' AS registry, l.license_no AS record_key, m.mt, m.score,
       m.ev_id || '; ' || {rel_cn} || '为' || {law_ctx} || {jur_ctx.format(code='l.firm_region_code')} AS evidence
FROM law_m m JOIN people p ON p.pid = m.pid JOIN law l ON l.rec = m.rec JOIN officers o ON o.officer_id = p.officer_id
WHERE p.subject IN {_in(CLOSE_RELATIONS)} AND o.status = 'serving' AND l.status = 'practising'
  AND length(o.jurisdiction) > 0 AND substr(l.firm_region_code, 1, length(o.jurisdiction)) = o.jurisdiction""")
    if "case_conflict" in rules and "lawyers" in present and "cases" in present:
        parts.append(f"""
SELECT 'case_conflict' AS rule, o.officer_id, p.subject, p.name_raw AS subject_name,
       'cases' AS registry, c.case_id AS record_key, m.mt, m.score,
       m.ev_id || '; 承办案件的代理律师(执业证号 ' || l.license_no || ')为其' || {rel_cn} AS evidence
FROM (SELECT * FROM law_m UNION ALL SELECT * FROM law_case_names) m
JOIN people p ON p.pid = m.pid JOIN law l ON l.rec = m.rec
JOIN src_cases c ON c.lawyer_license_no = l.license_no
JOIN officers o ON o.officer_id = c.handler_officer_id AND o.officer_id = p.officer_id
WHERE p.subject <> 'officer' AND o.status = 'serving'""")
    if "departed_lawyer" in rules and "lawyers" in present:
        cutoff = two_years_before(as_of).isoformat()
        parts.append(f"""
SELECT 'departed_lawyer' AS rule, o.officer_id, 'officer' AS subject, p.name_raw AS subject_name,
       'lawyers' AS registry, l.license_no AS record_key, m.mt, m.score,
       m.ev_id || '; 离任' || CASE o.role WHEN 'judge' THEN '法官' ELSE '检察官' END || '(离任日期 ' || o.left_date
       || ', 至 {as_of.isoformat()} 未满两年)现为' || {law_ctx} AS evidence
FROM law_m m JOIN people p ON p.pid = m.pid JOIN law l ON l.rec = m.rec JOIN officers o ON o.officer_id = p.officer_id
WHERE p.subject = 'officer' AND o.status = 'departed' AND o.role IN ('judge', 'prosecutor')
  AND l.status = 'practising' AND o.left_date IS NOT NULL AND o.left_date > '{cutoff}'""")
    if parts:
        union = "\nUNION ALL\n".join(parts)
        steps.append(Step("hits", f"""
SELECT {hit_cols} FROM (
  SELECT u.*, row_number() OVER (PARTITION BY rule, officer_id, record_key, subject
        ORDER BY CASE WHEN mt = 'id' THEN 0 ELSE 1 END, score DESC, subject_name, evidence) AS rn
  FROM ({union}) u
) z WHERE rn = 1"""))
    return steps


def active_status_query() -> str:
    """Distinct raw status values of the enterprise file (a dictionary column: a cheap scan)."""
    return "SELECT DISTINCT status FROM src_enterprises WHERE status IS NOT NULL"


def active_spellings(values: list[str]) -> list[str]:
    return sorted(v for v in values if v.strip().lower() == "active")


def runnable_rules(present: set[str], rules: list[str]) -> tuple[list[str], dict[str, str]]:
    run, skipped = [], {}
    for r in rules:
        missing = [f for f in RULE_NEEDS[r] if f not in present]
        if missing:
            skipped[r] = "no " + " / ".join(missing) + " file"
        else:
            run.append(r)
    return run, skipped


def parse_rules(text: str | None) -> list[str]:
    """None means every rule; a text must name at least one."""
    if text is None:
        return list(RULES)
    out = []
    for r in (x.strip() for x in text.split(",")):
        if not r:
            continue
        if r not in RULES:
            raise ValueError(f"unknown rule {r!r}; rules are {', '.join(RULES)}")
        if r not in out:
            out.append(r)
    if not out:
        raise ValueError(f"no rule named; rules are {', '.join(RULES)}")
    return out
