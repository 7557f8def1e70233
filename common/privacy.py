"""Masking of patient data before it reaches a log line (AVG: logs are not a medical record).

`mask_text` finds numbers the way people and trunks write them, not the way a parser wants them: digits
joined by spaces, dots, slashes, brackets and dashes ("(020) 1234567", "06/12345678", "06.12.34.56.78",
"+31 (0)6 1234 5678"), also when glued to a word ("tel0612345678", "0612345678abc"). Any such digit run
with 9 or more digits is masked, whatever country or validity: a log is no place to decide whether a
number is real.

Kept readable on purpose, because logs are read to follow a call:
- ISO timestamps and dates ("2026-11-23T10:15:00+01:00", "2026-11-23 08:00", "23-11-2026 10:15"),
- Asterisk channel ids ("1732456789.123": ten digits of unix time starting with 1 or 2, a dot, a
  counter; no phone number is written that way, Dutch national numbers start with 0),
- everything with fewer than 9 digits: clock times, durations, counts, database ids.
Such a token is kept only if it stands apart: if digits follow it (after at most three separators), the
whole run is masked instead, so a protected shape can never shield a number written next to it.
"""

from __future__ import annotations

import re

# The least digits a run needs to be treated as a number: a Dutch number has 9 without its leading 0.
MIN_DIGITS = 9

# What people put between the digits of one number. No line breaks: a number is written on one line.
_SEP = r"[^\S\r\n]|[./()\-]"
_RUN = rf"[+(]{{0,2}}\d(?:(?:{_SEP}){{0,3}}\d)*"

_ISO = (
    r"(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?"
)
_DUTCH_DATE = (
    r"(?:0?[1-9]|[12]\d|3[01])(?P<datesep>[-/.])(?:0?[1-9]|1[0-2])(?P=datesep)(?:19|20)\d{2}"
    r"(?:[T ](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?"
)
_CHANNEL_ID = r"[12]\d{9}\.\d{1,8}"
_KEEP = rf"[+(]{{0,2}}(?<!\d)(?:{_ISO}|{_DUTCH_DATE}|{_CHANNEL_ID})(?!(?:{_SEP}){{0,3}}\d)"

# At each position a protected token is tried first; a digit run is greedy, so once it starts it takes
# every digit joined to it and a protected shape can never begin inside a number.
_TOKEN = re.compile(rf"(?P<keep>{_KEEP})|(?P<run>{_RUN})")


def mask_number(number: str | None) -> str:
    """Return a phone number with all but the last two digits replaced by '*'.

    Two digits are enough for an assistant to tell calls apart in a log, and too few to call anyone.
    """
    if not number:
        return ""
    total = sum(ch.isdecimal() for ch in number)
    keep_from = max(total - 2, 0)
    seen = 0
    out = []
    for ch in number:
        if ch.isdecimal():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _mask_token(match: re.Match[str]) -> str:
    run = match.group("run")
    if run is None or sum(ch.isdecimal() for ch in run) < MIN_DIGITS:
        return match.group(0)
    return mask_number(run)


def mask_text(text: str) -> str:
    """`text` with every phone-number-like part masked as `mask_number` does; same length as `text`."""
    return _TOKEN.sub(_mask_token, text)
