"""structlog set-up: JSON lines, the call id on every line of a call, and no unmasked phone numbers."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from typing import Any, TextIO

import structlog

from common.privacy import mask_text

# Ids must stay readable: they are how a call is followed through the log. Two rules keep them so.
# - Asterisk channel ids ("1732456789.123") are kept anywhere by a rule in common.privacy.
# - Our own ids are 12 random hex characters (Call.call_id), and legs, bridges and playbacks are built
#   from them ("<call_id>-1a2b3c4d", "<call_id>-br-cb", "<leg>-br-cb", "<call_id>-pb-1a2b3c4d"). About
#   0.4% of call ids are all digits and more legs end in a long digit run, which the text rule would
#   mask. So under the keys below a value of exactly that shape is kept. Any other value under these
#   keys ("PJSIP/0612345678@provider", a number bound to the wrong key) is masked like every field.
#   In free text such an id may still be masked: that costs readability, never privacy.
ID_KEYS = frozenset(
    {"call_id", "channel", "channel_id", "leg", "peer", "bridge", "bridge_id", "playback", "playback_id"}
)
_ID_SHAPE = re.compile(r"[0-9a-f]{12}(?:-[0-9a-z]{1,8}){0,3}|(?:[A-Za-z][\w-]*-)?[12]\d{9}\.\d{1,8}")

# Values that cannot hold a phone number and are rendered as they are.
_PLAIN = (int, float, bool, type(None), dt.datetime, dt.date, dt.time, dt.timedelta)


def _mask(value: Any) -> Any:
    # Anything that looks like a phone number in any field is masked too: a developer adding a log line
    # with an f-string, a list of dial targets or an exception object must not be able to leak a number.
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {_mask(key): _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item) for item in value]
    # Other objects (exceptions, paths) are rendered with repr() by the JSON renderer: mask that text.
    text = repr(value)
    masked = mask_text(text)
    return value if masked == text else masked


def mask_numbers(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask phone-number-like strings in every field; ids keep their id shape."""
    return {
        key: value
        if key in ID_KEYS and isinstance(value, str) and _ID_SHAPE.fullmatch(value)
        else _mask(value)
        for key, value in event_dict.items()
    }


def configure(log_format: str = "json", level: int = logging.INFO, *, stream: TextIO | None = None) -> None:
    """Configure structlog for the controller process (stdout), or a command whose stdout is its output."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stdout),
        cache_logger_on_first_use=True,
    )
