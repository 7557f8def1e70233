"""Dutch phone numbers: what the practice dials, what a patient is called back on, what a headset shows.

A number is usable only if it is written with digits and the usual punctuation and nothing else. An
extension (";ext=2", "x 2", "ext. 2", "#2", ",2", "toestel 2") is refused, never glued onto the digits:
a trunk cannot dial it, and a caller id that carries one is not a number we can call back. Letters are
refused too, so phonenumbers never reads a word as keypad digits and no header text can come through.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

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

# ASCII digits only: phonenumbers also accepts Arabic-Indic and full-width digits, which no trunk sends.
_PLAIN = re.compile(r"\+?[0-9\s()./-]+")
_PLAIN_PREFIX = re.compile(r"\+?[0-9\s()./-]*")

# What an assistant's headset shows when the caller hid the number (the words SIP trunks send for it).
_WITHHELD = frozenset({"", "anonymous", "anoniem", "restricted", "private", "withheld"})
ANONYMOUS_DISPLAY = "Anoniem"
UNKNOWN_DISPLAY = "Onbekend nummer"


def _parse_dutch(text: str) -> PhoneNumber | None:
    """The parsed number if `text` is a valid Dutch number with nothing but punctuation around it."""
    if not isinstance(text, str) or _PLAIN.fullmatch(text.strip()) is None:
        return None
    try:
        parsed = phonenumbers.parse(text.strip(), "NL")
    except phonenumbers.NumberParseException:
        return None
    if parsed.extension or parsed.country_code != 31 or not phonenumbers.is_valid_number(parsed):
        return None
    return parsed


def _national_digits(parsed: PhoneNumber) -> str:
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national)


def dutch_national(text: str) -> str | None:
    """National digits ("0201234567") of a valid Dutch number in any spelling, else None.

    "+31 20 123 4567", "0031201234567", "(020) 1234567" and "020-1234567" all give "0201234567": what a
    Dutch SIP trunk expects and what an assistant reads back. A number with an extension gives None.
    """
    parsed = _parse_dutch(text)
    return None if parsed is None else _national_digits(parsed)


def callback_number(text: str) -> str | None:
    """The national digits of `text` if the practice can call a patient back on it, else None.

    Withheld caller ids ("anonymous", ""), foreign numbers and numbers with an extension give None: the
    caller then types one.
    """
    parsed = _parse_dutch(text)
    if parsed is None or phonenumbers.number_type(parsed) not in _CALLBACK_TYPES:
        return None
    return _national_digits(parsed)


def dutch_number_problem(text: str) -> str | None:
    """Why `text` cannot be used as a Dutch number to dial, for an admin's error message; None if it can.

    The message never repeats the number: the caller of this function decides how to show it.
    """
    if dutch_national(text) is not None:
        return None
    stripped = text.strip() if isinstance(text, str) else ""
    if not stripped:
        return 'empty; write a Dutch phone number, e.g. "0201234567"'
    prefix = _PLAIN_PREFIX.match(stripped)
    head = prefix.group(0) if prefix else ""
    if head != stripped and dutch_national(head) is not None:
        return (
            "has an extension or other text after the number; an extension cannot be dialled, "
            "write only the number itself"
        )
    if _PLAIN.fullmatch(stripped) is None:
        return "may only contain digits, spaces and + ( ) . / -"
    try:
        parsed = phonenumbers.parse(stripped, "NL")
    except phonenumbers.NumberParseException:
        return "is not a valid Dutch phone number"
    if parsed.country_code != 31:
        return "is not a Dutch phone number (+31)"
    return "is not a valid Dutch phone number"


def caller_display(raw: str) -> str:
    """What an assistant's headset may show for a patient's caller id.

    The national digits of a valid Dutch number, "Anoniem" when the caller withheld it, and "Onbekend
    nummer" for anything else (foreign, malformed, an extension, header text): never the raw caller id,
    which the patient's side controls and which could carry quotes or SIP header text.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if text.lower() in _WITHHELD:
        return ANONYMOUS_DISPLAY
    return dutch_national(text) or UNKNOWN_DISPLAY


def is_mobile(text: str) -> bool:
    """True for a Dutch mobile number (06...): the only kind a text message is sent to."""
    parsed = _parse_dutch(text)
    return parsed is not None and phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE


def international(text: str) -> str | None:
    """E.164 ("+31612345678") of a valid Dutch number, as message providers want it; else None."""
    parsed = _parse_dutch(text)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
