"""Values of profile attributes, three-valued truth, and ages in whole years (周岁).

Truth values are small integers so that the per-person engine and the vectorized batch engine
share one encoding: ``FALSE = 0``, ``UNKNOWN = 1``, ``TRUE = 2``. With this order Kleene's
three-valued ``and`` is the minimum, ``or`` the maximum and ``not`` is ``2 - x`` — the same
formulas work on Python ints and on numpy ``int8`` arrays.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

FALSE: Final = 0
UNKNOWN: Final = 1
TRUE: Final = 2

#: A truth value: FALSE, UNKNOWN or TRUE.
Truth = int


class Absent:
    """The value of a certificate field when the elder is known to hold no certificate.

    Different from ``None`` (unknown): a comparison on an absent field is simply false
    (``disability_cert.grade in {1, 2}`` is false for an elder without a disability
    certificate), whereas on an unknown field it is unknown.
    """

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()

#: A known or unknown (``None``) attribute value after parsing.
Value = int | bool | str | frozenset[str] | dt.date | Absent | None


def truth_of(flag: bool) -> Truth:
    """Return TRUE or FALSE for a Python boolean."""
    return TRUE if flag else FALSE


def age_on(birth: dt.date, as_of: dt.date) -> int:
    """Return the age in whole years (周岁) reached on ``as_of``.

    An elder is N years old from the day of the N-th birthday on. Someone born on 29 February
    has the birthday on 29 February in leap years and turns N on 1 March in other years
    (the anniversary is reached once the calendar passes 28 February). Comparing
    ``(month, day)`` tuples gives exactly that, and :func:`assessment.eligibility.frames`
    vectorizes the same comparison.
    """
    before_birthday = (as_of.month, as_of.day) < (birth.month, birth.day)
    return as_of.year - birth.year - (1 if before_birthday else 0)
