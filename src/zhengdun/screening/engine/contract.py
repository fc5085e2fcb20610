"""The input/output contract of ../shared/formats/screening.md, as data."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

RULES = ("officer_business", "relative_business", "relative_lawyer", "case_conflict", "departed_lawyer")

# which optional registries each rule needs
RULE_NEEDS = {
    "officer_business": ("enterprises",),
    "relative_business": ("enterprises",),
    "relative_lawyer": ("lawyers",),
    "case_conflict": ("lawyers", "cases"),
    "departed_lawyer": ("lawyers",),
}

FILES = {
    "roster": ("officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction", "role", "status",
               "left_date"),
    "relatives": ("officer_id", "relation", "name", "id_number", "birth_date"),
    "enterprises": ("credit_code", "enterprise_name", "region_code", "status", "person_name", "person_id_number",
                    "person_role", "share_ratio"),
    "lawyers": ("license_no", "name", "id_number", "birth_date", "firm_name", "firm_region_code", "status"),
    "cases": ("case_id", "handler_officer_id", "lawyer_license_no"),
}
REQUIRED_FILES = ("roster", "relatives")

ROLES = ("judge", "prosecutor", "police", "justice", "committee", "other")
RELATIONS = ("spouse", "child", "child_spouse", "parent", "sibling")
CLOSE_RELATIONS = ("spouse", "child", "child_spouse")
ENTERPRISE_STATUS = ("active", "revoked", "cancelled")
PERSON_ROLES = ("shareholder", "legal_rep", "director", "supervisor", "manager")
LAWYER_STATUS = ("practising", "suspended", "revoked")
OFFICER_STATUS = ("serving", "departed")

# (file, column, kind, arg) checks run on every input; kinds: date, enum, enum_or_empty,
# ratio, code (digits of one of the given lengths), nonempty
CHECKS = (
    ("roster", "officer_id", "nonempty", None),
    ("roster", "birth_date", "date", None),
    ("roster", "left_date", "date", None),
    ("roster", "jurisdiction", "nonempty", None),
    ("roster", "jurisdiction", "code", (2, 4, 6)),
    ("roster", "role", "enum", ROLES),
    ("roster", "status", "enum_or_empty", OFFICER_STATUS),
    ("relatives", "officer_id", "nonempty", None),
    ("relatives", "relation", "enum", RELATIONS),
    ("relatives", "birth_date", "date", None),
    ("enterprises", "credit_code", "nonempty", None),
    ("enterprises", "region_code", "code", (6,)),
    ("enterprises", "status", "enum", ENTERPRISE_STATUS),
    ("enterprises", "person_role", "enum", PERSON_ROLES),
    ("enterprises", "share_ratio", "ratio", None),
    ("lawyers", "license_no", "nonempty", None),
    ("lawyers", "birth_date", "date", None),
    ("lawyers", "firm_region_code", "code", (6,)),
    ("lawyers", "status", "enum", LAWYER_STATUS),
    ("cases", "case_id", "nonempty", None),
)

HIT_COLUMNS = ("rule", "officer_id", "subject", "subject_name", "registry", "record_key", "match", "score",
               "evidence")


class ScreeningInputError(Exception):
    """Bad input: names the file (and column) concerned. Nothing has been written."""

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None):
        super().__init__(message)
        self.file = file
        self.column = column


@dataclass(frozen=True, order=True)
class Hit:
    """One row of hits.csv; plain data so the platform can store it as it is."""

    rule: str
    officer_id: str
    subject: str
    subject_name: str
    registry: str
    record_key: str
    match: str
    score: float
    evidence: str

    def as_dict(self) -> dict:
        return asdict(self)

    def csv_row(self) -> list[str]:
        return [self.rule, self.officer_id, self.subject, self.subject_name, self.registry, self.record_key,
                self.match, format_score(self.score), self.evidence]


def format_score(score: float) -> str:
    s = f"{score:.3f}".rstrip("0").rstrip(".")
    return s or "0"


def sort_key(h: Hit):
    return (h.rule, h.officer_id, h.registry, h.record_key, h.subject)


PATTERN_CHARS = ("*", "?", "[", "]", "{", "}", "\\")


def check_folder_path(data_dir: str) -> None:
    if any(ch in os.path.abspath(data_dir) for ch in PATTERN_CHARS):
        raise ScreeningInputError(f"{data_dir}: the folder's path holds one of {' '.join(PATTERN_CHARS)}, which "
                                  f"the readers take as a file pattern; rename the folder or link it under "
                                  f"another name", file=data_dir)


def check_file_names(data_dir: str) -> None:
    """Refuse a contract file whose name differs only in case (``Enterprises.csv``,
    ``lawyers.PARQUET``): it would otherwise be left out without a word. (Only the data folder's
    own entries are read; nothing else in it matters.)"""
    try:
        entries = os.listdir(data_dir)
    except OSError as exc:
        raise ScreeningInputError(f"{data_dir}: cannot list the folder: {exc.strerror or exc}", file=data_dir)
    for entry in sorted(entries):
        stem, ext = os.path.splitext(entry)
        exact = stem in FILES and ext in (".csv", ".parquet")
        if not exact and stem.lower() in FILES and ext.lower() in (".csv", ".parquet"):
            raise ScreeningInputError(f"{entry}: file names are lower case: rename it {stem.lower()}{ext.lower()}",
                                      file=entry)


def locate_inputs(data_dir: str) -> dict[str, str]:
    """Map file stem -> path (.csv or .parquet). Raises on missing required files, ambiguity, a
    misnamed contract file or a link to nothing."""
    if not os.path.isdir(data_dir):
        raise ScreeningInputError(f"{data_dir}: not a directory", file=data_dir)
    check_folder_path(data_dir)
    check_file_names(data_dir)
    found: dict[str, str] = {}
    for stem in FILES:
        cands = [os.path.join(data_dir, stem + ext) for ext in (".csv", ".parquet")]
        cands = [c for c in cands if os.path.lexists(c)]
        if len(cands) > 1:
            raise ScreeningInputError(f"{stem}: both {stem}.csv and {stem}.parquet exist; keep one", file=cands[0])
        if cands and not os.path.exists(cands[0]):
            name = os.path.basename(cands[0])
            raise ScreeningInputError(f"{name}: cannot read file: it is a link to a file that does not exist",
                                      file=name)
        if cands and not os.path.isfile(cands[0]):  # a folder, a pipe, a device
            name = os.path.basename(cands[0])
            raise ScreeningInputError(f"{name}: not a regular file", file=name)
        if cands:
            found[stem] = cands[0]
        elif stem in REQUIRED_FILES:
            raise ScreeningInputError(f"{os.path.join(data_dir, stem)}.csv|.parquet: required file is missing",
                                      file=stem)
    return found
