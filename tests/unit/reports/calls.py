"""Hand-written calls for the report tests: each builder gives the events the controller writes for one
kind of call, at times the test chooses, so every expected figure can be worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from storage.call_events import EventKind as K
from storage.call_events import NewCallEvent

TZ = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.date(2026, 11, 2)
_ids = itertools.count(1)


def at(day: dt.date, clock: str, seconds: float = 0.0) -> dt.datetime:
    hour, minute = map(int, clock.split(":"))
    local = dt.datetime.combine(day, dt.time(hour, minute), TZ) + dt.timedelta(seconds=seconds)
    return local.astimezone(dt.UTC)


class Call:
    """One caller's events, written in order; `after` moves the clock on."""

    def __init__(self, start: dt.datetime, call_id: str | None = None) -> None:
        self.call_id = call_id or f"call-{next(_ids)}"
        self.start = start
        self.now = start
        self.events: list[NewCallEvent] = []

    def event(self, kind: K, **detail: Any) -> Call:
        self.events.append(NewCallEvent(self.call_id, str(kind), self.now, detail))
        return self

    def after(self, seconds: float) -> Call:
        self.now += dt.timedelta(seconds=seconds)
        return self

    def arrive(self) -> Call:
        return self.event(K.CALL_ARRIVED, caller="number")

    def end(self, reason: str = "patient_hung_up") -> Call:
        return self.event(K.CALL_ENDED, reason=reason, seconds=(self.now - self.start).total_seconds())


def spoed(start: dt.datetime, answered_after: float | None, *, by: str = "assistent1", talk: float = 60.0,
          overflow_after: float | None = None) -> Call:  # fmt: skip
    """Spoed from the main menu, answered by `by` after `answered_after` seconds (None: given up)."""
    call = Call(start).arrive().event(K.MENU_CHOICE, path="", key="1", option="spoed", group=None)
    call.event(K.SPOED_STARTED, route="practice", headsets=2)
    if overflow_after is not None:
        call.after(overflow_after).event(K.SPOED_OVERFLOWED, round=1, seconds=overflow_after)
    if answered_after is None:
        return call.after(90).event(K.SPOED_GIVEN_UP, reason="nobody_answered", seconds=90).end()
    call.now = call.start + dt.timedelta(seconds=answered_after)
    overflowed = overflow_after is not None
    call.event(K.SPOED_ANSWERED, by=by, seconds=answered_after, overflowed=overflowed)
    return call.after(talk).end()


def queued(start: dt.datetime, waited: float, outcome: str, *, headset: str = "assistent1",
           talk: float = 120.0, request_id: int | None = None) -> Call:  # fmt: skip
    """Key 5: the live queue, left after `waited` seconds with `outcome` (answered, abandoned, kept, ...)."""
    call = Call(start).arrive().event(K.MENU_CHOICE, path="", key="5", option="queue", group="balie")
    call.event(K.QUEUE_JOINED, entry_id=next(_ids), group="balie", rank=0)
    call.after(waited)
    detail: dict[str, Any] = {"entry_id": 0, "outcome": outcome, "waited_seconds": waited}
    if outcome == "answered":
        detail["headset"] = headset
    if outcome == "kept":
        detail.update(request_id=request_id, number_source="caller_id")
    call.event(K.QUEUE_LEFT, **detail)
    if outcome == "answered":
        call.after(talk)
    return call.end()


def offered(start: dt.datetime, slot: dt.datetime, outcome: str, *, request_id: int | None = None,
            next_open_day: dt.date | None = None) -> Call:  # fmt: skip
    """Key 4: the offer of `slot`, then "booked", "declined" or "turned_away" (no slot to offer)."""
    call = Call(start).arrive().event(K.MENU_CHOICE, path="", key="4", option="callback", group=None)
    if outcome == "turned_away":
        nxt = next_open_day.isoformat() if next_open_day else None
        return call.after(5).event(K.CALLBACK_TURNED_AWAY, reason="full_today", next_open_day=nxt).end()
    call.after(5).event(K.CALLBACK_OFFERED, slot=slot.isoformat()).after(10)
    if outcome == "booked":
        call.event(K.CALLBACK_BOOKED, request_id=request_id, slot=slot.isoformat())
    else:
        call.event(K.CALLBACK_DECLINED, slot=slot.isoformat())
    return call.after(3).end("completed")


def attempt(call: Call, request_id: int, started: dt.datetime, outcome: str, *, attempt_no: int = 1,
            kind: str = "slot", slot: dt.datetime | None = None, talk: float = 90.0,
            headset: str = "assistent2", closes: str | None = None) -> Call:  # fmt: skip
    """A callback attempt of `call`'s request: the headset rings at `started`, the patient 5 s later."""
    attempt_id = next(_ids)
    call.now = started
    common = {"request_id": request_id, "attempt_id": attempt_id, "headset": headset}
    slot_text = slot.isoformat() if slot else None
    call.event(K.ATTEMPT_STARTED, **common, attempt_no=attempt_no, request_kind=kind, due_at=slot_text,
               slot_start=slot_text, slot_end=None)  # fmt: skip
    call.after(5).event(K.ATTEMPT_DIALLED, **common, seconds=5.0)
    if outcome == "reached":
        call.after(8).event(K.ATTEMPT_ANSWERED, **common, ring_seconds=8.0)
        call.after(talk).event(
            K.ATTEMPT_ENDED, **common, outcome=outcome, seconds=13.0 + talk, talk_seconds=talk
        )
    else:
        call.after(30).event(K.ATTEMPT_ENDED, **common, outcome=outcome, seconds=35.0)
    if closes:
        call.event(K.REQUEST_ENDED, **common, status=closes, attempts=attempt_no)
    return call


def events(*calls: Call) -> list[NewCallEvent]:
    return sorted((e for c in calls for e in c.events), key=lambda e: e.at)


def booked(n: int, slot: dt.datetime, *, late_minutes: float = 0.0, talk: float = 90.0) -> Call:
    """Caller n books `slot` at 08:00 + n s that day and is reached at her first call, `late_minutes` late."""
    call = offered(at(slot.astimezone(TZ).date(), "08:00", n), slot, "booked", request_id=n)
    started = slot + dt.timedelta(minutes=late_minutes)
    return attempt(call, n, started, "reached", slot=slot, talk=talk, closes="done")
