"""structlog set-up: JSON lines, the call id on every line of a call, and no unmasked phone numbers."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from common.privacy import mask_text


def _mask(value: Any) -> Any:
    # Anything that looks like a phone number in a free-text field is masked too: a developer adding a
    # log line with an f-string must not be able to leak a number.
    return mask_text(value) if isinstance(value, str) else value


def mask_numbers(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask phone-number-like strings in every field."""
    return {key: _mask(value) for key, value in event_dict.items()}


def configure(log_format: str = "json", level: int = logging.INFO) -> None:
    """Configure structlog for the controller process."""
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
