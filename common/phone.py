"""Dutch phone numbers: what the practice may dial, and what a patient may be called back on."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

# A callback goes to a person: no premium-rate, shared-cost or pager numbers (0900, 0906, 0909, 066).
_CALLBACK_TYPES = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.UAN,  # 085/088 company numbers: a patient at work
    }
)


def dutch_national(text: str) -> str | None:
    """National digits ("0201234567") of a valid Dutch number in any spelling, else None.

    "+31 20 123 4567", "0031201234567" and "020-1234567" all give "0201234567": what a Dutch SIP trunk
    expects and what an assistant reads back.
    """
    try:
        parsed = phonenumbers.parse(text, "NL")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 31 or not phonenumbers.is_valid_number(parsed):
        return None
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national)


def callback_number(text: str) -> str | None:
    """The national digits of `text` if the practice can call a patient back on it, else None.

    Withheld caller ids ("anonymous", "") and foreign numbers give None: the caller then types one.
    """
    national = dutch_national(text.strip()) if text else None
    if national is None:
        return None
    if phonenumbers.number_type(phonenumbers.parse(national, "NL")) not in _CALLBACK_TYPES:
        return None
    return national
