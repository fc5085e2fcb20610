"""Normalisation of ID numbers and names.

Two faces of the same definitions:

* plain Python functions (``normalize_id``, ``normalize_name``) used by the
  generator, the tests and the pandas comparison in the benchmark;
* SQL expression builders used by both backends (DuckDB and Spark SQL), so the
  set-based engine applies exactly the same rules without a per-row Python call.

No Django imports here (DESIGN.md rule 6).
"""

from __future__ import annotations

import functools
import os

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# characters removed or mapped when cleaning an ID number
ID_FROM = "０１２３４５６７８９ｘＸ＊x \t\u3000"
ID_TO = "0123456789XX*X"  # the last three (space, tab, ideographic space) are deleted


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def clean_id(raw: str | None) -> str:
    if raw is None:
        return ""
    table = str.maketrans(ID_FROM[: len(ID_TO)], ID_TO, ID_FROM[len(ID_TO):])
    return raw.translate(table).upper()


def _valid_date(y: str, m: str, d: str) -> bool:
    import datetime

    try:
        datetime.date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def normalize_id(raw: str | None) -> str | None:
    """Return the valid 18-character ID for ``raw`` or None.

    Spaces and full-width characters are removed, x is upper-cased, a legacy
    15-digit number gets '19' after the region code and a computed check digit;
    an 18-character number must pass the GB 11643 checksum and carry a real date.
    """
    c = clean_id(raw)
    if len(c) == 15 and c.isascii() and c.isdigit():
        id17 = c[:6] + "19" + c[6:]
        full = id17 + check_digit(id17)
    elif len(c) == 18 and c[:17].isascii() and c[:17].isdigit() and c[17] in "0123456789X":
        if check_digit(c[:17]) != c[17]:
            return None
        full = c
    else:
        return None
    if not _valid_date(full[6:10], full[10:12], full[12:14]):
        return None
    return full


def to_legacy15(id18: str) -> str | None:
    if id18[6:8] != "19":
        return None
    return id18[:6] + id18[8:17]


def mask_id(id18: str) -> str:
    return id18[:6] + "*" * 8 + id18[14:]


# ---------------------------------------------------------------- names

# full-width ASCII block -> half-width
# (skipping the backslash and quote characters so the table is a plain SQL literal in both engines)
_FW_PAIRS = [(chr(c), chr(c - 0xFEE0)) for c in range(0xFF01, 0xFF5F) if chr(c - 0xFEE0) not in "\\'\""]
_FW_FROM = "".join(a for a, _ in _FW_PAIRS)
_FW_TO = "".join(b for _, b in _FW_PAIRS)
_DOTS_FROM = "•・･‧∙⋅ㆍ"
_DELETE = " \t\u3000\u00a0"


def _opencc_dir() -> str:
    """OpenCC's dictionaries. Without them traditional names would silently stop matching, so a
    missing package is an error (under spark-submit the driver needs it too)."""
    try:
        import opencc  # opencc-python-reimplemented
    except ImportError as exc:  # pragma: no cover - listed in requirements-screening.txt
        raise RuntimeError("the screening engine needs the OpenCC dictionaries: "
                           "pip install opencc-python-reimplemented") from exc
    return os.path.join(os.path.dirname(opencc.__file__), "dictionary")


@functools.lru_cache(maxsize=1)
def t2s_char_map() -> dict[str, str]:
    """Traditional -> simplified single-character map from OpenCC's TSCharacters.

    Only one-to-one, Basic Multilingual Plane characters are kept, and chains
    are resolved to a fixed point so that applying the map once to a traditional
    or a simplified spelling gives the same result.
    """
    d = _opencc_dir()
    mapping: dict[str, str] = {}
    with open(os.path.join(d, "TSCharacters.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            k, v = parts[0], parts[1].split(" ")[0]
            if len(k) == 1 and len(v) == 1 and k != v and ord(k) < 0x10000 and ord(v) < 0x10000:
                mapping[k] = v
    resolved = {}
    for k, v in mapping.items():
        seen = {k}
        while v in mapping and v not in seen:
            seen.add(v)
            v = mapping[v]
        if k != v:
            resolved[k] = v
    return resolved


@functools.lru_cache(maxsize=1)
def s2t_char_map() -> dict[str, str]:
    """Simplified -> traditional single-character map (used by the generator)."""
    d = _opencc_dir()
    out: dict[str, str] = {}
    with open(os.path.join(d, "STCharacters.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            k, v = parts[0], parts[1].split(" ")[0]
            if len(k) == 1 and len(v) == 1 and k != v and ord(v) < 0x10000:
                out[k] = v
    return out


@functools.lru_cache(maxsize=1)
def name_translate_strings() -> tuple[str, str]:
    """(from, to) strings for SQL translate(): chars in from beyond len(to) are deleted."""
    t2s = t2s_char_map()
    src = _FW_FROM + _DOTS_FROM + "".join(t2s.keys())
    dst = _FW_TO + "·" * len(_DOTS_FROM) + "".join(t2s.values())
    # The full-width space is not in the FF01 block; deletions go last.
    return src + _DELETE, dst


@functools.lru_cache(maxsize=1)
def _name_table() -> dict[int, int | None]:
    src, dst = name_translate_strings()
    table: dict[int, int | None] = {ord(a): ord(b) for a, b in zip(src, dst, strict=False)}
    for ch in src[len(dst):]:
        table[ord(ch)] = None
    return table


def normalize_name(raw: str | None) -> str:
    """Traditional -> simplified, full-width -> half-width, spaces removed, upper case."""
    if raw is None:
        return ""
    return raw.translate(_name_table()).upper()


# ---------------------------------------------------------------- SQL builders

def sql_str(s: str) -> str:
    """A SQL string literal valid in DuckDB and Spark SQL."""
    if "\\" in s:
        raise ValueError("backslash not supported in shared SQL literals")
    return "'" + s.replace("'", "''") + "'"


def sql_clean_id(col: str, bytelen) -> str:
    """SQL for normalize_id's character cleaning; ``bytelen`` renders the dialect's byte length.
    Blanks are removed with replace() first, and translate() (slow in DuckDB) runs only on what is
    still not ASCII after that (full-width digits): the same result as translating everything."""
    s1 = f"replace(replace(replace(coalesce({col}, ''), ' ', ''), chr(9), ''), {sql_str(chr(0x3000))}, '')"
    return (f"CASE WHEN {bytelen(s1)} = length({s1}) THEN upper({s1}) "
            f"ELSE upper(translate({s1}, {sql_str(ID_FROM)}, {sql_str(ID_TO)})) END")


def sql_checksum(id17n: str, idiv) -> str:
    """Check character for a 17-digit number held as BIGINT (integer arithmetic: fast in both engines).
    ``idiv(a, b)`` renders integer division in the dialect."""
    terms = " + ".join(
        f"({idiv(id17n, str(10 ** (16 - i)))} % 10) * {w}" if i < 16 else f"({id17n} % 10) * {w}"
        for i, w in enumerate(ID_WEIGHTS))
    return f"substr('{CHECK_CHARS}', cast((({terms}) % 11) + 1 AS INT), 1)"


def sql_hamming18(a: str, b: str) -> str:
    return "(" + " + ".join(
        f"CASE WHEN substr({a}, {i}, 1) = substr({b}, {i}, 1) THEN 0 ELSE 1 END" for i in range(1, 19)
    ) + ")"


def sql_valid_date(col: str) -> str:
    """True when col is a real date written YYYY-MM-DD (col assumed trimmed, not null)."""
    return (
        f"(length({col}) = 10 AND substr({col}, 5, 1) = '-' AND substr({col}, 8, 1) = '-' "
        f"AND try_cast({col} AS DATE) IS NOT NULL)"
    )
