"""Messages as the composition root wires them: the provider from the environment, the composer the
callback store calls with each booking and each request ending not reached, and the worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from dialplan.holder import MenuHolder
from ivr.callback.store import MessageComposer, no_messages
from ivr.db.door import Database
from ivr.messages.compose import compose
from ivr.messages.outbox_worker import OutboxSettings, OutboxWorker
from ivr.messages.provider import provider_from_env
from ivr.messages.twilio_api import DeliveryReports, TwilioProvider
from storage.outbox import MessageDraft
from storage.status import MessageEvent

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Messaging:
    composer: MessageComposer
    worker: OutboxWorker | None
    delivery_reports: DeliveryReports | None = None

    def notify(self) -> None:
        if self.worker is not None:
            self.worker.notify()


def messaging(
    env: Mapping[str, str], db: Database, menus: MenuHolder, clock: Callable[[], dt.datetime]
) -> Messaging:
    """No provider configured: no message is even written (it could never be sent). Raises ValueError
    naming the environment variable that is wrong."""
    provider = provider_from_env(env)
    if provider is None:
        if menus.current.messages.enabled:
            log.warning("messages_enabled_without_provider", hint="set TERUGBEL_MESSAGES_PROVIDER")
        return Messaging(no_messages, None)

    def composer(event: MessageEvent, phone: str, slot_start: dt.datetime | None) -> MessageDraft | None:
        config = menus.current  # the menu as it is now: an admin may have turned messages off
        return compose(
            config.messages,
            event,
            practice=config.practice.name,
            phone=phone,
            now=clock(),
            tz=config.tz,
            slot_start=slot_start,
        )

    reports = None
    if isinstance(provider, TwilioProvider) and provider.status_callback:
        reports = DeliveryReports(provider.auth_token, provider.status_callback)
    return Messaging(composer, OutboxWorker(db, provider, clock, _settings(env)), reports)


def _settings(env: Mapping[str, str]) -> OutboxSettings:
    # For tests and for a provider with its own pace: the first retry's wait and the poll interval.
    values = {}
    for name, field in (("TERUGBEL_MESSAGES_RETRY_SECONDS", "first_retry_seconds"),
                        ("TERUGBEL_MESSAGES_POLL_SECONDS", "poll_seconds")):  # fmt: skip
        if name in env:
            try:
                values[field] = float(env[name])
            except ValueError:
                raise ValueError(f"{name}: not a number of seconds: {env[name]!r}") from None
            if values[field] <= 0:
                raise ValueError(f"{name}: must be above 0")
    return OutboxSettings(**values)
