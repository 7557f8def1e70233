"""The outbox worker and the Twilio provider: sent once with the provider's id, retried with backoff while
the provider is down, failed on a permanent refusal or after the last try, never resent after a crash."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from ivr.messages.outbox_worker import OutboxSettings, OutboxWorker
from ivr.messages.provider import LogOnlyProvider, ProviderError, provider_from_env
from ivr.messages.twilio_api import TwilioProvider
from storage.models_intake import OutboundMessage
from storage.outbox import MessageDraft, add_message, claim_due
from tests.fakes.practice import START, FakePractice, demo_menu

DRAFT = MessageDraft("booked", "sms", "0612000801", "De Linde belt u vandaag om 10:15 terug.")


class Clock:
    def __init__(self) -> None:
        self.now = START.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class Provider:
    """Answers as told: an id, or a ProviderError; records what it was given."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail: ProviderError | None = None

    async def send(self, channel: str, phone: str, body: str) -> str:
        if self.fail is not None:
            raise self.fail
        self.sent.append((channel, phone, body))
        return f"id-{len(self.sent)}"

    async def close(self) -> None:
        return None


async def outbox(tmp_path: Path, count: int = 1) -> tuple[FakePractice, Clock]:
    practice = FakePractice(tmp_path, demo_menu())
    await practice.migrate()
    clock = Clock()
    practice_id = await practice.registry.id()

    async def write(session: Any) -> None:
        for _ in range(count):
            add_message(session, practice_id=practice_id, request_id=None, draft=DRAFT, now=clock())
        await session.commit()

    await practice.sql(write)
    return practice, clock


async def stored(practice: FakePractice) -> list[OutboundMessage]:
    async def query(session: Any) -> list[OutboundMessage]:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))

    return await practice.sql(query)


async def test_a_message_is_sent_once_and_its_provider_id_kept(tmp_path: Path) -> None:
    """One round sends it; the next round finds nothing due: the patient gets one text."""
    practice, clock = await outbox(tmp_path)
    provider = Provider()
    worker = OutboxWorker(practice.db, provider, clock)
    try:
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
        [message] = await stored(practice)
        assert (message.status, message.provider, message.provider_message_id, message.attempts) == (
            "sent",
            "fake",
            "id-1",
            1,
        )
        assert provider.sent == [("sms", "0612000801", DRAFT.body)]
    finally:
        await practice.close()


async def test_a_provider_that_is_down_is_retried_later_with_backoff(tmp_path: Path) -> None:
    """Down: pending again 30 s later, then 60 s; not due before then; sent once it is back."""
    practice, clock = await outbox(tmp_path)
    provider = Provider()
    provider.fail = ProviderError("unreachable", retryable=True)
    worker = OutboxWorker(practice.db, provider, clock)
    try:
        await worker.run_once()
        [message] = await stored(practice)
        assert (message.status, message.last_error) == ("pending", "unreachable")
        assert message.next_attempt_at == clock.now + dt.timedelta(seconds=30)
        assert await worker.run_once() == 0, "not due yet"
        clock.now += dt.timedelta(seconds=30)
        await worker.run_once()
        [message] = await stored(practice)
        assert message.next_attempt_at == clock.now + dt.timedelta(seconds=60)
        provider.fail = None
        clock.now += dt.timedelta(seconds=60)
        await worker.run_once()
        [message] = await stored(practice)
        assert (message.status, message.attempts, len(provider.sent)) == ("sent", 3, 1)
    finally:
        await practice.close()


async def test_a_permanent_refusal_or_the_last_try_fails_the_message(tmp_path: Path) -> None:
    """A 4xx-like refusal fails at once; retryable errors fail after max_tries."""
    practice, clock = await outbox(tmp_path, count=2)
    provider = Provider()
    provider.fail = ProviderError("twilio 400: invalid To", retryable=False)
    worker = OutboxWorker(practice.db, provider, clock, OutboxSettings(max_tries=2, first_retry_seconds=1))
    try:
        await worker.run_once()
        assert [m.status for m in await stored(practice)] == ["failed", "failed"]
    finally:
        await practice.close()
    practice, clock = await outbox(tmp_path / "b")
    provider = Provider()
    provider.fail = ProviderError("down", retryable=True)
    worker = OutboxWorker(practice.db, provider, clock, OutboxSettings(max_tries=2, first_retry_seconds=1))
    try:
        for _ in range(3):
            await worker.run_once()
            clock.now += dt.timedelta(seconds=10)
        [message] = await stored(practice)
        assert (message.status, message.attempts) == ("failed", 2)
    finally:
        await practice.close()


async def test_a_message_cut_off_mid_send_is_not_sent_again_after_a_restart(tmp_path: Path) -> None:
    """Claimed (sending) when the process died: the next worker marks it failed and never sends it."""
    practice, clock = await outbox(tmp_path)
    try:
        [claimed] = await practice.db.run(claim_due, clock())
        assert claimed.status == "sending"
        provider = Provider()
        worker = OutboxWorker(practice.db, provider, clock, OutboxSettings(poll_seconds=1))
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        [message] = await stored(practice)
        assert message.status == "failed" and "niet opnieuw verstuurd" in (message.last_error or "")
        assert provider.sent == []
    finally:
        await practice.close()


def test_the_provider_is_chosen_from_the_environment() -> None:
    """none by default; log; twilio needs its three settings and names the one missing."""
    assert provider_from_env({}) is None
    assert isinstance(provider_from_env({"TERUGBEL_MESSAGES_PROVIDER": "log"}), LogOnlyProvider)
    with pytest.raises(ValueError, match="TERUGBEL_TWILIO_FROM"):
        provider_from_env(
            {
                "TERUGBEL_MESSAGES_PROVIDER": "twilio",
                "TERUGBEL_TWILIO_ACCOUNT_SID": "AC1",
                "TERUGBEL_TWILIO_AUTH_TOKEN": "secret",
            }
        )
    with pytest.raises(ValueError, match="TERUGBEL_MESSAGES_PROVIDER"):
        provider_from_env({"TERUGBEL_MESSAGES_PROVIDER": "pigeon"})


@pytest.mark.real_time
async def test_twilio_gets_the_form_it_documents_and_its_errors_are_classified() -> None:
    """SMS and WhatsApp to E.164 with basic auth; 400 is permanent, 429/500 and a dead server retryable."""
    seen: list[dict[str, Any]] = []
    answers = [(201, {"sid": "SM1"}), (201, {"sid": "SM2"}), (400, {"message": "bad To"}),
               (429, {"message": "slow down"}), (500, {})]  # fmt: skip

    async def messages(request: web.Request) -> web.StreamResponse:
        form = dict(await request.post())
        user = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
        seen.append({"path": request.path, "auth": user, **form})
        status, body = answers[len(seen) - 1]
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", messages)
    async with TestServer(app) as server:
        base = str(server.make_url("")).rstrip("/")
        provider = TwilioProvider(
            account_sid="AC1",
            auth_token="tok",
            sender="+3197010000000",
            base_url=base,
            status_callback="https://praktijk.example/hooks/twilio/status",
        )
        try:
            assert await provider.send("sms", "0612000801", "hallo") == "SM1"
            assert await provider.send("whatsapp", "06-12000801", "hallo") == "SM2"
            for retryable in (False, True, True):
                with pytest.raises(ProviderError) as refused:
                    await provider.send("sms", "0612000801", "hallo")
                assert refused.value.retryable is retryable
        finally:
            await provider.close()
    assert seen[0] == {
        "path": "/2010-04-01/Accounts/AC1/Messages.json",
        "auth": "AC1:tok",
        "To": "+31612000801",
        "From": "+3197010000000",
        "Body": "hallo",
        "StatusCallback": "https://praktijk.example/hooks/twilio/status",
    }
    assert (seen[1]["To"], seen[1]["From"]) == ("whatsapp:+31612000801", "whatsapp:+3197010000000")
    dead = TwilioProvider(account_sid="AC1", auth_token="t", sender="+31970", base_url=base)
    try:
        with pytest.raises(ProviderError) as refused:
            await dead.send("sms", "0612000801", "hallo")
        assert refused.value.retryable
    finally:
        await dead.close()
