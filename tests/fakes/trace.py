"""Reading a fake practice's call trace back from its database, as a report would."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.call_events import NewCallEvent
from storage.models import CallEvent
from tests.fakes.practice import START, FakePractice


@dataclass(frozen=True)
class Event:
    kind: str
    detail: dict[str, Any]
    at: dt.datetime

    @property
    def t(self) -> float:
        """Seconds after START: the virtual loop time at which it was recorded."""
        return (self.at - START).total_seconds()


class Trace:
    """One call's events in the order they were recorded."""

    def __init__(self, call_id: str, events: list[Event]) -> None:
        self.call_id = call_id
        self.events = events

    @property
    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def one(self, kind: str) -> Event:
        [event] = [e for e in self.events if e.kind == kind]
        return event

    def all(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    @property
    def stored(self) -> list[NewCallEvent]:
        """The events as the report reads them."""
        return [NewCallEvent(self.call_id, e.kind, e.at, e.detail) for e in self.events]

    def seconds(self, first: str, then: str) -> float:
        """The figure a report derives: the time between two events of this call."""
        return (self.one(then).at - self.one(first).at).total_seconds()


async def traces(practice: FakePractice, numbers: Iterable[str] = ()) -> list[Trace]:
    """Every call's trace in the order the calls began; no detail may contain any of `numbers`."""

    async def query(session: Any) -> list[CallEvent]:
        return list(await session.scalars(select(CallEvent).order_by(CallEvent.id)))

    rows = await practice.sql(query)
    assert practice.trace.buffered == 0, "every recorded event is written"
    by_call: dict[str, list[Event]] = {}
    for row in rows:
        by_call.setdefault(row.call_id, []).append(Event(row.kind, row.detail, row.at))
    assert_no_numbers([e for events in by_call.values() for e in events], numbers)
    return [Trace(call_id, events) for call_id, events in by_call.items()]


def assert_no_numbers(events: Iterable[Event], numbers: Iterable[str]) -> None:
    """No phone number in any spelling: national digits, without the 0, or as +31."""
    spellings = set()
    for number in numbers:
        digits = number.lstrip("0")
        spellings |= {number, digits, f"31{digits}"}
    for event in events:
        text = json.dumps(event.detail)
        found = [s for s in spellings if s and s in text]
        assert not found, f"{event.kind} holds a phone number: {event.detail}"
