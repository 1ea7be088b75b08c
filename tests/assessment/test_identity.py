"""Resident ID numbers (GB 11643).

Valid numbers here are either published (the two examples printed in GB 11643-1999) or
checked by an independent computation of ISO 7064 MOD 11-2 (the recursive "pure system"
method, with no weight table), so that a wrong entry in the production tables fails.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.errors import Problem
from assessment.identity import (
    ResidentId,
    check_digit,
    make_resident_id,
    parse_resident_id,
    upgrade_15,
)

TODAY = date(2026, 11, 22)

# The examples of GB 11643-1999 (§8 / appendix): number, birth date, sex.
PUBLISHED = [
    ("11010519491231002X", date(1949, 12, 31), "女"),
    ("440524188001010014", date(1880, 1, 1), "男"),
]


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character, computed digit by digit (p ← 2(p + d) mod 11)."""
    p = 0
    for digit in first17:
        p = (p + int(digit)) * 2 % 11
    return "0123456789X"[(1 - p) % 11]


@pytest.mark.parametrize(("number", "birth", "sex"), PUBLISHED)
def test_published_numbers(number: str, birth: date, sex: str) -> None:
    assert mod11_2(number[:17]) == number[17]  # the independent computation agrees
    assert mod11_2(number[:17]) == number[17]
    parsed = parse_resident_id(number, today=TODAY)
    assert isinstance(parsed, ResidentId)
    assert (parsed.birth_date, parsed.sex) == (birth, sex)
    for wrong in "0123456789X".replace(number[17], ""):
        refused = parse_resident_id(number[:17] + wrong, today=TODAY)
        assert isinstance(refused, Problem)
        assert refused.code == "check_digit"


@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_digit_agrees_with_an_independent_computation(first17: str) -> None:
    assert check_digit(first17) == mod11_2(first17)


def test_known_number_with_x_check_digit() -> None:
    parsed = parse_resident_id("11010519491231002x", today=TODAY)
    assert isinstance(parsed, ResidentId)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "女"
    assert parsed.masked == "110105********002X"
    assert parsed.issuing_code == "110105"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("1101051949123100", "shape"),
        ("11010519491231002Y", "shape"),
        ("010105194912310021", "shape"),
        ("110105194902300025", "birth_date"),
        ("110105203001010020", "birth_future"),
        ("110105187001010020", "birth_past"),
    ],
)
def test_refusals(text: str, code: str) -> None:
    parsed = parse_resident_id(text, today=TODAY)
    assert isinstance(parsed, Problem)
    assert parsed.code == code
    assert parsed.field == "A.2.8"


def test_fifteen_digit_numbers_are_upgraded() -> None:
    assert upgrade_15("110105491231002") == "11010519491231002X"
    parsed = parse_resident_id(" 110105 491231 002 ", today=TODAY)
    assert isinstance(parsed, ResidentId)
    assert parsed.number == "11010519491231002X"


def test_future_birth_relative_to_as_of_date() -> None:
    number = make_resident_id("140421", date(2026, 11, 23), 5, True)
    assert isinstance(parse_resident_id(number, today=TODAY), Problem)
    assert isinstance(parse_resident_id(number, today=date(2026, 11, 23)), ResidentId)


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 999),
       st.booleans())
def test_generated_numbers_round_trip(birth: date, sequence: int, male: bool) -> None:
    number = make_resident_id("140421", birth, sequence, male)
    parsed = parse_resident_id(number, today=TODAY)
    assert isinstance(parsed, ResidentId)
    assert parsed.birth_date == birth
    assert parsed.sex == ("男" if male else "女")
    wrong = "0" if number[17] != "0" else "1"
    assert isinstance(parse_resident_id(number[:17] + wrong, today=TODAY), Problem)
    assert mod11_2(number[:17]) == number[17]
