"""Which numbers a callback may go to."""

from __future__ import annotations

import pytest

from common.phone import callback_number


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0612345678", "0612345678"),
        ("+31201234567", "0201234567"),
        ("0031612345678", "0612345678"),
        ("020-1234567", "0201234567"),
        ("0881234567", "0881234567"),
    ],
)
def test_usable_dutch_numbers_in_national_form(given: str, expected: str) -> None:
    """Any spelling of a Dutch fixed, mobile or company number becomes its national digits."""
    assert callback_number(given) == expected


@pytest.mark.parametrize(
    "given", ["", "anonymous", "112", "0612", "09001234567", "+4930123456", "06123456789"]
)
def test_withheld_short_premium_and_foreign_numbers_are_refused(given: str) -> None:
    """Withheld ids, emergency and premium numbers, foreign and malformed numbers are not called back."""
    assert callback_number(given) is None
