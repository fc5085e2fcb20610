"""Resident ID numbers (GB 11643-1999): normalisation, validation, legacy conversion, masking.

Pure functions, no Django: the screening engine has its own set-based version of the same rules.
"""

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡ"} | {0x3000: 0x20}


class InvalidIdNumber(ValueError):
    """Raised with a Chinese message saying what is wrong with the number."""


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def clean(raw: str) -> str:
    """Full-width to half-width, spaces removed, upper-case X."""
    return re.sub(r"\s+", "", str(raw).translate(_FULLWIDTH)).upper()


def normalize(raw: str) -> str:
    """Return the canonical 18-character number or raise InvalidIdNumber."""
    value = clean(raw)
    if not value:
        raise InvalidIdNumber("身份证号为空")
    if len(value) == 15:
        if not value.isdigit():
            raise InvalidIdNumber("15 位身份证号只能包含数字")
        body = value[:6] + "19" + value[6:]
        value = body + check_digit(body)
    if len(value) != 18:
        raise InvalidIdNumber(f"身份证号应为 18 位（或旧式 15 位），实际 {len(value)} 位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber("身份证号前 17 位须为数字，末位为数字或 X")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {value[6:14]} 无效") from None
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位错误（GB 11643）")
    return value


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender(number: str) -> str:
    """'M' or 'F' from the sequence digit (odd = male)."""
    return "M" if int(number[16]) % 2 else "F"


def mask(number: str) -> str:
    """First 6 and last 4 characters kept, the rest hidden."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
