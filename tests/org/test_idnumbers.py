import datetime as dt

import pytest

from zhengdun.org import idnumbers
from zhengdun.org.idnumbers import InvalidIdNumber


def test_valid_number_is_returned_canonical():
    assert idnumbers.normalize("11010519491231002x") == "11010519491231002X"


def test_fullwidth_digits_and_spaces_are_normalised():
    assert idnumbers.normalize("１１０１０５ １９４９１２３１ ００２Ｘ") == "11010519491231002X"


def test_legacy_15_digit_number_is_converted():
    number = idnumbers.normalize("110105491231002")
    assert number == "11010519491231002X"
    assert idnumbers.birth_date(number) == dt.date(1949, 12, 31)


@pytest.mark.parametrize("raw, fragment", [
    ("110105194912310021", "校验位"),
    ("1101051949123100", "18 位"),
    ("11010519491331002X", "出生日期"),
    ("11010519491231A02X", "前 17 位"),
    ("", "为空"),
])
def test_invalid_numbers_say_what_is_wrong(raw, fragment):
    with pytest.raises(InvalidIdNumber, match=fragment):
        idnumbers.normalize(raw)


def test_mask_keeps_first_six_and_last_four():
    assert idnumbers.mask("11010519491231002X") == "110105********002X"


def test_gender_from_sequence_digit():
    assert idnumbers.gender("11010519491231002X") == "F"
    assert idnumbers.gender("110105194912310011"[:17] + idnumbers.check_digit("11010519491231001")) == "M"
