"""What sends a message: one small interface, a provider that only logs (the demo), and the choice of
provider from the environment. The real provider (Twilio's Messages API) is in ivr/messages/twilio_api.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import structlog

from common.privacy import mask_number

log = structlog.get_logger(__name__)


class ProviderError(Exception):
    """Sending failed; `retryable` when it may work later (down, timeout, rate limit), else permanent."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Provider(Protocol):
    name: str

    async def send(self, channel: str, phone: str, body: str) -> str:
        """Hand the message over; returns the provider's id for it. Raises ProviderError."""
        ...

    async def close(self) -> None: ...


class LogOnlyProvider:
    """For the demo: the message is logged (number masked, text length), never sent anywhere."""

    name = "log"

    async def send(self, channel: str, phone: str, body: str) -> str:
        message_id = f"log-{uuid.uuid4().hex}"
        log.info(
            "message_logged_not_sent", channel=channel, to=mask_number(phone), length=len(body), id=message_id
        )
        return message_id

    async def close(self) -> None:
        return None


def provider_from_env(env: Mapping[str, str]) -> Provider | None:
    """TERUGBEL_MESSAGES_PROVIDER: none (default: nothing leaves the machine), log, or twilio."""
    kind = env.get("TERUGBEL_MESSAGES_PROVIDER", "none").strip().lower() or "none"
    if kind == "none":
        return None
    if kind == "log":
        return LogOnlyProvider()
    if kind == "twilio":
        from ivr.messages.twilio_api import TwilioProvider

        token = env.get("TERUGBEL_TWILIO_AUTH_TOKEN", "")
        token_file = env.get("TERUGBEL_TWILIO_AUTH_TOKEN_FILE")
        if token_file:
            try:
                token = Path(token_file).read_text().strip()
            except OSError as exc:
                raise ValueError(
                    f"TERUGBEL_TWILIO_AUTH_TOKEN_FILE: cannot read {token_file}: {exc.strerror}"
                ) from None
        values = {
            "TERUGBEL_TWILIO_ACCOUNT_SID": env.get("TERUGBEL_TWILIO_ACCOUNT_SID", ""),
            "TERUGBEL_TWILIO_AUTH_TOKEN": token,
            "TERUGBEL_TWILIO_FROM": env.get("TERUGBEL_TWILIO_FROM", ""),
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ValueError(f"{missing[0]}: needed with TERUGBEL_MESSAGES_PROVIDER=twilio")
        return TwilioProvider(
            account_sid=values["TERUGBEL_TWILIO_ACCOUNT_SID"],
            auth_token=values["TERUGBEL_TWILIO_AUTH_TOKEN"],
            sender=values["TERUGBEL_TWILIO_FROM"],
            base_url=env.get("TERUGBEL_TWILIO_BASE_URL", "https://api.twilio.com"),
            status_callback=env.get("TERUGBEL_TWILIO_STATUS_CALLBACK_URL") or None,
        )
    raise ValueError(f"TERUGBEL_MESSAGES_PROVIDER: unknown provider {kind!r}; use none, log or twilio")
