"""A small hand-built data set with one planted case per rule and the edge cases around it."""

from __future__ import annotations

import csv
import os

from zhengdun.screening.engine.normalize import check_digit, mask_id, to_legacy15


def mk(body17: str) -> str:
    return body17 + check_digit(body17)


# people
A = mk("11010119800101001")    # officer O1 (judge, jurisdiction 1101)
B = mk("11010219820202002")    # O1's spouse
C = mk("11010119450101001")    # O2's parent
D = mk("11010119700303001")    # O3, departed judge (left 2025-06-01)
E = mk("11010119720404001")    # O4, departed judge long ago (2020-01-01)
F = mk("11010119730505001")    # O5, departed police (2025-06-01)
G = mk("11010119810606001")    # O6, departed officer with a business role
S = mk("11010119800101003")    # a stranger called 张伟 like O1
T = mk("32010119820202008")    # a stranger called 刘芳 like O1's spouse
X18 = next(mk(f"110101199001010{n:02d}") for n in range(100) if mk(f"110101199001010{n:02d}").endswith("X"))
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def bad_checksum(id18: str) -> str:
    d = str((int(id18[16]) + 1) % 10)
    return id18[:16] + d + id18[17]


ROSTER = [
    ("officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction", "role", "status", "left_date"),
    ("O1", "张 伟", A, "", "U1", "1101", "judge", "", ""),
    ("O2", "李娜", "", "1975-05-05", "U2", "11", "prosecutor", "serving", ""),
    ("O3", "王强", to_legacy15(D), "", "U3", "1101", "judge", "departed", "2025-06-01"),
    ("O4", "赵敏", E, "", "U4", "1101", "judge", "departed", "2020-01-01"),
    ("O5", "钱多", F, "", "U5", "1101", "police", "departed", "2025-06-01"),
    ("O6", "孙立", G, "", "U6", "1101", "judge", "departed", "2025-06-01"),
    ("O7", "周全", X18.lower(), "", "U7", "110101", "police", "", ""),
]
RELATIVES = [
    ("officer_id", "relation", "name", "id_number", "birth_date"),
    ("O1", "spouse", "劉芳", B, ""),
    ("O1", "child", "张小明", "", "2005-01-01"),
    ("O2", "parent", "李老", C, ""),
    ("O2", "sibling", "李兵", mk("11010119780707001"), ""),
    ("O2", "child", "李小雨", "", ""),       # declared with neither ID nor birth date
    ("O2", "spouse", "王丽", "", "1976-06-06"),  # declared with a birth date only
    ("O2", "sibling", "刘芳", "", ""),       # the name of O1's spouse, nothing else
    ("O2", "child", "李大雨", bad_checksum(mk("11010119990101005")), ""),  # a number failing its checksum
]
ENTERPRISES = [
    ("credit_code", "enterprise_name", "region_code", "status", "person_name", "person_id_number", "person_role",
     "share_ratio", "extra_column"),
    ("E01", "甲公司", "110101", "active", "張偉", mask_id(A), "shareholder", "0.3", "x"),     # O1 fuzzy: trad + mask
    ("E02", "乙公司", "110105", "active", "刘芳", " ".join([B[:6], B[6:14], B[14:]]), "director", "", "x"),  # spouse id
    ("E03", "丙公司", "320101", "active", "刘芳", B, "director", "", "x"),          # outside jurisdiction
    ("E04", "丁公司", "110101", "revoked", "张伟", A, "manager", "", "x"),          # revoked
    ("E05", "戊公司", "110101", "active", "张伟", mask_id(S), "manager", "", "x"),  # stranger: mask disagrees
    ("E06", "己公司", "110101", "active", "张伟", "", "manager", "", "x"),          # no ID: name only
    ("E07", "庚公司", "110101", "active", "张伟", S, "legal_rep", "", "x"),         # stranger with valid ID
    ("E08", "辛公司", "110101", "active", "刘芳", T, "supervisor", "", "x"),        # same-name stranger
    ("E09", "壬公司", "110101", "active", "孙立", G, "director", "", "x"),          # departed officer: not a rule
    ("E10", "癸公司", "110101", "active", "张伟", A.translate(FW), "shareholder", "0.5", "x"),  # full-width digits
    ("E10", "癸公司", "110101", "active", "张伟", A, "director", "", "x"),          # same record, 2nd role
    ("E11", "子公司", "110102", "active", "周全", X18, "legal_rep", "", "x"),       # O7 declared lower-case x
    ("E12", "丑公司", "110101", "active", "李兵", mk("11010119780707001"), "legal_rep", "", "x"),  # sibling: no rule
    ("E13", "寅公司", "110101", "active", "张伟", bad_checksum(A), "manager", "", "x"),  # typo, 1 digit off
    ("E14", "卯公司", "110101", "cancelled", "刘芳", B, "manager", "", "x"),        # cancelled
    # O1's child (birth date only) against numbers failing their checksum: the birth date they show
    ("E15", "辰公司", "110101", "active", "张小明", bad_checksum(mk("11010120050101005")), "director", "", "x"),
    ("E16", "巳公司", "110101", "active", "张小明", bad_checksum(mk("11010120050102005")), "director", "", "x"),
]
LAWYERS = [
    ("license_no", "name", "id_number", "birth_date", "firm_name", "firm_region_code", "status"),
    ("L1", "张小明", "", "2005-01-01", "甲律所", "110101", "practising"),   # O1's child, fuzzy by birth date
    ("L2", "王强", D, "", "乙律所", "310101", "practising"),                 # O3 departed 2025: hit
    ("L3", "李老", C, "", "丙律所", "110101", "practising"),                 # O2's parent: no relative_lawyer
    ("L4", "赵敏", E, "", "丁律所", "110101", "practising"),                 # O4 left 2020: no hit
    ("L5", "钱多", F, "", "戊律所", "110101", "practising"),                 # O5 police: no hit
    ("L6", "张小明", "", "2006-02-02", "己律所", "110101", "practising"),   # same name, other birth date
    ("L7", "刘芳", B, "", "庚律所", "320101", "practising"),                 # spouse outside jurisdiction
    ("L8", "刘芳", B, "", "辛律所", "110108", "suspended"),                  # spouse, suspended
    ("L9", "李小雨", mk("11010120000303002"), "", "壬律所", "110101", "practising"),  # O2's child? name only
    ("L10", "李兵", "", "1980-01-01", "癸律所", "110101", "practising"),    # O2's sibling's name, other birth date
    ("L11", "李兵", mk("11010119790909003"), "", "子律所", "110101", "practising"),  # same name, other valid ID
    ("L12", "李娜", "", "", "丑律所", "110101", "practising"),               # O2's own name, nothing else
    ("L13", "王丽", mask_id(mk("11010119760606004")), "", "寅律所", "110101", "practising"),  # masked, no birth
    ("L14", "王丽", bad_checksum(mk("11010119600101004")), "", "卯律所", "110101", "practising"),  # shows 1960
    ("L11", "李兵", "", "", "子律所", "110101", "practising"),               # L11's second row: nothing
    ("L15", "李大雨", mk("11010119600202006"), "", "辰律所", "110101", "practising"),  # both have numbers
]
CASES = [
    ("case_id", "handler_officer_id", "lawyer_license_no"),
    ("C1", "O1", "L1"),   # child represented: hit (fuzzy)
    ("C2", "O2", "L3"),   # parent represented: hit (id)
    ("C3", "O1", "L3"),   # not O1's relative
    ("C4", "O1", "L7"),   # spouse (any firm) represented: hit
    ("C5", "O3", "L2"),   # O3 himself, departed: not case_conflict
    ("C6", "O2", "L9"),   # O2's child by name only, on O2's own case: hit (fuzzy, name + case)
    ("C7", "O1", "L9"),   # the same lawyer on another officer's case: no hit
    ("C8", "O2", "L10"),  # birth dates disagree: no hit
    ("C9", "O2", "L11"),  # ID numbers disagree: no hit
    ("C10", "O2", "L12"), # the officer's own name: case_conflict is about relatives
    ("C11", "O2", "L13"), # O2's spouse by name only (masked ID hides the birth date): hit
    ("C12", "O2", "L14"), # birth dates disagree (the failing number's): no hit
    ("C13", "O2", "L7"),  # L7 is O1's spouse by ID: not O2's namesake sibling
    ("C14", "O2", "L15"), # both sides have an ID number: not name only
]

# (rule, officer_id, subject, registry, record_key, match)
EXPECTED = {
    ("officer_business", "O1", "officer", "enterprises", "E01", "fuzzy"),
    ("officer_business", "O1", "officer", "enterprises", "E10", "id"),
    ("officer_business", "O1", "officer", "enterprises", "E13", "fuzzy"),
    ("officer_business", "O7", "officer", "enterprises", "E11", "id"),
    ("relative_business", "O1", "spouse", "enterprises", "E02", "id"),
    ("relative_business", "O1", "child", "enterprises", "E15", "fuzzy"),
    ("relative_lawyer", "O1", "child", "lawyers", "L1", "fuzzy"),
    ("case_conflict", "O1", "child", "cases", "C1", "fuzzy"),
    ("case_conflict", "O2", "parent", "cases", "C2", "id"),
    ("case_conflict", "O1", "spouse", "cases", "C4", "id"),
    ("case_conflict", "O2", "child", "cases", "C6", "fuzzy"),
    ("case_conflict", "O2", "spouse", "cases", "C11", "fuzzy"),
    ("departed_lawyer", "O3", "officer", "lawyers", "L2", "id"),
}
AS_OF = "2026-01-01"


def write_csv(path: str, rows, bom: bool = False) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def write_dataset(d: str, *, fmt: str = "csv", skip: tuple[str, ...] = ()) -> str:
    os.makedirs(d, exist_ok=True)
    tables = {"roster": ROSTER, "relatives": RELATIVES, "enterprises": ENTERPRISES, "lawyers": LAWYERS,
              "cases": CASES}
    for stem, rows in tables.items():
        if stem in skip:
            continue
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            cols = rows[0]
            pq.write_table(pa.table({c: [r[i] or None for r in rows[1:]] for i, c in enumerate(cols)}),
                           os.path.join(d, f"{stem}.parquet"))
        else:
            write_csv(os.path.join(d, f"{stem}.csv"), rows, bom=(stem == "roster"))
    return d
