"""Field types of the menu config that validate themselves: keys, prompt names, numbers, time windows."""

from __future__ import annotations

import difflib
import itertools
import re
import zoneinfo
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, PlainValidator, ValidationInfo

from common.calendar import TimeWindow
from common.phone import dutch_national, dutch_number_problem
from common.privacy import mask_number
from prompts.names import is_valid_prompt_name

DTMF_KEYS = frozenset("0123456789*#")


def _key_from_int(value: Any) -> Any:
    # Admins write `1:` without quotes; YAML then hands us the integer 1.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return str(value)
    return value


def _dtmf_key(value: str) -> str:
    if value not in DTMF_KEYS:
        raise ValueError(f"{value!r} is not a phone key; use one of 0-9, * or # (in quotes)")
    return value


DtmfKey = Annotated[str, BeforeValidator(_key_from_int), AfterValidator(_dtmf_key)]


def _prompt_name(value: str, info: ValidationInfo) -> str:
    if not is_valid_prompt_name(value):
        raise ValueError(f"{value!r} is not a prompt name; use letters, digits, _ and - only")
    known = (info.context or {}).get("known_prompts")
    if known is not None and value not in known:
        hint = difflib.get_close_matches(value, sorted(known), n=1)
        suffix = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"unknown prompt {value!r}: there is no text or recording with that name{suffix}")
    return value


PromptName = Annotated[str, AfterValidator(_prompt_name)]


def _number_is_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        # Unquoted, YAML reads 0201234567 as an (octal!) integer and the leading 0 is lost.
        raise ValueError('write phone numbers in quotes, e.g. "0201234567"')
    return value


def _dutch_number(value: str) -> str:
    problem = dutch_number_problem(value)
    national = dutch_national(value)
    if problem is not None or national is None:
        raise ValueError(f"{mask_number(value)}: {problem or 'not a valid Dutch phone number'}")
    return national


DutchNumber = Annotated[str, BeforeValidator(_number_is_text), AfterValidator(_dutch_number)]

_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def _endpoint_name(value: str) -> str:
    if not _ENDPOINT.match(value):
        raise ValueError(
            f"{value!r} is not a headset name: it must start with a letter and may then hold letters, "
            "digits, _ . and - (a PJSIP endpoint named like a number collides with dialled numbers)"
        )
    return value


HeadsetName = Annotated[str, AfterValidator(_endpoint_name)]


def _rings_someone(names: list[str]) -> list[str]:
    if not names:
        raise ValueError("an empty list rings nobody; leave `headsets` out to ring every headset")
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"names {name!r} twice")
    return names


HeadsetList = Annotated[list[HeadsetName], AfterValidator(_rings_someone)]

_PRACTICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MISSING_PRACTICE_ID = (
    "required: the practice's permanent id, e.g. `id: huisartsenpraktijk-de-linde` (lowercase letters, "
    "digits and -). The database keeps the practice's bookings, kept places and waiting callers under "
    "this id: set it once and never change it, also not when the practice's name changes"
)


def _practice_id_is_text(value: Any) -> Any:
    if value is None:
        return ""  # `id:` with nothing after it: the same as leaving it out
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write an id of digits in quotes, e.g. id: "1234" (YAML reads 0123 as 83)')
    return value


def _practice_id(value: str) -> str:
    if value == "":
        raise ValueError(MISSING_PRACTICE_ID)
    if not _PRACTICE_ID.match(value):
        raise ValueError(
            f"{value!r} is not a practice id: use 2 to 63 lowercase letters, digits and -, starting with a "
            "letter or digit, e.g. huisartsenpraktijk-de-linde"
        )
    return value


PracticeId = Annotated[str, BeforeValidator(_practice_id_is_text), AfterValidator(_practice_id)]

_CALLER_ID_BREAKERS = re.compile(r'["<>\\\x00-\x1f\x7f]')


def _practice_name(value: str) -> str:
    if _CALLER_ID_BREAKERS.search(value):
        raise ValueError(
            'the name goes out as the caller id name of callbacks: leave out " < > \\ and line breaks'
        )
    return value


PracticeName = Annotated[str, AfterValidator(_practice_name)]


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name such as 'Europe/Amsterdam'") from None
    return value


Timezone = Annotated[str, AfterValidator(_zone)]


def _parse_window(value: Any) -> TimeWindow:
    if isinstance(value, TimeWindow):
        return value
    try:
        return TimeWindow.parse(value)
    except ValueError as exc:
        raise ValueError(f'{value!r} is not an opening window: {exc}; write it as "08:00-17:00"') from None


def _single_window_as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _no_overlap(windows: list[TimeWindow]) -> list[TimeWindow]:
    ordered = sorted(windows)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.end > later.start:
            raise ValueError(f"opening windows {earlier} and {later} overlap")
    return ordered


Window = Annotated[TimeWindow, PlainValidator(_parse_window), PlainSerializer(str)]
DayWindows = Annotated[list[Window], BeforeValidator(_single_window_as_list), AfterValidator(_no_overlap)]
