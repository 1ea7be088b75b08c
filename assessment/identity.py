"""Resident identity numbers (公民身份号码, GB 11643-1999).

Validates 18-digit numbers (address code, birth date, sequence, ISO 7064 MOD 11-2 check
digit), reads the birth date and sex, and converts 15-digit legacy numbers. The first six digits
are where the number was first issued; they are **never** used as 户籍 (hukou): an elder's
registered residence is recorded separately (docs/spec/service-lists.md §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assessment.errors import Problem

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE_18 = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
_SHAPE_15 = re.compile(r"^[1-9][0-9]{14}$")


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid 18-digit resident ID number and what it says of its holder."""

    number: str
    birth_date: date
    sex: str  # "男" or "女", as the options of A.2.2

    @property
    def issuing_code(self) -> str:
        """The 6-digit division code of first issue (not the hukou)."""
        return self.number[:6]

    @property
    def masked(self) -> str:
        """For screens and logs: ``140421********123X``."""
        return self.number[:6] + "*" * 8 + self.number[14:]


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(text: str) -> str:
    """Strip blanks and upper-case a trailing ``x``, as people type them."""
    return re.sub(r"\s+", "", text).upper()


def _birth(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def parse_resident_id(text: str, *, today: date | None = None,
                      field: str = "A.2.8") -> ResidentId | Problem:
    """Validate an 18- or 15-digit number; return the parsed ID or a :class:`Problem`.

    A 15-digit legacy number is converted to 18 digits (century 19, computed check digit).
    The birth date must be a real date, not in the future (relative to ``today``), and not
    before 1880.
    """
    today = today or date.today()
    number = normalise(text)
    if _SHAPE_15.match(number):
        number = upgrade_15(number)
    if not _SHAPE_18.match(number):
        return Problem(field, "shape", "公民身份号码应为 18 位（前 17 位数字，末位数字或 X）")
    birth = _birth(number[6:14])
    if birth is None:
        return Problem(field, "birth_date", f"公民身份号码中的出生日期 {number[6:14]} 不是有效日期")
    if birth > today:
        return Problem(field, "birth_future", "公民身份号码中的出生日期晚于今天")
    if birth.year < 1880:
        return Problem(field, "birth_past", "公民身份号码中的出生日期过早")
    if check_digit(number[:17]) != number[17]:
        return Problem(field, "check_digit", "公民身份号码校验位不正确，请核对是否输错")
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return ResidentId(number=number, birth_date=birth, sex=sex)


def upgrade_15(number: str) -> str:
    """Convert a 15-digit legacy number (YYMMDD, 19xx births) to its 18-digit form."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_digit(first17)


def make_resident_id(area: str, birth: date, sequence: int, male: bool) -> str:
    """Build a valid 18-digit number (for demo data and tests): area, birth, 3-digit sequence.

    The sequence's last digit is forced odd for men and even for women.
    """
    seq = sequence % 1000
    if (seq % 2 == 1) != male:
        seq = seq + 1 if seq < 999 else seq - 1
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)
