"""The outbox is written in the same transaction as what a message confirms: a booking, or a request that
ends not reached; nothing is written when the booking fails or the request goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.attempts import claim_callback, finish_attempt, mark_patient_dialled
from storage.bookings import book_callback
from storage.models import CallbackRequest, Practice
from storage.models_intake import OutboundMessage
from storage.outbox import MessageDraft, add_message, mark_sent
from storage.retention import purge_older_than

Sessions = async_sessionmaker[AsyncSession]
NINE = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BOOKED = MessageDraft("booked", "sms", "0612345678", "De Linde belt u vandaag om 10:00 terug.")


async def _messages(sessions: Sessions) -> list[OutboundMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def _book(sessions: Sessions, practice: Practice, capacity: int = 1) -> CallbackRequest | None:
    return await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=NINE,
        slot_end=NINE + timedelta(minutes=15),
        capacity=capacity,
        phone="0612345678",
        number_source="caller_id",
        message=BOOKED,
        now=NINE - timedelta(hours=1),
    )


async def test_a_booking_writes_its_confirmation_due_at_once(sessions: Sessions, practice: Practice) -> None:
    """One booking, one pending message for its request with the draft's text, due when it was booked."""
    request = await _book(sessions, practice)
    assert request is not None
    [message] = await _messages(sessions)
    assert (message.request_id, message.event, message.channel, message.status) == (
        request.id,
        "booked",
        "sms",
        "pending",
    )
    assert message.body == BOOKED.body and message.attempts == 0
    assert message.next_attempt_at == NINE - timedelta(hours=1)


async def test_a_booking_without_room_writes_no_message(sessions: Sessions, practice: Practice) -> None:
    """The slot is full: no request, and no confirmation of a booking that does not exist."""
    assert await _book(sessions, practice) is not None
    assert await _book(sessions, practice) is None
    assert len(await _messages(sessions)) == 1


async def test_a_request_ending_not_reached_writes_its_message_and_a_retry_does_not(
    sessions: Sessions, practice: Practice
) -> None:
    """Two tries: after the first the request goes on (no message); the second ends it: one message."""
    request = await _book(sessions, practice, capacity=2)
    assert request is not None
    drafts: list[int] = []

    def not_reached(ended: CallbackRequest) -> MessageDraft:
        drafts.append(ended.id)
        return MessageDraft("not_reached", "sms", ended.phone, "De Linde heeft u niet kunnen bereiken.")

    now = NINE
    for _ in range(2):
        attempt = await claim_callback(sessions, request.id, headset="hs-1", now=now)
        assert attempt is not None
        await mark_patient_dialled(sessions, attempt.id, "patient-chan", "headset-chan")
        await finish_attempt(
            sessions,
            attempt.id,
            "not_reached",
            now=now,
            retry_after=timedelta(minutes=5),
            max_attempts=2,
            not_reached_message=not_reached,
        )
        now += timedelta(minutes=5)
    assert drafts == [request.id], "asked for a message only when the request ended"
    events = [(m.event, m.request_id) for m in await _messages(sessions)]
    assert events == [("booked", request.id), ("not_reached", request.id)]


async def test_retention_deletes_settled_messages_and_those_of_deleted_requests(
    sessions: Sessions, practice: Practice
) -> None:
    """A sent message older than the cutoff goes (it holds a number); one still pending stays."""
    old = NINE - timedelta(days=100)
    async with sessions() as session, session.begin():
        sent = add_message(session, practice_id=practice.id, request_id=None, draft=BOOKED, now=old)
        waiting = add_message(session, practice_id=practice.id, request_id=None, draft=BOOKED, now=old)
    await mark_sent(sessions, sent.id, provider="log", provider_message_id="log-1", now=old)
    purged = await purge_older_than(sessions, NINE - timedelta(days=90))
    assert purged.messages == 1
    assert [m.id for m in await _messages(sessions)] == [waiting.id]
