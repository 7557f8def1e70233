"""Manual actions on a callback request: done, not reached, deleted and moved, each atomic and recorded."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from storage.attempts import claim_callback, finish_attempt
from storage.bookings import book_callback
from storage.manual import (
    MAX_TEXT,
    ManualResult,
    delete_request,
    mark_done,
    mark_not_reached,
    move_request,
)
from storage.models import CallbackRequest, CallEvent, Practice, SlotCounter
from storage.practices import ensure_practice
from storage.screen import request_by_id
from storage.status import ACTIVE_STATUSES, RequestKind

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATER = SLOT + timedelta(hours=2)
QUARTER = timedelta(minutes=15)
NOW = SLOT - timedelta(hours=1)
PHONE = "0612345678"

Action = Callable[..., Awaitable[ManualResult]]


async def _book(
    sessions: Sessions,
    practice: Practice,
    start: datetime = SLOT,
    capacity: int = 1,
    phone: str = PHONE,
    **extra: Any,
) -> CallbackRequest | None:
    return await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=capacity,
        phone=phone,
        number_source="caller_id",
        **extra,
    )


async def _booked(sessions: Sessions, practice: Practice, **kwargs: Any) -> CallbackRequest:
    booked = await _book(sessions, practice, **kwargs)
    assert booked is not None
    return booked


async def _places(sessions: Sessions, practice: Practice, start: datetime = SLOT) -> tuple[int, int]:
    async with sessions() as session:
        counter = await session.get(SlotCounter, (practice.id, start))
        return (counter.ordinary, counter.priority) if counter else (0, 0)


async def _stored(sessions: Sessions, request_id: int) -> CallbackRequest:
    async with sessions() as session:
        return await session.get_one(CallbackRequest, request_id)


async def _events(sessions: Sessions) -> list[CallEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(CallEvent).order_by(CallEvent.id)))


async def _done(sessions: Sessions, practice_id: int, request_id: int, **kw: Any) -> ManualResult:
    return await mark_done(sessions, practice_id, request_id, by="anna", **{"now": NOW, **kw})


async def _not_reached(sessions: Sessions, practice_id: int, request_id: int, **kw: Any) -> ManualResult:
    return await mark_not_reached(sessions, practice_id, request_id, by="anna", **{"now": NOW, **kw})


async def _delete(sessions: Sessions, practice_id: int, request_id: int, **kw: Any) -> ManualResult:
    kw = {"reason": "dubbel", "now": NOW, **kw}
    return await delete_request(sessions, practice_id, request_id, by="anna", **kw)


async def _move(
    sessions: Sessions, practice_id: int, request_id: int, to: datetime = LATER, **kw: Any
) -> ManualResult:
    kw.setdefault("capacity", 1)
    kw.setdefault("reserved", 0)
    kw.setdefault("now", NOW)
    return await move_request(
        sessions, practice_id, request_id, slot_start=to, slot_end=to + QUARTER, by="bram", **kw
    )


# Each ending action with the status, event kind and outcome note it leaves.
ENDINGS: dict[str, tuple[Action, str, str, str | None]] = {
    "done": (_done, "done", "manual_done", None),
    "not_reached": (_not_reached, "not_reached", "manual_not_reached", None),
    "deleted": (_delete, "cancelled", "manual_deleted", "dubbel"),
}
ACTIONS: dict[str, Action] = {name: action for name, (action, *_) in ENDINGS.items()} | {"move": _move}


@pytest.mark.parametrize("name", ENDINGS)
async def test_every_ending_action_frees_the_slot_and_records_who(
    sessions: Sessions, practice: Practice, name: str
) -> None:
    """Ending a request by hand sets its status and end time, frees its place and stores an event."""
    action, status, kind, note = ENDINGS[name]
    booked = await _booked(sessions, practice, call_id="call-7")
    assert await _book(sessions, practice, phone="0687654321") is None

    assert await action(sessions, practice.id, booked.id) == ManualResult.OK

    stored = await _stored(sessions, booked.id)
    assert (stored.status, stored.ended_at, stored.updated_at, stored.outcome_note) == (
        status,
        NOW,
        NOW,
        note,
    )
    assert await _places(sessions, practice) == (0, 0)
    assert await _book(sessions, practice, phone="0687654321") is not None
    [event] = await _events(sessions)
    assert (event.practice_id, event.call_id, event.kind, event.at) == (practice.id, "call-7", kind, NOW)
    assert event.detail == {"request_id": booked.id, "by": "anna"}


async def test_done_and_not_reached_keep_the_assistants_note(sessions: Sessions, practice: Practice) -> None:
    """A note given with done or not reached becomes the outcome note, stripped of surrounding space."""
    done = await _booked(sessions, practice, capacity=2)
    gone = await _booked(sessions, practice, capacity=2, phone="0687654321")

    assert await _done(sessions, practice.id, done.id, note=" zelf gebeld ") == ManualResult.OK
    assert await _not_reached(sessions, practice.id, gone.id, note="3x gebeld") == ManualResult.OK

    assert (await _stored(sessions, done.id)).outcome_note == "zelf gebeld"
    assert (await _stored(sessions, gone.id)).outcome_note == "3x gebeld"
    with pytest.raises(ValueError, match="note"):
        await _done(sessions, practice.id, done.id, note="x" * (MAX_TEXT + 1))


async def test_a_request_without_a_call_files_its_event_under_the_request(
    sessions: Sessions, practice: Practice
) -> None:
    """An online request has no call id: its event's call id is request-<id>."""
    booked = await _booked(sessions, practice, source="online")

    assert await _done(sessions, practice.id, booked.id) == ManualResult.OK

    [event] = await _events(sessions)
    assert event.call_id == f"request-{booked.id}"


@pytest.mark.parametrize("name", ACTIONS)
async def test_an_ended_request_is_not_active_and_gives_back_nothing_twice(
    sessions: Sessions, practice: Practice, name: str
) -> None:
    """After a request ended every action is refused as not active and the slot's count stays put."""
    ended = await _booked(sessions, practice, capacity=2)
    await _booked(sessions, practice, capacity=2, phone="0687654321")
    assert await _done(sessions, practice.id, ended.id) == ManualResult.OK

    assert await ACTIONS[name](sessions, practice.id, ended.id) == ManualResult.NOT_ACTIVE

    assert await _places(sessions, practice) == (1, 0)
    assert await _places(sessions, practice, LATER) == (0, 0)
    assert [e.kind for e in await _events(sessions)] == ["manual_done"]


@pytest.mark.parametrize("name", ACTIONS)
async def test_another_practices_or_an_unknown_request_is_not_found(
    sessions: Sessions, practice: Practice, name: str
) -> None:
    """A request of another practice, or no request at all, is not found and nothing changes."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0207654321")
    booked = await _booked(sessions, practice)

    assert await ACTIONS[name](sessions, other.id, booked.id) == ManualResult.NOT_FOUND
    assert await ACTIONS[name](sessions, practice.id, booked.id + 1000) == ManualResult.NOT_FOUND

    assert (await _stored(sessions, booked.id)).status == "booked"
    assert await _places(sessions, practice) == (1, 0)
    assert await _events(sessions) == []


@pytest.mark.parametrize("name", ACTIONS)
async def test_a_request_being_dialled_is_refused_as_being_called(
    sessions: Sessions, practice: Practice, name: str
) -> None:
    """While the dispatcher dials a request no manual action touches it."""
    booked = await _booked(sessions, practice)
    assert await claim_callback(sessions, booked.id, headset="hs-1", now=SLOT) is not None

    assert await ACTIONS[name](sessions, practice.id, booked.id) == ManualResult.BEING_CALLED

    stored = await _stored(sessions, booked.id)
    assert (stored.status, stored.slot_start, stored.ended_at) == ("in_progress", SLOT, None)
    assert await _places(sessions, practice) == (1, 0)
    assert await _events(sessions) == []


@pytest.mark.parametrize("reason", ["", "   \n", "x" * (MAX_TEXT + 1)])
async def test_deleting_needs_a_reason_of_at_most_500_characters(
    sessions: Sessions, practice: Practice, reason: str
) -> None:
    """An empty, blank or too long reason raises ValueError naming reason, and nothing changes."""
    booked = await _booked(sessions, practice)

    with pytest.raises(ValueError, match="reason"):
        await delete_request(sessions, practice.id, booked.id, by="anna", reason=reason, now=NOW)

    assert (await _stored(sessions, booked.id)).status == "booked"
    assert await _events(sessions) == []
    longest = "x" * MAX_TEXT
    assert await delete_request(sessions, practice.id, booked.id, by="anna", reason=longest, now=NOW) == "ok"


async def test_the_reason_and_the_number_stay_out_of_the_log_and_the_events(
    sessions: Sessions, practice: Practice
) -> None:
    """Deleting logs who and which request, never the reason or the patient's number."""
    booked = await _booked(sessions, practice, call_id="call-1")
    reason = "pt heeft pijn op de borst, naar SEH"

    with capture_logs() as logs:
        result = await delete_request(sessions, practice.id, booked.id, by="anna", reason=reason, now=NOW)

    assert result == ManualResult.OK
    [line] = [line for line in logs if line["event"] == "manual_deleted"]
    assert (line["request_id"], line["by"], line["result"]) == (booked.id, "anna", "ok")
    everything = repr(logs) + repr([e.detail for e in await _events(sessions)])
    assert "SEH" not in everything and PHONE not in everything and PHONE[-8:] not in everything
    assert (await _stored(sessions, booked.id)).outcome_note == reason


async def test_a_move_takes_the_new_place_and_frees_the_old_one(
    sessions: Sessions, practice: Practice
) -> None:
    """A moved request is in the new slot, due at its start; the old slot takes a new booking."""
    booked = await _booked(sessions, practice, call_id="call-3")

    assert await _move(sessions, practice.id, booked.id) == ManualResult.OK

    stored = await _stored(sessions, booked.id)
    assert (stored.slot_start, stored.slot_end, stored.due_at, stored.status) == (
        LATER,
        LATER + QUARTER,
        LATER,
        "booked",
    )
    assert await _places(sessions, practice) == (0, 0)
    assert await _places(sessions, practice, LATER) == (1, 0)
    assert await _book(sessions, practice, phone="0687654321") is not None
    assert await _book(sessions, practice, LATER, phone="0687654321") is None
    [event] = await _events(sessions)
    assert (event.kind, event.call_id, event.at) == ("manual_moved", "call-3", NOW)
    assert event.detail == {
        "request_id": booked.id,
        "by": "bram",
        "from": SLOT.isoformat(),
        "to": LATER.isoformat(),
    }


async def test_a_move_to_a_full_slot_changes_nothing(sessions: Sessions, practice: Practice) -> None:
    """Moving to a slot without room is refused as full; the request, both counters and the events stay."""
    booked = await _booked(sessions, practice)
    await _booked(sessions, practice, start=LATER, phone="0687654321")
    before = await _stored(sessions, booked.id)

    assert await _move(sessions, practice.id, booked.id) == ManualResult.FULL

    after = await _stored(sessions, booked.id)
    assert (after.slot_start, after.slot_end, after.due_at, after.updated_at) == (
        before.slot_start,
        before.slot_end,
        before.due_at,
        before.updated_at,
    )
    assert await _places(sessions, practice) == (1, 0)
    assert await _places(sessions, practice, LATER) == (1, 0)
    assert await _events(sessions) == []
    assert await _move(sessions, practice.id, booked.id, capacity=0) == ManualResult.FULL


async def test_a_move_to_an_earlier_slot_keeps_the_counts_right(
    sessions: Sessions, practice: Practice
) -> None:
    """Moving backwards in the day frees the later slot and fills the earlier one."""
    booked = await _booked(sessions, practice, start=LATER)

    assert await _move(sessions, practice.id, booked.id, to=SLOT) == ManualResult.OK

    assert await _places(sessions, practice, LATER) == (0, 0)
    assert await _places(sessions, practice, SLOT) == (1, 0)


async def test_a_move_applies_the_bookings_room_rule_with_the_reserve(
    sessions: Sessions, practice: Practice
) -> None:
    """Into a slot of 2 with 1 reserved and 1 ordinary booked, an urgent request fits and an ordinary not."""
    await _booked(sessions, practice, start=LATER, capacity=2, phone="0600000000")
    ordinary = await _booked(sessions, practice, capacity=2, phone="0611111111")
    urgent = await _booked(sessions, practice, capacity=2, phone="0622222222", priority=True)
    rule = {"capacity": 2, "reserved": 1}

    assert await _move(sessions, practice.id, ordinary.id, **rule) == ManualResult.FULL
    assert await _move(sessions, practice.id, urgent.id, **rule) == ManualResult.OK

    assert await _places(sessions, practice, LATER) == (1, 1)
    assert await _places(sessions, practice) == (1, 0)


async def test_a_move_never_goes_into_the_past(sessions: Sessions, practice: Practice) -> None:
    """A slot that has ended, even just now, is refused; the slot running now is still allowed."""
    booked = await _booked(sessions, practice, capacity=3)
    past = LATER + QUARTER

    assert await _move(sessions, practice.id, booked.id, now=past) == ManualResult.IN_THE_PAST
    assert await _move(sessions, practice.id, booked.id, now=past + QUARTER) == ManualResult.IN_THE_PAST
    assert (await _stored(sessions, booked.id)).slot_start == SLOT
    assert await _move(sessions, practice.id, booked.id, now=LATER + timedelta(minutes=14)) == "ok"


async def test_only_a_slot_request_can_move(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """A kept queue place has no slot: moving it is refused and takes no place."""
    kept = await kept_place(SLOT)

    assert await _move(sessions, practice.id, kept.id) == ManualResult.NOT_A_SLOT

    stored = await _stored(sessions, kept.id)
    assert (stored.kind, stored.slot_start, stored.due_at) == (RequestKind.KEPT_PLACE, None, SLOT)
    assert await _places(sessions, practice, LATER) == (0, 0)


async def test_a_kept_place_ends_by_hand_without_touching_a_counter(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """A kept place can be marked done; no slot counter changes."""
    booked = await _booked(sessions, practice)
    kept = await kept_place(SLOT, "0687654321")

    assert await _done(sessions, practice.id, kept.id) == ManualResult.OK

    assert (await _stored(sessions, kept.id)).status == "done"
    assert await _places(sessions, practice) == (1, 0)
    assert (await _stored(sessions, booked.id)).status == "booked"


async def test_a_retried_request_moved_is_due_at_its_new_slot(sessions: Sessions, practice: Practice) -> None:
    """A request waiting for its retry is due at the new slot's start once moved; its tries stay counted."""
    booked = await _booked(sessions, practice)
    attempt = await claim_callback(sessions, booked.id, headset="hs-1", now=SLOT)
    assert attempt is not None
    await finish_attempt(
        sessions, attempt.id, "busy", now=SLOT, retry_after=timedelta(minutes=5), max_attempts=3
    )

    assert await _move(sessions, practice.id, booked.id, now=SLOT) == ManualResult.OK

    stored = await _stored(sessions, booked.id)
    assert (stored.due_at, stored.attempts, stored.status) == (LATER, 1, "booked")


async def test_a_move_within_its_own_slot_takes_no_second_place(
    sessions: Sessions, practice: Practice
) -> None:
    """Moving to the slot it already has succeeds in a full slot and counts the request once."""
    booked = await _booked(sessions, practice)

    assert await _move(sessions, practice.id, booked.id, to=SLOT) == ManualResult.OK

    assert await _places(sessions, practice) == (1, 0)


async def test_a_stale_screen_row_is_refused_as_changed(sessions: Sessions, practice: Practice) -> None:
    """An action based on a row that changed since it was shown is refused as changed."""
    booked = await _booked(sessions, practice, capacity=2)
    shown = await request_by_id(sessions, practice.id, booked.id)
    assert shown is not None
    assert await _move(sessions, practice.id, booked.id, seen_updated_at=shown.updated_at) == "ok"

    assert await _done(sessions, practice.id, booked.id, seen_updated_at=shown.updated_at) == "changed"
    assert await _move(sessions, practice.id, booked.id, to=SLOT, seen_updated_at=shown.updated_at) == (
        ManualResult.CHANGED
    )

    fresh = await request_by_id(sessions, practice.id, booked.id)
    assert fresh is not None and fresh.slot_start == LATER
    assert await _done(sessions, practice.id, booked.id, seen_updated_at=fresh.updated_at) == "ok"


@pytest.mark.parametrize("action", [_done, _not_reached, _delete, _move])
async def test_naive_times_are_refused(sessions: Sessions, practice: Practice, action: Action) -> None:
    """A naive now or seen_updated_at raises ValueError."""
    booked = await _booked(sessions, practice)
    naive = datetime(2025, 3, 3, 8, 0)

    with pytest.raises(ValueError, match="now"):
        await action(sessions, practice.id, booked.id, now=naive)
    with pytest.raises(ValueError, match="seen_updated_at"):
        await action(sessions, practice.id, booked.id, seen_updated_at=naive)
    with pytest.raises(ValueError, match="slot_start"):
        await move_request(
            sessions, practice.id, booked.id, slot_start=naive, slot_end=LATER, capacity=1, reserved=0,
            by="bram", now=NOW,
        )  # fmt: skip


async def _consistent(sessions: Sessions, practice: Practice) -> None:
    # Every slot counts exactly its active slot requests.
    async with sessions() as session:
        active = Counter(
            (
                await session.scalars(
                    select(CallbackRequest.slot_start).where(
                        CallbackRequest.practice_id == practice.id,
                        CallbackRequest.kind == RequestKind.SLOT,
                        CallbackRequest.status.in_(ACTIVE_STATUSES),
                    )
                )
            ).all()
        )
        counted = {c.slot_start: c.ordinary + c.priority for c in await session.scalars(select(SlotCounter))}
    assert {start: n for start, n in counted.items() if n} == dict(active)


async def test_done_and_move_at_the_same_moment_exactly_one_wins(
    sessions: Sessions, practice: Practice
) -> None:
    """Of "Afgehandeld" and "Verplaatsen" pressed at once on one row, exactly one succeeds, every time."""
    rows = [await _booked(sessions, practice, capacity=10, phone=f"06{i:08d}") for i in range(10)]
    shown = [await request_by_id(sessions, practice.id, r.id) for r in rows]

    results = await asyncio.gather(
        *(
            coroutine
            for row in shown
            if row is not None
            for coroutine in (
                _done(sessions, practice.id, row.id, seen_updated_at=row.updated_at),
                _move(sessions, practice.id, row.id, capacity=10, seen_updated_at=row.updated_at),
            )
        )
    )

    pairs = list(zip(results[::2], results[1::2], strict=True))
    assert len(pairs) == 10
    for done, moved in pairs:
        assert [done, moved].count(ManualResult.OK) == 1
        assert {done, moved} <= {ManualResult.OK, ManualResult.CHANGED, ManualResult.NOT_ACTIVE}
    events = await _events(sessions)
    assert len(events) == 10 and len({e.detail["request_id"] for e in events}) == 10
    await _consistent(sessions, practice)


async def test_without_a_seen_row_done_and_move_at_once_stay_consistent(
    sessions: Sessions, practice: Practice
) -> None:
    """Without seen_updated_at, done and move at once end done, and every slot counts its active requests."""
    rows = [await _booked(sessions, practice, capacity=10, phone=f"06{i:08d}") for i in range(10)]

    results = await asyncio.gather(
        *(
            coroutine
            for row in rows
            for coroutine in (
                _done(sessions, practice.id, row.id),
                _move(sessions, practice.id, row.id, capacity=10),
            )
        )
    )

    assert results[::2] == [ManualResult.OK] * 10
    assert set(results[1::2]) <= {ManualResult.OK, ManualResult.NOT_ACTIVE}
    assert all([(await _stored(sessions, r.id)).status == "done" for r in rows])
    await _consistent(sessions, practice)
    assert await _places(sessions, practice) == (0, 0) and await _places(sessions, practice, LATER) == (0, 0)


async def test_the_dispatchers_claim_and_a_manual_done_at_once_exactly_one_wins(
    sessions: Sessions, practice: Practice
) -> None:
    """A claim and "Afgehandeld" at the same moment: either the call starts or the request is done."""
    rows = [await _booked(sessions, practice, capacity=10, phone=f"06{i:08d}") for i in range(10)]

    results = await asyncio.gather(
        *(
            coroutine
            for row in rows
            for coroutine in (
                claim_callback(sessions, row.id, headset="hs-1", now=SLOT),
                _done(sessions, practice.id, row.id),
            )
        )
    )

    for row, claimed, done in zip(rows, results[::2], results[1::2], strict=True):
        status = (await _stored(sessions, row.id)).status
        if claimed is not None:
            assert (done, status) == (ManualResult.BEING_CALLED, "in_progress")
        else:
            assert (done, status) == (ManualResult.OK, "done")
    await _consistent(sessions, practice)


async def test_moves_in_opposite_directions_at_once_all_succeed(
    sessions: Sessions, practice: Practice
) -> None:
    """Requests swapping slots at the same moment all move, and both slots count what they hold."""
    early = [await _booked(sessions, practice, capacity=20, phone=f"060{i:07d}") for i in range(5)]
    late = [
        await _booked(sessions, practice, start=LATER, capacity=20, phone=f"061{i:07d}") for i in range(5)
    ]

    results = await asyncio.gather(
        *(_move(sessions, practice.id, r.id, to=LATER, capacity=20) for r in early),
        *(_move(sessions, practice.id, r.id, to=SLOT, capacity=20) for r in late),
    )

    assert results == [ManualResult.OK] * 10
    assert await _places(sessions, practice) == (5, 0)
    assert await _places(sessions, practice, LATER) == (5, 0)
    await _consistent(sessions, practice)
