"""The worker that sends the outbox: its own task, so no call ever waits for a provider.

Each round claims the due messages (storage.outbox.claim_due: a message is "sending" once claimed), hands
each to the provider within a timeout, and stores the outcome: sent (with the provider's id), pending again
after a backoff (a retryable failure with tries left), or failed. At start-up, messages a dead process left
"sending" are failed rather than resent: the patient may already have it. Woken by `notify()` when a
booking wrote a message, and every `poll_seconds` anyway (a retry's time comes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from common.privacy import mask_number
from ivr import log_events as ev
from ivr.db.door import Database, StoreUnavailable
from ivr.messages.provider import Provider, ProviderError
from storage.models_intake import OutboundMessage
from storage.outbox import claim_due, fail_interrupted, mark_failed, mark_retry, mark_sent

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OutboxSettings:
    poll_seconds: float = 5.0
    max_tries: int = 8
    first_retry_seconds: float = 30.0
    longest_retry_seconds: float = 3600.0
    send_timeout_seconds: float = 15.0

    def backoff(self, tries: int) -> dt.timedelta:
        """30 s after the first failed try, doubling, at most an hour."""
        return dt.timedelta(
            seconds=min(self.first_retry_seconds * 2 ** max(tries - 1, 0), self.longest_retry_seconds)
        )


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        provider: Provider,
        clock: Callable[[], dt.datetime],
        settings: OutboxSettings = OutboxSettings(),
    ) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock
        self.settings = settings
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """A message was written: send it now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        started = False
        try:
            while True:
                self._wake.clear()
                try:
                    if not started:
                        interrupted = await self.db.run(fail_interrupted, self.clock())
                        if interrupted:
                            log.warning("messages_interrupted_not_resent", count=interrupted)
                        started = True
                    await self.run_once()
                except StoreUnavailable as exc:
                    log.warning("outbox_database_unavailable", error=str(exc))
                except Exception:
                    # A bug in one round must not stop the messages for good.
                    log.exception("outbox_round_failed")
                try:
                    async with asyncio.timeout(self.settings.poll_seconds):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            await self.provider.close()

    async def run_once(self) -> int:
        """One round: send what is due; returns how many messages were handed to the provider."""
        messages = await self.db.run(claim_due, self.clock())
        for message in messages:
            await self._send(message)
        return len(messages)

    async def _send(self, message: OutboundMessage) -> None:
        try:
            async with asyncio.timeout(self.settings.send_timeout_seconds):
                provider_id = await self.provider.send(message.channel, message.phone, message.body)
        except ProviderError as exc:
            await self._failed(message, str(exc), retryable=exc.retryable)
            return
        except TimeoutError:
            await self._failed(message, "provider timed out", retryable=True)
            return
        now = self.clock()
        await self.db.run(
            mark_sent, message.id, provider=self.provider.name, provider_message_id=provider_id, now=now
        )
        log.info(
            ev.MESSAGE_SENT, message_id=message.id, to=mask_number(message.phone), provider=self.provider.name
        )

    async def _failed(self, message: OutboundMessage, error: str, *, retryable: bool) -> None:
        now = self.clock()
        if retryable and message.attempts < self.settings.max_tries:
            later = now + self.settings.backoff(message.attempts)
            await self.db.run(mark_retry, message.id, error=error, next_attempt_at=later, now=now)
            log.warning(ev.MESSAGE_RETRY, message_id=message.id, error=error, retry_at=later.isoformat())
        else:
            await self.db.run(mark_failed, message.id, error=error, now=now)
            log.error(ev.MESSAGE_FAILED, message_id=message.id, error=error, tries=message.attempts)
