"""Masking of patient data before it reaches a log line (AVG: logs are not a medical record)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
_NUMBER = re.compile(r"(?<![\w.-])(?:\+|00)?\d[\d -]{7,}\d(?![\w.-])")


def mask_number(number: str | None) -> str:
    """Return a phone number with all but the last two digits replaced by '*'.

    Two digits are enough for an assistant to tell calls apart in a log, and too few to call anyone.
    """
    if not number:
        return ""
    total = len(_DIGITS.findall(number))
    keep_from = max(total - 2, 0)
    seen = 0
    out = []
    for ch in number:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_text(text: str) -> str:
    """`text` with every phone-number-like part masked as `mask_number` does."""
    return _NUMBER.sub(lambda m: mask_number(m.group(0)), text)
