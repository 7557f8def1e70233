"""The live queue: order, announced waits, keeping a place, re-adopting callers after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallbackRequest, Practice, QueueEntry
from storage.practices import ensure_practice
from storage.queue import (
    announce_wait,
    close_stale_entries,
    entry_by_channel,
    join_queue,
    keep_place,
    set_queue_status,
    waiting_entries,
)

Sessions = async_sessionmaker[AsyncSession]
NINE = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def _join(
    sessions: Sessions,
    practice: Practice,
    name: str,
    minutes: int,
    *,
    rank: int = 1,
    group: str = "overige",
    phone: str = "0612345678",
) -> QueueEntry:
    return await join_queue(
        sessions,
        practice_id=practice.id,
        call_id=f"call-{name}",
        channel_id=f"chan-{name}",
        phone=phone,
        group=group,
        rank=rank,
        arrived_at=NINE + minutes * MINUTE,
    )


async def _count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_queue_is_ordered_by_rank_then_arrival(sessions: Sessions, practice: Practice) -> None:
    """Colleagues go before patients; within a group the first to arrive goes first."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    first = await _join(sessions, practice, "first", 0)
    served = await _join(sessions, practice, "served", 1)
    third = await _join(sessions, practice, "third", 2)
    colleague = await _join(sessions, practice, "colleague", 5, rank=0, group="intercollegiaal")
    await _join(sessions, other, "elsewhere", 0)
    assert await set_queue_status(sessions, served.id, "served")
    assert await set_queue_status(sessions, third.id, "connecting")

    waiting = await waiting_entries(sessions, practice.id)

    assert [e.id for e in waiting] == [colleague.id, first.id, third.id]
    assert [e.status for e in waiting] == ["waiting", "waiting", "connecting"]
    assert waiting[0].arrived_at == NINE + 5 * MINUTE and waiting[0].group == "intercollegiaal"


async def test_joining_twice_with_one_call_gives_the_same_entry(
    sessions: Sessions, practice: Practice
) -> None:
    """A repeated join (e.g. a retry after an unclear commit) does not queue the caller twice."""
    first = await _join(sessions, practice, "a", 0)
    again = await _join(sessions, practice, "a", 3)
    assert again.id == first.id and again.arrived_at == NINE
    assert await _count(sessions, QueueEntry) == 1


async def test_withheld_number_is_stored_as_empty(sessions: Sessions, practice: Practice) -> None:
    """A caller without caller ID can wait in the queue too."""
    entry = await _join(sessions, practice, "anon", 0, phone="")
    assert entry.phone == "" and entry.status == "waiting"


async def test_status_change_is_conditional(sessions: Sessions, practice: Practice) -> None:
    """With ``expect``, only one of two parties moving the caller on succeeds."""
    entry = await _join(sessions, practice, "a", 0)
    assert await set_queue_status(sessions, entry.id, "connecting", expect={"waiting"}) is True
    assert await set_queue_status(sessions, entry.id, "connecting", expect={"waiting"}) is False
    assert await set_queue_status(sessions, entry.id, "served", expect=("connecting",)) is True
    assert await set_queue_status(sessions, 999_999, "served") is False
    with pytest.raises(ValueError, match="unknown queue status"):
        await set_queue_status(sessions, entry.id, "gone")


async def test_announced_wait_is_never_raised(sessions: Sessions, practice: Practice) -> None:
    """A longer estimate after a shorter one announces the shorter one again."""
    entry = await _join(sessions, practice, "a", 0)
    assert await announce_wait(sessions, entry.id, 300) == 300
    assert await announce_wait(sessions, entry.id, 600) == 300
    assert await announce_wait(sessions, entry.id, 120) == 120
    assert await announce_wait(sessions, entry.id, 180) == 120
    [stored] = await waiting_entries(sessions, practice.id)
    assert stored.announced_wait_seconds == 120


async def test_concurrent_announcements_keep_the_lowest(sessions: Sessions, practice: Practice) -> None:
    """Announcements racing each other end at the lowest estimate; none is told more than it asked."""
    entry = await _join(sessions, practice, "a", 0)
    estimates = [60 * n for n in range(20, 0, -1)]
    told = await asyncio.gather(*(announce_wait(sessions, entry.id, s) for s in estimates))
    assert all(t <= s for t, s in zip(told, estimates, strict=True))
    [stored] = await waiting_entries(sessions, practice.id)
    assert stored.announced_wait_seconds == 60


async def test_announce_wait_for_an_unknown_entry_fails(sessions: Sessions) -> None:
    """Announcing for a caller who is not in the queue is a programming error."""
    with pytest.raises(LookupError):
        await announce_wait(sessions, 999_999, 60)


async def test_keeping_a_place_keeps_the_arrival_as_order_key(sessions: Sessions, practice: Practice) -> None:
    """The callback request is due at the original arrival, without a slot, linked to the entry."""
    entry = await _join(sessions, practice, "a", 2)
    now = NINE + 10 * MINUTE

    request = await keep_place(sessions, entry.id, phone="0687654321", number_source="typed", now=now)

    assert request is not None
    async with sessions() as session:
        stored = await session.get(CallbackRequest, request.id)
        kept = await session.get(QueueEntry, entry.id)
    assert stored is not None and kept is not None
    assert (stored.kind, stored.status, stored.attempts) == ("kept_place", "booked", 0)
    assert (stored.due_at, stored.queued_at) == (NINE + 2 * MINUTE, NINE + 2 * MINUTE)
    assert (stored.slot_start, stored.slot_end) == (None, None)
    assert (stored.phone, stored.number_source, stored.source, stored.call_id) == (
        "0687654321",
        "typed",
        "phone",
        "call-a",
    )
    assert (kept.status, kept.callback_request_id) == ("kept", request.id)
    assert await waiting_entries(sessions, practice.id) == []


async def test_keeping_a_place_refuses_a_caller_no_longer_waiting(
    sessions: Sessions, practice: Practice
) -> None:
    """A caller already being connected (or kept before) gets None and no request is stored."""
    entry = await _join(sessions, practice, "a", 0)
    assert await keep_place(sessions, entry.id, phone="06", number_source="caller_id", now=NINE)
    assert await keep_place(sessions, entry.id, phone="06", number_source="caller_id", now=NINE) is None
    connecting = await _join(sessions, practice, "b", 1)
    await set_queue_status(sessions, connecting.id, "connecting")
    assert await keep_place(sessions, connecting.id, phone="06", number_source="caller_id", now=NINE) is None
    assert await keep_place(sessions, 999_999, phone="06", number_source="caller_id", now=NINE) is None
    assert await _count(sessions, CallbackRequest) == 1


async def test_keep_place_and_connect_race_has_one_winner(sessions: Sessions, practice: Practice) -> None:
    """An assistant coming free while the caller presses 'keep my place': exactly one of them wins."""
    entries = [await _join(sessions, practice, str(n), n) for n in range(10)]

    async def keep(entry: QueueEntry) -> bool:
        return (
            await keep_place(sessions, entry.id, phone="06", number_source="caller_id", now=NINE) is not None
        )

    async def connect(entry: QueueEntry) -> bool:
        return await set_queue_status(sessions, entry.id, "connecting", expect={"waiting"})

    results = await asyncio.gather(*(f(e) for e in entries for f in (keep, connect)))

    assert [results[i] + results[i + 1] for i in range(0, len(results), 2)] == [1] * len(entries)
    kept = sum(results[0::2])
    assert await _count(sessions, CallbackRequest) == kept


async def test_keep_place_validates_its_input(sessions: Sessions, practice: Practice) -> None:
    """No number, an unknown number source or a naive time is refused before touching the queue."""
    entry = await _join(sessions, practice, "a", 0)
    with pytest.raises(ValueError, match="number"):
        await keep_place(sessions, entry.id, phone="", number_source="typed", now=NINE)
    with pytest.raises(ValueError, match="number_source"):
        await keep_place(sessions, entry.id, phone="06", number_source="fax", now=NINE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        await keep_place(sessions, entry.id, phone="06", number_source="typed", now=NINE.replace(tzinfo=None))
    assert [e.status for e in await waiting_entries(sessions, practice.id)] == ["waiting"]


async def test_entry_by_channel_finds_the_caller_to_readopt(sessions: Sessions, practice: Practice) -> None:
    """A restarted controller finds the entry of a channel in the bridge, only for its own practice."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    entry = await _join(sessions, practice, "a", 0)
    found = await entry_by_channel(sessions, practice.id, "chan-a")
    assert found is not None and found.id == entry.id
    assert await entry_by_channel(sessions, practice.id, "chan-unknown") is None
    assert await entry_by_channel(sessions, other.id, "chan-a") is None


async def test_naive_arrival_is_refused(sessions: Sessions, practice: Practice) -> None:
    """Joining with a naive time raises instead of guessing the zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await join_queue(
            sessions,
            practice_id=practice.id,
            call_id="c",
            channel_id="ch",
            phone="",
            group="overige",
            rank=1,
            arrived_at=NINE.replace(tzinfo=None),
        )


async def test_entries_of_channels_gone_are_closed_as_abandoned(
    sessions: Sessions, practice: Practice
) -> None:
    """Waiting and connecting callers whose channel is no longer live become abandoned (defect 27)."""
    live = await _join(sessions, practice, "live", 0)
    gone = await _join(sessions, practice, "gone", 1)
    connecting = await _join(sessions, practice, "connecting", 2)
    served = await _join(sessions, practice, "served", 3)
    late = await _join(sessions, practice, "late", 20)  # joined after the live channels were listed
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    elsewhere = await _join(sessions, other, "elsewhere", 0)
    await set_queue_status(sessions, connecting.id, "connecting")
    await set_queue_status(sessions, served.id, "served")

    closed = await close_stale_entries(sessions, practice.id, {"chan-live"}, NINE + 10 * MINUTE)

    assert closed == 2
    async with sessions() as session:
        statuses = {
            row.id: row.status for row in await session.execute(select(QueueEntry.id, QueueEntry.status))
        }
    assert statuses == {
        live.id: "waiting",
        gone.id: "abandoned",
        connecting.id: "abandoned",
        served.id: "served",
        late.id: "waiting",
        elsewhere.id: "waiting",
    }
    assert [e.id for e in await waiting_entries(sessions, practice.id)] == [live.id, late.id]
    assert await close_stale_entries(sessions, practice.id, {"chan-live"}, NINE + 10 * MINUTE) == 0
