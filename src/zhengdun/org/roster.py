"""Roster import and export: officers and their declared relatives from and to .xlsx / .csv.

File layout (see docs/roster.md):
- .xlsx: one workbook, sheet 干警 (officers) and sheet 亲属 (relatives); either may be absent.
  Sheets with other names are recognised by their header row; 填写说明 is ignored.
- .csv: one table per file, officers or relatives, recognised by the header row
  (a relatives file has the column 干警身份证号). UTF-8 with or without BOM, or GB18030
  (what Excel writes for a Chinese "CSV" file).

Rules the import enforces:
- every row is validated first; if any row is bad nothing is saved (all-or-nothing) and
  each problem names the sheet, the row as Excel shows it, the column and the reason;
- officers are matched on the keyed hash of the ID number, relatives on (officer, relation,
  name): new ones are created, existing ones updated only in the fields that differ, and
  unchanged rows are not written at all (so re-importing the same file writes nothing,
  not even audit entries);
- the import never deletes anything;
- a unit the importer may not write is reported exactly like a unit that does not exist.
"""

from __future__ import annotations

import base64
import codecs
import csv
import datetime as dt
import hashlib
import hmac
import html
import io
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter, mul

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.audit.chain import audited, record
from zhengdun.org import idnumbers
from zhengdun.org.access import STAFF_ROLES, Scope, scope_for
from zhengdun.org.models import (
    Gender,
    Officer,
    OfficerCategory,
    OfficerStatus,
    Party,
    Relation,
    Relative,
    Role,
    Unit,
    User,
)
from zhengdun.stats.triggers import officer_inserts

IMPORT_ROLES = (Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SYSADMIN)
EXPORT_ROLES = tuple(sorted(STAFF_ROLES))
ALLOWED_SUFFIXES = (".xlsx", ".csv")

OFFICER_SHEET = "干警"
RELATIVE_SHEET = "亲属"
HELP_SHEET = "填写说明"
LOOKUP_CHUNK = 2000  # values per IN (…) look-up
WRITE_CHUNK = 5000  # parameter rows per executemany call
SQLITE_CACHE_KIB = 256 * 1024
SCAN_FROM = 10_000  # look-ups of at least this many officers may read the whole table instead  # page cache while an import writes (SQLite only)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, Chinese label)
    help: str = ""


def _choices(enum) -> tuple[tuple[str, str], ...]:
    return tuple((value, str(label)) for value, label in enum.choices)


# The one place the headers are defined (template, import, export and docs follow it).
OFFICER_COLUMNS = (
    Column("单位代码", "unit", True, 20, help="系统中的单位代码（见单位架构页面），须在您的管辖范围内"),
    Column("姓名", "name", True, 50),
    Column("性别", "gender", False, choices=_choices(Gender), help="男/女；可留空，按身份证号推算，填写时须与身份证号一致"),
    Column("身份证号", "id_number", True, help="18 位（或旧式 15 位）居民身份证号，请将该列设为文本格式"),
    Column("出生日期", "birth_date", False, help="可留空，按身份证号推算；填写时须与身份证号一致。格式 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD"),
    Column("职务", "position", False, 60),
    Column("人员类别", "category", False, choices=_choices(OfficerCategory), help="留空视为 政法干警"),
    Column("政治面貌", "party", True, choices=_choices(Party)),
    Column("状态", "status", False, choices=_choices(OfficerStatus), help="留空视为 在职"),
)
RELATIVE_COLUMNS = (
    Column("干警身份证号", "officer_id_number", True, help="申报该亲属的干警的身份证号（本文件干警表中或系统中已有的干警）"),
    Column("关系", "relation", True, choices=_choices(Relation)),
    Column("姓名", "name", True, 50),
    Column("身份证号", "id_number", False, help="可留空（留空不会清除系统中已登记的号码）"),
    Column("工作单位", "work_unit", False, 100),
    Column("职业", "occupation", False, 60),
)
OFFICER_HEADERS = tuple(c.header for c in OFFICER_COLUMNS)
RELATIVE_HEADERS = tuple(c.header for c in RELATIVE_COLUMNS)

# Extra spellings accepted on import (labels and stored values are accepted too).
_SYNONYMS = {
    "gender": {"男性": "M", "女性": "F"},
    "party": {"党员": "cpc", "中共": "cpc", "预备党员": "probationary", "团员": "league", "共青团": "league"},
    "category": {"干警": "officer", "警务辅助人员": "auxiliary", "辅助人员": "auxiliary"},
    "status": {"在岗": "serving", "离岗": "departed", "调离": "departed"},
    "relation": {"丈夫": "spouse", "妻子": "spouse", "夫妻": "spouse", "儿子": "child", "女儿": "child",
                 "儿媳": "child_spouse", "女婿": "child_spouse", "父亲": "parent", "母亲": "parent",
                 "哥哥": "sibling", "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling", "兄弟": "sibling",
                 "姐妹": "sibling"},
}
_DEFAULTS = {"category": OfficerCategory.OFFICER.value, "status": OfficerStatus.SERVING.value}
_OFFICER_DATA_FIELDS = ("unit_id", "name", "gender", "birth_date", "position", "category", "party", "status")
_RELATIVE_DATA_FIELDS = ("unit_id", "work_unit", "occupation")
_ID_FIELDS = ("id_number_enc", "id_number_hash", "id_number_masked")


def _choice_maps() -> dict[str, dict[str, str]]:
    maps = {}
    for col in OFFICER_COLUMNS + RELATIVE_COLUMNS:
        if col.choices:
            table = {}
            for value, label in col.choices:
                table[value.lower()] = value
                table[label] = value
            table.update(_SYNONYMS.get(col.field, {}))
            maps[col.field] = table
    return maps


# --- results -----------------------------------------------------------------------------------

@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{self.sheet}·{where}：{self.message}"

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    officers: Counts = field(default_factory=Counts)
    relatives: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    saved: bool = False
    rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return self.officers.created + self.relatives.created

    @property
    def updated(self) -> int:
        return self.officers.updated + self.relatives.updated

    @property
    def unchanged(self) -> int:
        return self.officers.unchanged + self.relatives.unchanged

    def summary(self) -> str:
        return _("新增 %(c)d / 更新 %(u)d / 未变化 %(k)d") % {"c": self.created, "u": self.updated,
                                                          "k": self.unchanged}

    def as_dict(self) -> dict:
        return {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "officers": vars(self.officers).copy(), "relatives": vars(self.relatives).copy(),
            "dry_run": self.dry_run, "saved": self.saved, "rows": self.rows,
            "errors": [e.as_dict() for e in self.errors],
        }


class RosterFileError(ValueError):
    """The file as a whole cannot be read (wrong type, too large, unreadable, no known sheet)."""


# --- reading files -----------------------------------------------------------------------------

@dataclass
class Table:
    kind: str  # "officers" or "relatives"
    sheet: str  # name shown in error reports
    header: list[str]
    rows: Iterable[tuple[int, tuple | list]]  # (row number as Excel shows it, values)


def check_upload(name: str, size: int) -> str:
    """Return the lower-case suffix, or raise RosterFileError with a message for people."""
    suffix = os.path.splitext(name or "")[1].lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise RosterFileError(_("只支持 .xlsx 或 .csv 文件（收到的是「%(name)s」）") % {"name": name or "?"})
    limit = settings.ROSTER_IMPORT_MAX_BYTES
    if size > limit:
        raise RosterFileError(_("文件过大：%(size).1f MB，上限为 %(limit).1f MB")
                              % {"size": size / 1048576, "limit": limit / 1048576})
    if size == 0:
        raise RosterFileError(_("文件为空"))
    return suffix


def _clean_header(value) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"\s+", "", text.replace("\ufeff", "")).rstrip("*＊")


def _kind_of(header: list[str]) -> str | None:
    names = set(header)
    if "干警身份证号" in names:
        return "relatives"
    if "单位代码" in names or "出生日期" in names:
        return "officers"
    return None


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (Excel's "CSV" on Chinese Windows)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterFileError(_("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GB18030（Excel 的「CSV」格式）"))


def read_csv(data: bytes) -> list[Table]:
    text = decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header_row = next(reader, None)
    if header_row is None:
        raise RosterFileError(_("CSV 文件没有内容"))
    header = [_clean_header(h) for h in header_row]
    kind = _kind_of(header)
    if kind is None:
        raise RosterFileError(_("无法识别 CSV 文件的表头：干警文件须含「单位代码」列，亲属文件须含「干警身份证号」列"))
    sheet = OFFICER_SHEET if kind == "officers" else RELATIVE_SHEET
    return [Table(kind, sheet, header, enumerate(reader, start=2))]  # rows as lists: no copy per row


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _open_workbook(fileobj):
    """The workbook's parts as openpyxl reads them (sheet list, shared strings, date styles) without
    openpyxl's per-cell objects: the sheets themselves are streamed by _sheet_rows."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        reader = ExcelReader(fileobj, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile, KeyError, XML errors: not a workbook
        raise RosterFileError(_("无法读取 .xlsx 文件（文件损坏或不是 Excel 工作簿）：%(err)s")
                              % {"err": exc.__class__.__name__})
    return reader, sheets


def _column_index(ref: str, cache: dict[str, int]) -> int:
    letters = ref.rstrip("0123456789")
    index = cache.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index -= 1
        cache[letters] = index
    return index


def _sheet_rows(reader, path: str) -> Iterator[tuple[int, tuple]]:
    """Stream (row number, values) from one worksheet with lxml: the same values openpyxl's read-only
    mode gives (shared and inline strings, numbers, booleans, date-formatted numbers as datetimes),
    several times faster because no cell objects are built. Works for any well-formed sheet."""
    from lxml import etree

    with reader.archive.open(path) as source:
        rows = etree.iterparse(source, events=("end",), tag=f"{_SHEET_NS}row", huge_tree=True,
                               resolve_entities=False, no_network=True)
        yield from _row_elements((row for _event, row in rows), reader)


def _row_elements(rows, reader, expected: int = 1) -> Iterator[tuple[int, tuple]]:
    from openpyxl.utils.datetime import from_excel

    strings = reader.shared_strings
    date_styles = reader.wb._date_formats
    epoch = reader.wb.epoch
    v_tag = f"{_SHEET_NS}v"
    columns: dict[str, int] = {}
    for row in rows:
        r = row.get("r")
        number = int(r) if r else expected
        expected = number + 1
        values: list = []
        for c in row:
            ref = c.get("r")
            if ref:
                col = columns.get(ref.rstrip("0123456789"))
                if col is None:
                    col = _column_index(ref, columns)
            else:
                col = len(values)
            kind = c.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{_SHEET_NS}t")
                                if t.getparent().tag != f"{_SHEET_NS}rPh")
            else:
                value = c.findtext(v_tag) or None
                if value is not None:
                    if kind == "s":
                        value = strings[int(value)]
                    elif kind == "b":
                        value = value == "1"
                    elif kind in (None, "n"):
                        value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                        style = c.get("s")
                        if style is not None and int(style) in date_styles:
                            value = from_excel(value, epoch)
                    elif kind == "d":
                        value = dt.datetime.fromisoformat(value.rstrip("Z"))
            if col >= len(values):
                values.extend([None] * (col + 1 - len(values)))
            values[col] = value
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
        yield number, tuple(values)


MEMO_LIMIT = 500_000  # distinct cell texts remembered by the .xlsx reader
_ROW_RE = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_NUMBER = re.compile(r'(?:^|\s)r="(\d+)"')
# A cell as Excel, WPS, LibreOffice and openpyxl write it: r, then optional s and t, then a value.
_CELL_RE = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
                      r'(?:/>|><v>([^<]*)</v></c>|><is><t(?: [^>]*)?>([^<]*)</t></is></c>|></c>)')
_PREFIXED = re.compile(r"<\w+:(?:row|c)\b|<!\[CDATA\[|<c [^>]*\w:\w+=")


def _split_rows(text: str) -> Iterator[tuple[str, str]]:
    """(attributes, body) of each <row> of a piece of sheet XML that ends at a </row> (or at the end
    of the sheet), as _ROW_RE finds them, but by splitting at </row>: the regular expression's lazy
    scan for the end tag took 2 s for 200,000 rows, the split 0.1 s. Pieces holding more than one
    row start (an empty <row/> before a row) go through _ROW_RE."""
    pieces = text.split("</row>")
    for piece in pieces[:-1]:
        start = piece.find("<row")
        if start < 0:
            continue
        close = piece.find(">", start)
        if close < 0 or piece.find("<row", start + 4) >= 0 or piece[close - 1] == "/":
            yield from _ROW_RE.findall(piece + "</row>")
            continue
        yield piece[start + 4:close], piece[close + 1:]
    if "<row" in pieces[-1]:
        yield from _ROW_RE.findall(pieces[-1])


def _sheet_rows_fast(reader, path: str) -> Iterator[tuple[int, tuple]] | None:
    """Stream (row number, values) with one regular expression per row, for sheets in the usual
    form; a row whose cells do not all match falls back to lxml. Returns None (use _sheet_rows) for
    sheets with namespace prefixes or CDATA."""
    source = reader.archive.open(path)
    head = source.read(1 << 20)
    if _PREFIXED.search(head.decode("utf-8", "ignore")):
        source.close()
        return None
    return _fast_rows(reader, source, head)


def _fast_rows(reader, source, buffer: bytes) -> Iterator[tuple[int, tuple]]:
    from lxml import etree
    from openpyxl.utils.datetime import from_excel

    strings = reader.shared_strings
    date_styles = {str(s) for s in reader.wb._date_formats}
    epoch = reader.wb.epoch
    columns: dict[str, int] = {}
    # Inline strings with character references (openpyxl writes every Chinese character as &#NNNNN;)
    # and date serials, decoded once per distinct text: names, units and dates repeat a lot.
    texts: dict[str, str] = {}
    dates: dict[str, dt.datetime] = {}
    expected = 1
    with source:
        while True:
            block = source.read(1 << 22)
            buffer += block
            end = buffer.rfind(b"</row>") + 6 if block else len(buffer)
            if end < 6 and block:
                continue
            text, buffer = buffer[:end].decode("utf-8"), buffer[end:]
            for row_attrs, body in _split_rows(text):
                match = _ROW_NUMBER.search(row_attrs)
                number = int(match.group(1)) if match else expected
                expected = number + 1
                cells = _CELL_RE.findall(body)
                if len(cells) != body.count("<c "):
                    # Unusual cell markup (rich text, formulas, other attributes): parse this row fully.
                    row = etree.fromstring(f'<row xmlns="{_SHEET_NS[1:-1]}">{body}</row>',
                                           etree.XMLParser(resolve_entities=False, no_network=True))
                    yield number, next(_row_elements([row], reader))[1]
                    continue
                values: list = []
                for letters, style, kind, v, inline in cells:
                    col = columns.get(letters)
                    if col is None:
                        col = _column_index(letters, columns)
                    if kind == "inlineStr":
                        if "&" in inline:
                            value = texts.get(inline)
                            if value is None:
                                value = html.unescape(inline)
                                if len(texts) < MEMO_LIMIT:
                                    texts[inline] = value
                        else:
                            value = inline
                    elif not v:
                        value = None
                    elif kind == "s":
                        value = strings[int(v)]
                    elif not kind or kind == "n":
                        if style in date_styles:
                            value = dates.get(v)
                            if value is None:
                                value = from_excel(float(v) if ("." in v or "E" in v or "e" in v) else int(v), epoch)
                                if len(dates) < MEMO_LIMIT:
                                    dates[v] = value
                        else:
                            value = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                    elif kind == "b":
                        value = v == "1"
                    elif kind == "d":
                        value = dt.datetime.fromisoformat(v.rstrip("Z"))
                    else:
                        value = html.unescape(v) if "&" in v else v
                    if col == len(values):
                        values.append(value)
                    else:
                        if col > len(values):
                            values.extend([None] * (col - len(values)))
                            values.append(value)
                        else:
                            values[col] = value
                yield number, tuple(values)
            if not block:
                break


def read_xlsx(fileobj) -> list[Table]:
    reader, sheets = _open_workbook(fileobj)
    tables, kinds = [], set()
    for title, path in sheets:
        if title == HELP_SHEET:
            continue
        rows = _sheet_rows_fast(reader, path) or _sheet_rows(reader, path)
        first = next(rows, None)
        if first is None:
            continue
        header = [_clean_header(h) for h in first[1]]
        kind = {OFFICER_SHEET: "officers", RELATIVE_SHEET: "relatives"}.get(title) or _kind_of(header)
        if kind is None or kind in kinds:
            continue
        kinds.add(kind)
        tables.append(Table(kind, title, header, rows))
    if not tables:
        raise RosterFileError(_("工作簿中没有「干警」或「亲属」工作表"))
    return tables


def read_tables(fileobj, name: str) -> list[Table]:
    suffix = os.path.splitext(name or "")[1].lower()
    if suffix == ".csv":
        data = fileobj.read() if hasattr(fileobj, "read") else bytes(fileobj)
        return read_csv(data)
    if suffix == ".xlsx":
        if isinstance(fileobj, bytes | bytearray):
            fileobj = io.BytesIO(fileobj)
        return read_xlsx(fileobj)
    raise RosterFileError(_("只支持 .xlsx 或 .csv 文件"))


# --- cell values -------------------------------------------------------------------------------

class CellError(ValueError):
    pass


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _text(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value) -> dt.date | None:
    if type(value) is str and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # an Excel serial day number in a cell not formatted as a date
            from openpyxl.utils.datetime import from_excel

            if 19000101 <= value <= 29991231 and float(value).is_integer():
                value = str(int(value))
            else:
                return from_excel(value).date()
        else:
            raise CellError(_("日期格式不正确"))
    text = str(value).strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    match = _DATE_RE.match(text)
    if match:
        parts = match.groups()
    elif re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    else:
        raise CellError(_("日期格式不正确，应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD"))
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError(_("日期 %(v)s 不存在") % {"v": text})


@dataclass
class IdValue:
    number: str = ""  # canonical 18-character number
    masked: str = ""  # a masked number from a masked export (resolved against existing records)


def _parse_id(value) -> IdValue:
    if value is None or value == "":
        return IdValue()
    if isinstance(value, float):
        if not value.is_integer() or value >= 1e15:
            raise CellError(_("身份证号被 Excel 存成了数字，已丢失末几位：请把该列设为文本格式后重新填写"))
        value = int(value)
    text = idnumbers.clean(value)
    if not text:
        return IdValue()
    if "*" in text:
        if re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", text):
            return IdValue(masked=text)
        raise CellError(_("身份证号已脱敏但格式不对，无法识别"))
    try:
        return IdValue(number=idnumbers.normalize(text))
    except idnumbers.InvalidIdNumber as exc:
        raise CellError(str(exc))


# --- fast identity helpers (same format as zhengdun.org.identity, one key set-up per import) ---

class _Identity:
    """Encrypts and hashes many ID numbers with one cipher and one HMAC key schedule."""

    def __init__(self):
        self._aes = AESGCM(settings.ID_ENCRYPTION_KEY)
        self._mac = hmac.new(settings.ID_HMAC_KEY, digestmod=hashlib.sha256)
        self._version = "v1"
        self._aad = self._version.encode()

    def lookup_hash(self, number: str) -> str:
        mac = self._mac.copy()
        mac.update(number.encode())
        return mac.hexdigest()

    def encrypt(self, number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aes.encrypt(nonce, number.encode(), self._aad)
        return f"{self._version}:{base64.b64encode(nonce + sealed).decode()}"

    def fields(self, number: str, digest: str | None = None) -> dict:
        return {"id_number_enc": self.encrypt(number), "id_number_hash": digest or self.lookup_hash(number),
                "id_number_masked": idnumbers.mask(number)}


# --- validation --------------------------------------------------------------------------------

@dataclass(slots=True)
class OfficerRow:
    row: int
    hash: str
    number: str
    masked: str
    data: dict  # unit_id, name, gender, birth_date, position, category, party, status


@dataclass
class RelativeRow:
    row: int
    officer_hash: str
    officer_masked: str
    relation: str
    name: str
    number: str
    masked: str
    work_unit: str
    occupation: str


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643, as in idnumbers.check_digit
_CHECK = "10X98765432"
_ZERO_SUM = ord("0") * sum(_WEIGHTS)  # the weighted sum of 17 ASCII zeros: bytes weigh in as their codes
_BIRTH_DATES: dict[str, dt.date | None] = {}  # YYYYMMDD -> date (None: no such day); 14k days for 200k officers


def _id_birth_date(digits: str) -> dt.date | None:
    birth = _BIRTH_DATES.get(digits, False)
    if birth is False:
        try:
            birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            birth = None
        if len(_BIRTH_DATES) < 100_000:
            _BIRTH_DATES[digits] = birth
    return birth


def _fast_id(value) -> tuple[str, dt.date] | None:
    """The common case (a clean 18-character number) without the general normaliser; None otherwise."""
    if type(value) is not str or len(value) != 18 or not value.isascii() or not value[:17].isdigit():
        return None
    last = value[17]
    if last == "x":
        value, last = value[:17] + "X", "X"
    # map() stops after the 17 weights, so the check character itself is not summed.
    if not (last.isdigit() or last == "X") or _CHECK[(sum(map(mul, value.encode(), _WEIGHTS)) - _ZERO_SUM) % 11] != last:
        return None
    birth = _id_birth_date(value[6:14])
    return None if birth is None else (value, birth)


class _Validator:
    """Checks every row of every table, collecting all problems; keeps the good rows for planning."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.errors: list[RowError] = []
        self.choice_maps = _choice_maps()
        self.ident = _Identity()
        self.unit_cache: dict[str, Unit | None] = {}
        self.officers: list[OfficerRow] = []
        self.relatives: list[RelativeRow] = []
        self.officer_rows_by_hash: dict[str, int] = {}
        self.officer_sheet = OFFICER_SHEET
        self.relative_sheet = RELATIVE_SHEET
        self.rows = 0

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(sheet, row, column, message))

    def _columns(self, table: Table, columns: tuple[Column, ...]) -> dict[str, int] | None:
        index: dict[str, int] = {}
        for pos, name in enumerate(table.header):
            if not name:
                continue
            if name in index:
                self.error(table.sheet, 1, name, _("表头重复"))
            index.setdefault(name, pos)
        missing = [c.header for c in columns if c.required and c.header not in index]
        for name in missing:
            self.error(table.sheet, 1, name, _("缺少必填列"))
        return None if missing else index

    def _choice(self, column: Column, raw) -> str:
        raw = _text(raw)
        if not raw:
            if column.required:
                raise CellError(_("必填"))
            return _DEFAULTS.get(column.field, "")
        table = self.choice_maps[column.field]
        value = table.get(raw) or table.get(raw.lower())
        if value is None:
            raise CellError(_("取值「%(v)s」无效，应为：%(opts)s")
                            % {"v": raw[:20], "opts": "、".join(label for _v, label in column.choices)})
        return value

    def _prefetch_units(self, codes: set[str]) -> None:
        wanted = [c for c in codes if c and c not in self.unit_cache]
        found = {}
        for chunk in _chunks(wanted):
            found.update((u.code, u) for u in Unit.objects.filter(code__in=chunk).only("id", "path", "code", "is_active"))
        for code in wanted:
            unit = found.get(code)
            self.unit_cache[code] = unit if unit is not None and self.scope.can_write_unit(unit) else None

    @staticmethod
    def _data_rows(table: Table, width: int) -> list[tuple[int, tuple]]:
        """Non-empty rows, padded so every column position (and `width - 1`, the stand-in for a
        missing optional column) can be indexed directly."""
        rows = []
        append = rows.append
        for number, values in table.rows:
            first = values[0] if values else None
            if not (type(first) is str and first and not first.isspace()):  # else: certainly not empty
                for value in values:
                    if value is not None and (type(value) is not str or value.strip()):
                        break
                else:
                    continue
            if len(values) < width:
                values = tuple(values) + (None,) * (width - len(values))
            append((number, values))
        return rows

    def officers_table(self, table: Table) -> None:
        self.officer_sheet = table.sheet
        index = self._columns(table, OFFICER_COLUMNS)
        if index is None:
            return
        # Position len(header) stands in for a missing optional column (rows are padded to reach it).
        missing = any(c.header not in index for c in OFFICER_COLUMNS)
        width = len(table.header) + missing
        positions = tuple(index.get(c.header, len(table.header)) for c in OFFICER_COLUMNS)
        rows = self._data_rows(table, width)
        self.rows += len(rows)
        p_unit = index["单位代码"]
        self._prefetch_units({_text(values[p_unit]) for _n, values in rows})
        sheet = table.sheet
        accept = self._officer_fast_path(positions)
        general = self._officer_row
        for number, values in rows:
            if not accept(number, values):
                general(sheet, number, values, positions)

    def _officer_fast_path(self, positions: tuple):
        """A checker for the usual row (text cells, a clean 18-digit number, known choice labels): it
        accepts the row exactly as _officer_row would and returns True, or returns False without
        side effects, and _officer_row looks at the row and names its problems. About three times
        faster than _officer_row, which matters at 200,000 rows."""
        p_unit, p_name, p_gender, p_id, p_birth, p_position, p_category, p_party, p_status = positions
        units = {code: unit.id for code, unit in self.unit_cache.items() if unit is not None and unit.is_active}
        columns = {c.field: c for c in OFFICER_COLUMNS}
        memo: dict[str, dict] = {f: {} for f in ("gender", "category", "party", "status")}
        choice = self._choice

        def chosen(field_name: str, raw):
            """_choice() for text cells, remembered per distinct text (a pure function of it)."""
            seen = memo[field_name]
            value = seen.get(raw)
            if value is None:
                if type(raw) is not str and raw is not None:
                    return None
                try:
                    value = seen[raw] = choice(columns[field_name], raw)
                except CellError:
                    return None
            return value

        dates: dict = {}

        def birth_given(raw):
            """_parse_date() for text and datetime cells, remembered per distinct value; False: unusual."""
            if raw is None or raw == "":
                return None
            date = dates.get(raw, False)
            if date is False:
                if type(raw) is not str and type(raw) is not dt.datetime:
                    return False  # numbers: 1 == 1.0 == True as dict keys, so not remembered
                try:
                    date = dates[raw] = _parse_date(raw)
                except CellError:
                    return False
            return date

        mac = self.ident._mac
        by_hash = self.officer_rows_by_hash
        officers = self.officers
        str_ = str

        def accept(number: int, values) -> bool:
            code, name, position = values[p_unit], values[p_name], values[p_position]
            if type(code) is not str_ or type(name) is not str_:
                return False
            unit_id = units.get(code.strip())
            name = name.strip()
            if unit_id is None or not name or len(name) > 50:
                return False
            if type(position) is str_:
                position = position.strip()
                if len(position) > 60:
                    return False
            elif position is None:
                position = ""
            else:
                return False
            fast = _fast_id(values[p_id])
            if fast is None:
                return False
            number18, birth = fast
            sex = "M" if number18[16] in "13579" else "F"
            gender = chosen("gender", values[p_gender])
            category = chosen("category", values[p_category])
            party = chosen("party", values[p_party])
            status = chosen("status", values[p_status])
            if gender is None or category is None or party is None or status is None or (gender and gender != sex):
                return False
            given = birth_given(values[p_birth])
            if given is False or (given is not None and given != birth):
                return False
            h = mac.copy()
            h.update(number18.encode())
            digest = h.hexdigest()
            if digest in by_hash:
                return False  # a duplicate: reported by _officer_row
            by_hash[digest] = number
            officers.append(OfficerRow(number, digest, number18, "", {
                "unit_id": unit_id, "name": name, "position": position, "gender": sex, "category": category,
                "party": party, "status": status, "birth_date": birth}))
            return True

        return accept

    def _officer_row(self, sheet: str, number: int, values: tuple, positions: tuple) -> None:
        """One officer row. Unrolled by column (this runs 200,000 times for a province)."""
        p_unit, p_name, p_gender, p_id, p_birth, p_position, p_category, p_party, p_status = positions
        problems: list[tuple[str, str]] = []
        data: dict = {}
        # 单位代码
        code = _text(values[p_unit])
        unit = self.unit_cache.get(code)
        if not code:
            problems.append(("单位代码", _("必填")))
        elif unit is None:
            problems.append(("单位代码", _("单位代码不存在或不在您的管辖范围内")))
        elif not unit.is_active:
            problems.append(("单位代码", _("该单位已停用")))
        else:
            data["unit_id"] = unit.id
        # 姓名, 职务
        for key, header, pos, limit, required in (("name", "姓名", p_name, 50, True),
                                                  ("position", "职务", p_position, 60, False)):
            text = _text(values[pos])
            if required and not text:
                problems.append((header, _("必填")))
            elif len(text) > limit:
                problems.append((header, _("不能超过 %(n)d 个字") % {"n": limit}))
            data[key] = text
        # choices: 性别, 人员类别, 政治面貌, 状态
        for column, pos in self._choice_columns(p_gender, p_category, p_party, p_status):
            try:
                data[column.field] = self._choice(column, values[pos])
            except CellError as exc:
                problems.append((column.header, str(exc)))
        # 身份证号
        number18, masked, birth_from_id = "", "", None
        fast = _fast_id(values[p_id])
        if fast is not None:
            number18, birth_from_id = fast
        else:
            try:
                parsed = _parse_id(values[p_id])
                if not (parsed.number or parsed.masked):
                    raise CellError(_("必填"))
                number18, masked = parsed.number, parsed.masked
                if number18:
                    birth_from_id = idnumbers.birth_date(number18)
            except CellError as exc:
                problems.append(("身份证号", str(exc)))
        # 出生日期
        try:
            birth_given = _parse_date(values[p_birth])
        except CellError as exc:
            problems.append(("出生日期", str(exc)))
            birth_given = None
        if number18:
            if birth_given is not None and birth_given != birth_from_id:
                problems.append(("出生日期", _("与身份证号中的出生日期 %(d)s 不一致") % {"d": birth_from_id.isoformat()}))
            data["birth_date"] = birth_from_id
            sex = "M" if int(number18[16]) % 2 else "F"
            if data.get("gender") and data["gender"] != sex:
                problems.append(("性别", _("与身份证号不一致（第 17 位奇数为男、偶数为女）")))
            data["gender"] = sex
        elif masked:
            data["birth_date"] = birth_given
        digest = self.ident.lookup_hash(number18) if number18 else ""
        if number18 or masked:
            key = digest or f"masked:{masked}:{data.get('name', '')}"
            first = self.officer_rows_by_hash.get(key)
            if first is not None:
                problems.append(("身份证号", _("与第 %(n)d 行重复") % {"n": first}))
            else:
                self.officer_rows_by_hash[key] = number
        if problems:
            order = {h: i for i, h in enumerate(OFFICER_HEADERS)}
            for column_name, message in sorted(problems, key=lambda p: order.get(p[0], 99)):
                self.error(sheet, number, column_name, message)
            return
        self.officers.append(OfficerRow(number, digest, number18, masked, data))

    def _choice_columns(self, *positions):
        cached = getattr(self, "_choice_cols", None)
        if cached is None:
            cached = self._choice_cols = [c for c in OFFICER_COLUMNS if c.choices]
        return zip(cached, positions, strict=True)

    def relatives_table(self, table: Table) -> None:
        self.relative_sheet = table.sheet
        index = self._columns(table, RELATIVE_COLUMNS)
        if index is None:
            return
        width = len(table.header) + 1
        cols = [(c, index.get(c.header, width - 1)) for c in RELATIVE_COLUMNS]
        seen: dict[tuple, int] = {}
        sheet = table.sheet
        rows = self._data_rows(table, width)
        self.rows += len(rows)
        for number, values in rows:
            data: dict = {}
            ok = True
            for column, pos in cols:
                raw = values[pos]
                try:
                    if column.field in ("officer_id_number", "id_number"):
                        parsed = _parse_id(raw)
                        if column.required and not (parsed.number or parsed.masked):
                            raise CellError(_("必填"))
                        data[column.field] = parsed
                    elif column.choices:
                        data[column.field] = self._choice(column, raw)
                    else:
                        text = _text(raw)
                        if column.required and not text:
                            raise CellError(_("必填"))
                        if column.max_length and len(text) > column.max_length:
                            raise CellError(_("不能超过 %(n)d 个字") % {"n": column.max_length})
                        data[column.field] = text
                except CellError as exc:
                    ok = False
                    self.error(sheet, number, column.header, str(exc))
            if not ok:
                continue
            officer_id: IdValue = data["officer_id_number"]
            own: IdValue = data["id_number"]
            if own.number and own.number == officer_id.number:
                self.error(sheet, number, "身份证号", _("亲属的身份证号与干警本人相同"))
                continue
            officer_hash = self.ident.lookup_hash(officer_id.number) if officer_id.number else ""
            key = (officer_hash or officer_id.masked, data["relation"], data["name"])
            if key in seen:
                self.error(sheet, number, "姓名", _("与第 %(n)d 行重复（同一干警、同一关系、同名）") % {"n": seen[key]})
                continue
            seen[key] = number
            self.relatives.append(RelativeRow(
                number, officer_hash, officer_id.masked, data["relation"], data["name"],
                own.number, own.masked, data["work_unit"], data["occupation"]))


# --- planning against the database -------------------------------------------------------------

def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class _UnitRef:
    id: int
    path: str


def _writable(scope: Scope, rec: dict) -> bool:
    return scope.can_write_unit(_UnitRef(rec["unit_id"], rec["unit__path"]))


class _Writable:
    """_writable() remembered per unit: 200,000 records sit in a few hundred units."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.known: dict[int, bool] = {}

    def __call__(self, rec: dict) -> bool:
        ok = self.known.get(rec["unit_id"])
        if ok is None:
            ok = self.known[rec["unit_id"]] = _writable(self.scope, rec)
        return ok


@dataclass
class _Plan:
    officer_creates: list[OfficerRow] = field(default_factory=list)
    officer_updates: list[tuple[int, dict]] = field(default_factory=list)  # (officer id, all data fields)
    moved_officers: dict[int, int] = field(default_factory=dict)  # officer id -> new unit id
    relative_creates: list[tuple[RelativeRow, int | None, int]] = field(default_factory=list)  # row, officer, unit
    relative_updates: list[tuple[int, dict]] = field(default_factory=list)  # (relative id, changed fields)

    @property
    def empty(self) -> bool:
        return not (self.officer_creates or self.officer_updates or self.relative_creates or self.relative_updates)


_OFFICER_VALUES = ("id", "id_number_hash", "id_number_masked", "unit_id", "unit__path", "name", "gender",
                   "birth_date", "position", "category", "party", "status")


def _officers_by_hash(hashes: list[str]) -> Iterator[dict]:
    """The officers with these keyed hashes, as .values(*_OFFICER_VALUES) gives them, in chunks of
    LOOKUP_CHUNK. Plain SQL: at 200,000 rows the ORM's compilation of the IN lists and its per-row
    converters cost more than the queries themselves. Pass the hashes sorted: each chunk then reads
    one narrow slice of the unique index (and, for officers imported in bulk, of the table), half the
    time of random order."""
    qn = connection.ops.quote_name
    officer = Officer._meta
    def column(name: str) -> str:
        if name == "unit__path":
            return f"u.{qn(Unit._meta.get_field('path').column)}"
        sql = f"o.{qn(officer.get_field(name).column)}"
        if name == "birth_date" and connection.vendor == "sqlite":
            sql = f"CAST({sql} AS TEXT)"  # the ISO text as stored: no per-row date converter
        return sql

    columns = ", ".join(column(name) for name in _OFFICER_VALUES)
    select = (f"SELECT {columns} FROM {qn(officer.db_table)} o JOIN {qn(Unit._meta.db_table)} u "
              f"ON u.{qn(Unit._meta.pk.column)} = o.{qn(officer.get_field('unit').column)}")
    where = f" WHERE o.{qn(officer.get_field('id_number_hash').column)} IN "
    fromisoformat = dt.date.fromisoformat
    keys = _OFFICER_VALUES
    hash_at = keys.index("id_number_hash")
    with connection.cursor() as cursor:
        if len(hashes) >= SCAN_FROM:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(officer.db_table)}")
            registered = cursor.fetchone()[0]
            if not registered:
                return
            if len(hashes) * 3 >= registered:
                # Most of the roster is in the file (a re-import, a province-wide update): one scan
                # in table order beats index look-ups at random places.
                wanted = set(hashes)
                cursor.execute(select)
                while rows := cursor.fetchmany(WRITE_CHUNK):
                    for row in rows:
                        if row[hash_at] in wanted:
                            rec = dict(zip(keys, row, strict=True))
                            if type(rec["birth_date"]) is str:  # SQLite: the stored ISO text
                                rec["birth_date"] = fromisoformat(rec["birth_date"])
                            yield rec
                return
        for chunk in _chunks(hashes):
            cursor.execute(select + where + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
            for row in cursor.fetchall():
                rec = dict(zip(keys, row, strict=True))
                if type(rec["birth_date"]) is str:
                    rec["birth_date"] = fromisoformat(rec["birth_date"])
                yield rec


def _resolve_masked_officers(v: _Validator, scope: Scope) -> dict[tuple[str, str], dict]:
    """Rows carrying a masked number (from a masked export) match an existing officer in the
    importer's write scope with the same masked number and name (relatives: the same masked
    number alone), if exactly one does."""
    wanted = {(r.masked, r.data.get("name", "")) for r in v.officers if r.masked}
    wanted |= {(r.officer_masked, "") for r in v.relatives if r.officer_masked}
    if not wanted:
        return {}
    by_name: dict[tuple[str, str], list[dict]] = {}
    by_masked: dict[str, list[dict]] = {}
    for chunk in _chunks(sorted({m for m, _n in wanted})):
        for rec in Officer.objects.within(scope).filter(id_number_masked__in=chunk).values(*_OFFICER_VALUES):
            if _writable(scope, rec):
                by_name.setdefault((rec["id_number_masked"], rec["name"]), []).append(rec)
                by_masked.setdefault(rec["id_number_masked"], []).append(rec)
    result = {}
    for masked, name in wanted:
        matches = by_name.get((masked, name), []) if name else by_masked.get(masked, [])
        if len(matches) == 1:
            result[(masked, name)] = matches[0]
    return result


def _plan(v: _Validator, scope: Scope, result: ImportResult) -> _Plan:
    """Compare the good rows with the database: what to create, what to update, what is unchanged."""
    plan = _Plan()
    masked_matches = _resolve_masked_officers(v, scope)
    writable = _Writable(scope)
    known = writable.known
    existing: dict[str, dict] = {rec["id_number_hash"]: rec
                                 for rec in _officers_by_hash(sorted(r.hash for r in v.officers if r.hash))}
    same = itemgetter(*_OFFICER_DATA_FIELDS)
    sheet = v.officer_sheet
    file_officers: dict[str, int] = {}  # hash -> unit id, for relatives of officers in this file
    for row in v.officers:
        if row.masked:
            rec = masked_matches.get((row.masked, row.data.get("name", "")))
            if rec is None:
                v.error(sheet, row.row, "身份证号",
                        _("身份证号已脱敏，且在您的管辖范围内找不到唯一对应的人员：请填写完整身份证号"))
                continue
            if row.data.get("birth_date") not in (None, rec["birth_date"]):
                v.error(sheet, row.row, "出生日期", _("与系统中该人员的出生日期不一致"))
                continue
            if row.data.get("gender") not in (None, "", rec["gender"]):
                v.error(sheet, row.row, "性别", _("与系统中该人员的性别不一致"))
                continue
            row.hash = rec["id_number_hash"]
            row.data["birth_date"], row.data["gender"] = rec["birth_date"], rec["gender"]
            existing[row.hash] = rec
        rec = existing.get(row.hash)
        if rec is None:
            file_officers[row.hash] = row.data["unit_id"]
            plan.officer_creates.append(row)
            continue
        if not (known.get(rec["unit_id"]) or writable(rec)):
            v.error(sheet, row.row, "身份证号",
                    _("该身份证号已在您管辖范围以外的单位登记，无法导入（人员调动请联系上级教整办）"))
            continue
        file_officers[row.hash] = row.data["unit_id"]
        data = row.data
        if same(data) == same(rec):
            result.officers.unchanged += 1
            continue
        plan.officer_updates.append((rec["id"], data))
        if data["unit_id"] != rec["unit_id"]:
            plan.moved_officers[rec["id"]] = data["unit_id"]
    result.officers.created = len(plan.officer_creates)
    result.officers.updated = len(plan.officer_updates)
    if v.relatives:
        _plan_relatives(v, writable, plan, result, existing, file_officers, masked_matches)
    return plan


def _plan_relatives(v: _Validator, writable: _Writable, plan: _Plan, result: ImportResult, existing: dict,
                    file_officers: dict[str, int], masked_matches: dict) -> None:
    sheet = v.relative_sheet
    # Officers referred to by relatives but not in this file: in the database, inside the write scope.
    outside = sorted({r.officer_hash for r in v.relatives if r.officer_hash and r.officer_hash not in file_officers
                      and r.officer_hash not in existing})
    for rec in _officers_by_hash(outside):
        existing[rec["id_number_hash"]] = rec
    for (_masked, name), rec in masked_matches.items():
        if not name:
            existing[rec["id_number_hash"]] = rec
    targets: dict[str, tuple[int | None, int]] = {}  # officer hash -> (officer id or None if new, unit id)
    for row in v.relatives:
        if row.officer_masked:
            rec = masked_matches.get((row.officer_masked, ""))
            row.officer_hash = rec["id_number_hash"] if rec else ""
        h = row.officer_hash
        rec = existing.get(h)
        if h in file_officers:
            targets[h] = (rec["id"] if rec else None, file_officers[h])
        elif rec is not None and writable(rec):
            targets[h] = (rec["id"], rec["unit_id"])
        elif h and h in v.officer_rows_by_hash:
            continue  # the officer's own row is bad and already reported
        else:
            v.error(sheet, row.row, "干警身份证号", _("对应的干警不在本文件中，也不在您管辖范围内的系统记录中"))
    officer_ids = sorted({t[0] for t in targets.values() if t[0] is not None})
    current: dict[tuple[int, str, str], dict] = {}
    for chunk in _chunks(officer_ids):
        for rec in Relative.objects.filter(officer_id__in=chunk).values(
                "id", "officer_id", "relation", "name", "unit_id", "id_number_hash", "work_unit", "occupation"):
            current[(rec["officer_id"], rec["relation"], rec["name"])] = rec
    for row in v.relatives:
        target = targets.get(row.officer_hash)
        if target is None:
            continue
        officer_id, unit_id = target
        rec = current.get((officer_id, row.relation, row.name)) if officer_id else None
        if rec is None:
            if row.masked:
                v.error(sheet, row.row, "身份证号", _("身份证号已脱敏，无法登记新亲属：请填写完整身份证号或留空"))
                continue
            plan.relative_creates.append((row, officer_id, unit_id))
            continue
        changed = {"unit_id": unit_id, "work_unit": row.work_unit, "occupation": row.occupation}
        changed = {k: value for k, value in changed.items() if rec[k] != value}
        if row.number:  # an empty (or masked) number keeps the stored one
            digest = v.ident.lookup_hash(row.number)
            if digest != rec["id_number_hash"]:
                changed.update(v.ident.fields(row.number, digest))
        if not changed:
            result.relatives.unchanged += 1
            continue
        plan.relative_updates.append((rec["id"], changed))
    result.relatives.created = len(plan.relative_creates)
    result.relatives.updated = len(plan.relative_updates)


# --- the service -------------------------------------------------------------------------------

@contextmanager
def _cyclic_gc_paused():
    """An import holds a few million small objects (rows, tuples, dicts) that are all alive until it
    ends; the cyclic garbage collector would walk them again and again as they pile up (about 15 %
    of a 200,000-row import). Reference counting still frees everything as usual."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def roster_import(*, actor: User, fileobj, name: str, dry_run: bool = False, size: int | None = None,
                  ip: str = "") -> ImportResult:
    """Validate every row, then (unless dry_run or any row is bad) upsert everything in one audited
    transaction. Raises PermissionDenied for roles that may not import and RosterFileError for a file
    that cannot be read at all; row problems come back in result.errors."""
    with _cyclic_gc_paused():
        return _roster_import(actor=actor, fileobj=fileobj, name=name, dry_run=dry_run, size=size, ip=ip)


def _roster_import(*, actor: User, fileobj, name: str, dry_run: bool, size: int | None, ip: str) -> ImportResult:
    scope = scope_for(actor)
    if not scope.has_role(*IMPORT_ROLES):
        raise PermissionDenied(_("您的角色无权导入名册"))
    if size is not None:
        check_upload(name, size)
    result = ImportResult(dry_run=dry_run)
    started = time.perf_counter()
    validator = _Validator(scope)
    for table in sorted(read_tables(fileobj, name), key=lambda t: t.kind != "officers"):
        if table.kind == "officers":
            validator.officers_table(table)
        else:
            validator.relatives_table(table)
    result.rows = validator.rows
    if not validator.rows and not validator.errors:
        validator.error(validator.officer_sheet, 2, "", _("文件中没有数据行"))
    # Planning runs even when rows are bad, so problems found against the database (numbers
    # registered outside the scope, relatives of unknown officers) are reported in the same pass.
    planning = time.perf_counter()
    plan = _plan(validator, scope, result)
    result.timings["validate"] = time.perf_counter() - started
    result.timings["plan"] = time.perf_counter() - planning
    result.errors = sorted(validator.errors, key=lambda e: (e.sheet != validator.officer_sheet, e.sheet, e.row))
    if result.errors:
        result.officers, result.relatives = Counts(), Counts()
        return result
    if dry_run:
        return result
    started = time.perf_counter()
    if not plan.empty:  # nothing changed: no transaction, no writes, no audit entries
        try:
            result.timings.update(_write(plan, validator.ident, actor=actor, ip=ip))
        except IntegrityError:
            result.officers, result.relatives = Counts(), Counts()
            result.errors = [RowError(validator.officer_sheet, 1, "身份证号",
                                      _("导入期间名册被其他操作修改（身份证号冲突），请重新导入"))]
            return result
        result.saved = True
    result.timings["write"] = time.perf_counter() - started
    return result


# --- writing -----------------------------------------------------------------------------------
# Rows go in with executemany (one prepared INSERT/UPDATE run for many parameter rows): several
# times faster than bulk_create/bulk_update, whose SQL compilation dominates at 200k rows. The
# audit triggers fire for every row exactly as for any other write, and audited() seals them.

def _writer(model, attnames: tuple[str, ...], *, update: bool = False):
    """SQL and a row builder for `model`. Inserts fill every other concrete column with its default,
    so a field added to the model later cannot break the import."""
    qn = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    adapt_date = connection.ops.adapt_datefield_value
    if update:
        columns = [fields[a] for a in attnames]
        sql = (f"UPDATE {qn(model._meta.db_table)} SET " + ", ".join(f"{qn(f.column)} = %s" for f in columns)
               + f" WHERE {qn(model._meta.pk.column)} = %s")
    else:
        columns = list(fields.values())
        sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in columns)}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
    defaults = {}
    for f in columns:
        if f.attname in attnames:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        else:
            value = f.get_default()
        defaults[f.attname] = f.get_db_prep_save(value, connection)
    dates = {f.attname for f in columns if f.get_internal_type() == "DateField"}
    order = [f.attname for f in columns]

    def build(values: dict, pk: int | None = None) -> tuple:
        row = [(adapt_date(values[a]) if a in dates else values[a]) if a in values else defaults[a] for a in order]
        if pk is not None:
            row.append(pk)
        return tuple(row)

    return sql, build


def _positional_builder(model, attnames: tuple[str, ...]):
    """For the INSERT of _writer(model, attnames): a function from the values of `attnames` (a list in
    that order, already adapted for the database) to the statement's parameter row, defaults
    included. One C-level item pick per row instead of a Python loop over the columns."""
    _sql, build = _writer(model, attnames)
    order = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    defaults = build({a: None for a in attnames})
    extra = [defaults[i] for i, a in enumerate(order) if a not in attnames]
    position = {a: i for i, a in enumerate(attnames)}
    picks, k = [], len(attnames)
    for a in order:
        if a in position:
            picks.append(position[a])
        else:
            picks.append(k)
            k += 1
    pick = itemgetter(*picks)

    def make(values: list) -> tuple:
        values.extend(extra)
        return pick(values)

    return make


@contextmanager
def _sqlite_bulk_write():
    """SQLite settings for one transaction that writes 200k rows, their audit entries and seals.

    The page cache (2 MB per connection by default) is raised, so pages are not spilled and re-read
    all the time. The WAL checkpoint (copying the committed pages from the write-ahead log into the
    database file, about 1.3 s after a 200k-row import) is taken off the commit: automatic
    checkpoints are off for the transaction and one runs on a connection of its own in a background
    thread once it has committed (what SQLite's documentation suggests for large writes). The
    import is durable at its commit, in the log; readers see it at once."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA journal_mode")
        wal = cursor.fetchone()[0].lower() == "wal"
        if wal:
            cursor.execute("PRAGMA wal_autocheckpoint")
            autocheckpoint_before = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
    written = False
    try:
        yield
        written = True  # the import committed: there is something to checkpoint
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_before)}")
            if wal:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint_before)}")
        if wal and written:
            checkpoint_in_background(connection.settings_dict["NAME"])


def checkpoint_in_background(path) -> threading.Thread:
    """Copy the write-ahead log into the SQLite file on a connection of its own (PASSIVE: it never
    blocks readers or writers; a checkpoint that finds another running leaves the work to it). Not a
    daemon thread, so a command-line import finishes it before the process ends."""

    def run() -> None:
        try:
            with closing(sqlite3.connect(str(path), timeout=30)) as con:
                con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass  # the next automatic checkpoint does the work

    thread = threading.Thread(target=run, name="sqlite-wal-checkpoint")
    thread.start()
    return thread


INSERT_ROWS_PER_STATEMENT = 500


def _executemany(sql: str, rows: list[tuple]) -> None:
    """INSERTs go as multi-row VALUES statements (500 rows each): on PostgreSQL the audit trigger
    runs once per statement, so one statement per row would be slow; on SQLite a statement that fires
    triggers has a fixed cost per execution, so executemany() of single rows took 2.5 times as long.
    UPDATEs use executemany."""
    if sql.startswith("INSERT") and rows:
        head, _sep, placeholder = sql.rpartition(" VALUES ")
        if connection.vendor == "sqlite":
            # The driver's own cursor with its own placeholders: Django's SQLite wrapper rewrites every
            # %s with a regular expression, 6,500 per statement (0.8 s for 200,000 officers).
            placeholder = placeholder.replace("%s", "?")
            connection.ensure_connection()
            cursor = connection.connection.cursor()
        else:
            cursor = connection.cursor()
        try:
            for chunk in _chunks(rows, INSERT_ROWS_PER_STATEMENT):
                cursor.execute(f"{head} VALUES {', '.join([placeholder] * len(chunk))}",
                               list(chain.from_iterable(chunk)))
        finally:
            cursor.close()
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, WRITE_CHUNK):
            cursor.executemany(sql, chunk)


def _new_officer_rows(plan: _Plan, ident: _Identity) -> tuple[str, list[tuple]]:
    """The INSERT and its parameter rows for the new officers, in hash order: the unique index on
    id_number_hash then grows at its right edge instead of at random pages (on SQLite this alone made
    200k inserts about 40 % faster)."""
    sql, _build = _writer(Officer, _OFFICER_DATA_FIELDS + _ID_FIELDS)
    make = _positional_builder(Officer, _OFFICER_DATA_FIELDS + _ID_FIELDS)
    data_of = itemgetter(*_OFFICER_DATA_FIELDS)
    birth = _OFFICER_DATA_FIELDS.index("birth_date")
    adapt_date = connection.ops.adapt_datefield_value
    encrypt, mask = ident.encrypt, idnumbers.mask
    rows = []
    for row in sorted(plan.officer_creates, key=lambda r: r.hash):
        values = list(data_of(row.data))
        values[birth] = adapt_date(values[birth])
        values += (encrypt(row.number), row.hash, mask(row.number))
        rows.append(make(values))
    return sql, rows


def _write(plan: _Plan, ident: _Identity, *, actor: User, ip: str) -> dict[str, float]:
    """Write the plan in one audited transaction; returns timings (prepare, rows, seal+commit)."""
    t0 = time.perf_counter()
    new_officers = _new_officer_rows(plan, ident) if plan.officer_creates else None
    t1 = time.perf_counter()
    with _sqlite_bulk_write(), audited(actor=actor, action="roster.import", ip=ip):
        if new_officers:
            # The audit triggers fire for every row as for any other write; the statistics roster
            # counts of these rows are added set-based (see officer_inserts).
            with officer_inserts():
                _executemany(*new_officers)
        if plan.officer_updates:
            sql, build = _writer(Officer, _OFFICER_DATA_FIELDS, update=True)
            _executemany(sql, [build(data, pk) for pk, data in plan.officer_updates])
        if plan.moved_officers:
            # A relative's unit follows its officer, so scoping of relatives stays right.
            by_unit: dict[int, list[int]] = {}
            for officer_id, unit_id in plan.moved_officers.items():
                by_unit.setdefault(unit_id, []).append(officer_id)
            for unit_id, ids in by_unit.items():
                for chunk in _chunks(ids):
                    Relative.objects.filter(officer_id__in=chunk).exclude(unit_id=unit_id).update(unit_id=unit_id)
        if plan.relative_creates:
            new_ids: dict[str, int] = {}
            hashes = sorted({row.officer_hash for row, officer_id, _u in plan.relative_creates if officer_id is None})
            for chunk in _chunks(hashes):
                new_ids.update(Officer.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", "id"))
            sql, build = _writer(Relative, ("unit_id", "officer_id", "relation", "name", "work_unit", "occupation")
                                 + _ID_FIELDS)
            rows = []
            for row, officer_id, unit_id in plan.relative_creates:
                values = {"unit_id": unit_id, "officer_id": officer_id or new_ids[row.officer_hash],
                          "relation": row.relation, "name": row.name, "work_unit": row.work_unit,
                          "occupation": row.occupation, "id_number_enc": "", "id_number_hash": "",
                          "id_number_masked": ""}
                if row.number:
                    values.update(ident.fields(row.number))
                rows.append(build(values))
            _executemany(sql, rows)
        if plan.relative_updates:
            groups: dict[tuple[str, ...], list[tuple[int, dict]]] = {}
            for pk, changed in plan.relative_updates:
                groups.setdefault(tuple(sorted(changed)), []).append((pk, changed))
            for attnames, items in groups.items():
                sql, build = _writer(Relative, attnames, update=True)
                _executemany(sql, [build(changed, pk) for pk, changed in items])
        t2 = time.perf_counter()
    # Leaving audited() sealed the new audit entries into the hash chain and committed.
    return {"prepare": t1 - t0, "rows": t2 - t1, "seal": time.perf_counter() - t2}


# --- error report, template, export -----------------------------------------------------------

def error_report_xlsx(errors: list[RowError]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.append(["工作表", "行号", "列", "原因"])
    for e in errors:
        ws.append([e.sheet, e.row, e.column, e.message])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_EXAMPLE_OFFICER_ID = "110101198001010011"
_EXAMPLE_RELATIVE_ID = "110101198202020021"


def _example_id(body17: str) -> str:
    return body17 + idnumbers.check_digit(body17)


def template_xlsx() -> bytes:
    """The import template: both sheets with Chinese headers and one example row each, drop-down
    lists on the choice columns, ID columns formatted as text, and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    officer_id = _example_id("11010119800101001")
    relative_id = _example_id("11010119820202002")
    examples = {
        "officers": ["CODE", "张三", "男", officer_id, "1980-01-01", "审判员", "政法干警", "中共党员", "在职"],
        "relatives": [officer_id, "配偶", "李四", relative_id, "某某公司", "企业职员"],
    }
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="B22222")
    for kind, title, columns in (("officers", OFFICER_SHEET, OFFICER_COLUMNS),
                                 ("relatives", RELATIVE_SHEET, RELATIVE_COLUMNS)):
        ws = wb.create_sheet(title)
        ws.append([c.header for c in columns])
        ws.append(examples[kind])
        for pos, column in enumerate(columns, start=1):
            letter = get_column_letter(pos)
            cell = ws.cell(row=1, column=pos)
            cell.font, cell.fill = bold, fill
            ws.column_dimensions[letter].width = 22 if "身份证" in column.header or column.header == "工作单位" else 14
            if "身份证" in column.header or column.header == "单位代码":
                ws.column_dimensions[letter].number_format = "@"  # text, so Excel keeps all 18 digits
                ws.cell(row=2, column=pos).number_format = "@"
            if column.choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(label for _v, label in column.choices) + '"',
                                    allow_blank=not column.required, showErrorMessage=True,
                                    errorTitle="取值无效", error="请从下拉列表中选择")
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}100000")
        ws.freeze_panes = "A2"
    help_ws = wb.create_sheet(HELP_SHEET)
    for line in instructions():
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def instructions() -> list[str]:
    lines = [
        "名册导入模板填写说明",
        "1. 「干警」表每行一名干警，「亲属」表每行一名干警申报的亲属；两张表可以只填一张。不要修改表头。",
        "2. 身份证号列请保持「文本」格式，避免 Excel 把号码变成科学计数法而丢失末几位。",
        "3. 以身份证号为准：系统中已有该身份证号的人员将被更新，没有的将被新增；导入不会删除任何人员。",
        "4. 任何一行有错误时整份文件都不会导入，系统会列出每个错误的行号、列名和原因。",
        "5. 同一份文件重复导入不会产生任何变化。",
        "",
        "各列说明：",
    ]
    for sheet, columns in ((OFFICER_SHEET, OFFICER_COLUMNS), (RELATIVE_SHEET, RELATIVE_COLUMNS)):
        for c in columns:
            parts = [f"【{sheet}】{c.header}：", "必填" if c.required else "选填"]
            if c.choices:
                parts.append("，可选值：" + "、".join(label for _v, label in c.choices))
            if c.max_length:
                parts.append(f"，不超过 {c.max_length} 个字")
            if c.help:
                parts.append("。" + c.help)
            lines.append("".join(parts))
    lines.append("示例行中的单位代码 CODE 请替换为您单位的实际代码。")
    return lines


def template_csv(kind: str) -> bytes:
    """CSV template (UTF-8 with BOM so Excel opens it correctly): one file per table."""
    columns = OFFICER_COLUMNS if kind == "officers" else RELATIVE_COLUMNS
    officer_id = _example_id("11010119800101001")
    example = (["CODE", "张三", "男", officer_id, "1980-01-01", "审判员", "政法干警", "中共党员", "在职"]
               if kind == "officers" else
               [officer_id, "配偶", "李四", _example_id("11010119820202002"), "某某公司", "企业职员"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerow(example)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


@dataclass
class ExportResult:
    path: str
    officers: int
    relatives: int
    unmasked: bool
    with_relatives: bool


def _label_maps() -> dict[str, dict[str, str]]:
    return {c.field: {v: label for v, label in c.choices} for c in OFFICER_COLUMNS + RELATIVE_COLUMNS if c.choices}


def roster_export(*, actor: User, unit: Unit | None, out, ip: str = "") -> ExportResult:
    """Write the roster of `unit`'s subtree (or the whole scope) to `out` (.xlsx, write-only mode).

    ID numbers are masked unless the role may unmask; an unmasked export is an audited read, and so
    is every export that carries the relatives sheet (declared relatives are confidential)."""
    from openpyxl import Workbook

    scope = scope_for(actor)
    if not scope.has_role(*EXPORT_ROLES):
        raise PermissionDenied(_("您的角色无权导出名册"))
    if unit is not None and not scope.can_read_unit(unit):
        raise PermissionDenied(_("无权导出该单位"))
    unmask = scope.can_unmask
    with_relatives = scope.has_role(*STAFF_ROLES)
    labels = _label_maps()
    officers = Officer.objects.within(scope)
    if unit is not None:
        officers = officers.filter(unit__path__startswith=unit.path)
    aes = AESGCM(settings.ID_ENCRYPTION_KEY) if unmask else None

    def reveal(token: str, masked: str) -> str:
        if not unmask or not token:
            return masked
        version, _sep, body = token.partition(":")
        raw = base64.b64decode(body)
        return aes.decrypt(raw[:12], raw[12:], version.encode()).decode()

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(OFFICER_SHEET)
    ws.append(list(OFFICER_HEADERS))
    numbers: dict[int, str] = {}
    n_officers = 0
    g, c, p, s = labels["gender"], labels["category"], labels["party"], labels["status"]
    rows = officers.order_by("unit__path", "name", "id").values_list(
        "id", "unit__code", "name", "gender", "id_number_enc", "id_number_masked", "birth_date", "position",
        "category", "party", "status")
    for (pk, code, name, gender, enc, masked, birth, position, category, party, status) in rows.iterator(
            chunk_size=5000):
        number = reveal(enc, masked)
        numbers[pk] = number
        ws.append([code, name, g.get(gender, gender), number, birth.isoformat() if birth else "", position,
                   c.get(category, category), p.get(party, party), s.get(status, status)])
        n_officers += 1
    n_relatives = 0
    if with_relatives:
        ws2 = wb.create_sheet(RELATIVE_SHEET)
        ws2.append(list(RELATIVE_HEADERS))
        relatives = Relative.objects.within(scope)
        if unit is not None:
            relatives = relatives.filter(unit__path__startswith=unit.path)
        r = labels["relation"]
        for (officer_id, relation, name, enc, masked, work_unit, occupation) in relatives.order_by(
                "officer_id", "relation", "name").values_list(
                "officer_id", "relation", "name", "id_number_enc", "id_number_masked", "work_unit",
                "occupation").iterator(chunk_size=5000):
            officer_number = numbers.get(officer_id)
            if officer_number is None:
                continue
            ws2.append([officer_number, r.get(relation, relation), name, reveal(enc, masked), work_unit, occupation])
            n_relatives += 1
    wb.save(out)
    if unmask or (with_relatives and n_relatives):
        record(actor=actor, action="roster.export_unmasked" if unmask else "roster.export_relatives", op="read",
               object_type="org_officer", object_id=unit.pk if unit else "", unit_id=unit.pk if unit else None,
               after={"officers": n_officers, "relatives": n_relatives, "unmasked": unmask}, ip=ip)
    return ExportResult(path=getattr(out, "name", ""), officers=n_officers, relatives=n_relatives,
                        unmasked=unmask, with_relatives=with_relatives)
