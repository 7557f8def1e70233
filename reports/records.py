"""From the call trace to one story per caller: what happened in a call and its callbacks, with times.

The trace is a flat list of events; every figure of the report is a question about a caller ("was spoed
answered within 30 s?", "did the callback come on time?"), so the events are first gathered per call id
into a `CallStory`. A caller taken over by a restarted controller (`call_resumed`) stays one story, and
callback attempts join the story of the call that booked them (they are filed under its call id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.call_events import EventKind, QueueExit
from storage.status import AttemptOutcome


class TraceEvent(Protocol):
    """One stored event: `storage.models.CallEvent` rows and `NewCallEvent` both fit."""

    @property
    def call_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


@dataclass
class SpoedStory:
    """One spoed call: rung at the practice's spoed headsets, then the overflow number."""

    started_at: dt.datetime
    route: str
    seconds_to_person: float | None = None
    answered_by: str | None = None
    answered_at: dt.datetime | None = None
    overflowed: bool = False
    given_up: str | None = None


@dataclass
class WaitStory:
    """Waiting for a person: in the live queue (`via` "queue") or for the headsets option ("headsets")."""

    via: str
    started_at: dt.datetime
    outcome: str | None = None  # QueueExit, or the headsets result (answered, no_answer, hung_up, ...)
    waited_seconds: float | None = None
    headset: str | None = None
    answered_at: dt.datetime | None = None
    request_id: int | None = None  # a kept place's request

    @property
    def answered(self) -> bool:
        return self.outcome == QueueExit.ANSWERED


@dataclass
class OfferStory:
    """The callback offer of one call: the times heard and how it ended."""

    offered: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)  # (when, slot)
    booked_slot: dt.datetime | None = None
    booked_request_id: int | None = None
    declined_slot: dt.datetime | None = None
    declined_at: dt.datetime | None = None
    turned_away_reason: str | None = None
    next_open_day: dt.date | None = None
    hung_up: bool = False


@dataclass
class AttemptStory:
    """One callback attempt: the assistant's headset first, then the patient."""

    request_id: int
    attempt_id: int | None
    started_at: dt.datetime
    attempt_no: int | None = None
    headset: str | None = None
    request_kind: str | None = None
    slot_start: dt.datetime | None = None
    dialled_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    outcome: str | None = None
    seconds: float | None = None
    talk_seconds: float | None = None

    @property
    def reached(self) -> bool:
        return self.outcome == AttemptOutcome.REACHED


@dataclass
class CallStory:
    """Everything the trace holds of one caller: the call and every callback attempt it led to."""

    call_id: str
    first_at: dt.datetime
    arrived_at: dt.datetime | None = None
    outside_hours: bool = False
    ended_at: dt.datetime | None = None
    end_reason: str | None = None
    spoed: list[SpoedStory] = field(default_factory=list)
    waits: list[WaitStory] = field(default_factory=list)
    offer: OfferStory | None = None
    attempts: list[AttemptStory] = field(default_factory=list)
    # (kind, request_id, at) of the assistants' own actions on the screen.
    manual: list[tuple[str, int | None, dt.datetime]] = field(default_factory=list)
    # How each request was closed by its last attempt (request_ended): done, not_reached, cancelled.
    closed: dict[int, str] = field(default_factory=dict)

    @property
    def online(self) -> bool:
        """A request made online: its attempts are filed under `request-N`, with no call before them."""
        return self.arrived_at is None and self.call_id.startswith("request-")

    def attempts_of(self, request_id: int) -> list[AttemptStory]:
        return [a for a in self.attempts if a.request_id == request_id]

    def requests(self) -> dict[int, str | None]:
        """Each callback request of this caller and its kind ("slot", "kept_place", or None if unknown)."""
        found: dict[int, str | None] = {}
        if self.offer is not None and self.offer.booked_request_id is not None:
            found[self.offer.booked_request_id] = "slot"
        for wait in self.waits:
            if wait.request_id is not None:
                found[wait.request_id] = "kept_place"
        for attempt in self.attempts:
            if attempt.request_kind is not None or attempt.request_id not in found:
                found[attempt.request_id] = attempt.request_kind or found.get(attempt.request_id)
        for _, request_id, _ in self.manual:
            if request_id is not None:
                found.setdefault(request_id, None)
        for request_id in self.closed:
            found.setdefault(request_id, None)
        return found


def build_stories(events: Iterable[TraceEvent]) -> list[CallStory]:
    """Gather the events per caller, in the order they happened; stories come out by their first event."""
    ordered = sorted(events, key=lambda e: e.at)
    stories: dict[str, CallStory] = {}
    alias: dict[str, str] = {}
    for event in ordered:
        detail = event.detail
        if event.kind == EventKind.CALL_RESUMED:
            earlier = str(detail.get("resumed_from") or "")
            if earlier:
                alias[event.call_id] = alias.get(earlier, earlier)
        call_id = alias.get(event.call_id, event.call_id)
        story = stories.get(call_id)
        if story is None:
            story = stories[call_id] = CallStory(call_id=call_id, first_at=event.at)
        _apply(story, event.kind, event.at, detail)
    return sorted(stories.values(), key=lambda s: (s.first_at, s.call_id))


def _apply(story: CallStory, kind: str, at: dt.datetime, d: Mapping[str, Any]) -> None:
    if kind == EventKind.CALL_ARRIVED:
        story.arrived_at = story.arrived_at or at
    elif kind == EventKind.CALL_ENDED:
        story.ended_at, story.end_reason = at, _text(d.get("reason"))
    elif kind == EventKind.OUTSIDE_HOURS:
        story.outside_hours = True
    elif kind in _SPOED:
        _spoed(story, kind, at, d)
    elif kind in _WAITS:
        _wait(story, kind, at, d)
    elif kind in _OFFERS:
        _offer(story, kind, at, d)
    elif kind in _ATTEMPTS:
        _attempt(story, kind, at, d)
    elif kind in _MANUAL:
        story.manual.append((kind, _int(d.get("request_id")), at))
    elif kind == EventKind.REQUEST_ENDED:
        request_id = _int(d.get("request_id"))
        if request_id is not None:
            story.closed[request_id] = _text(d.get("status")) or "unknown"


def _spoed(story: CallStory, kind: str, at: dt.datetime, d: Mapping[str, Any]) -> None:
    if kind == EventKind.SPOED_STARTED or not story.spoed:
        story.spoed.append(SpoedStory(started_at=at, route=_text(d.get("route")) or "practice"))
        if kind == EventKind.SPOED_STARTED:
            return
    current = story.spoed[-1]
    if kind == EventKind.SPOED_OVERFLOWED:
        current.overflowed = True
    elif kind == EventKind.SPOED_ANSWERED:
        current.seconds_to_person = _float(d.get("seconds"))
        current.answered_by = _text(d.get("by"))
        current.answered_at = at
        current.overflowed = current.overflowed or bool(d.get("overflowed"))
    elif kind == EventKind.SPOED_GIVEN_UP:
        current.given_up = _text(d.get("reason")) or "unknown"


def _wait(story: CallStory, kind: str, at: dt.datetime, d: Mapping[str, Any]) -> None:
    if kind == EventKind.QUEUE_JOINED:
        story.waits.append(WaitStory(via="queue", started_at=at))
        return
    if kind == EventKind.HEADSETS_RUNG:
        story.waits.append(WaitStory(via="headsets", started_at=at))
        return
    via = "queue" if kind == EventKind.QUEUE_LEFT else "headsets"
    # A caller resumed after a restart leaves a queue it joined under the earlier controller: same wait.
    open_waits = [w for w in story.waits if w.via == via and w.outcome is None]
    wait = open_waits[-1] if open_waits else None
    if wait is None:
        wait = WaitStory(via=via, started_at=at)
        story.waits.append(wait)
    if kind == EventKind.QUEUE_LEFT:
        wait.outcome = _text(d.get("outcome")) or "unknown"
        wait.waited_seconds = _float(d.get("waited_seconds"))
        wait.request_id = _int(d.get("request_id"))
    elif kind == EventKind.HEADSETS_ANSWERED:
        wait.outcome = QueueExit.ANSWERED
        wait.waited_seconds = _float(d.get("seconds"))
    else:
        result = _text(d.get("result")) or "unknown"
        # The headsets' "hung_up" is the queue's "abandoned": the caller gave up waiting.
        wait.outcome = QueueExit.ABANDONED if result == "hung_up" else result
        wait.waited_seconds = _float(d.get("seconds"))
    if wait.answered:
        wait.headset = _text(d.get("headset") or d.get("by"))
        wait.answered_at = at


def _offer(story: CallStory, kind: str, at: dt.datetime, d: Mapping[str, Any]) -> None:
    offer = story.offer = story.offer or OfferStory()
    slot = _time(d.get("slot"))
    if kind == EventKind.CALLBACK_OFFERED:
        offer.offered.append((at, slot))
    elif kind == EventKind.CALLBACK_DECLINED:
        offer.declined_slot, offer.declined_at = slot, at
    elif kind == EventKind.CALLBACK_BOOKED:
        offer.booked_slot, offer.booked_request_id = slot, _int(d.get("request_id"))
    elif kind == EventKind.CALLBACK_TURNED_AWAY:
        offer.turned_away_reason = _text(d.get("reason")) or "unknown"
        day = d.get("next_open_day")
        offer.next_open_day = dt.date.fromisoformat(day) if isinstance(day, str) else None
    elif kind == EventKind.CALLBACK_ABANDONED:
        offer.hung_up = True


def _attempt(story: CallStory, kind: str, at: dt.datetime, d: Mapping[str, Any]) -> None:
    request_id = _int(d.get("request_id"))
    if request_id is None:
        return
    attempt_id = _int(d.get("attempt_id"))
    found = [a for a in story.attempts if a.request_id == request_id and a.attempt_id == attempt_id]
    attempt = found[-1] if found else None
    if attempt is None:
        attempt = AttemptStory(request_id=request_id, attempt_id=attempt_id, started_at=at)
        story.attempts.append(attempt)
    attempt.headset = attempt.headset or _text(d.get("headset"))
    if kind == EventKind.ATTEMPT_STARTED:
        attempt.attempt_no = _int(d.get("attempt_no"))
        attempt.request_kind = _text(d.get("request_kind"))
        attempt.slot_start = _time(d.get("slot_start"))
    elif kind == EventKind.ATTEMPT_DIALLED:
        attempt.dialled_at = at
    elif kind == EventKind.ATTEMPT_ANSWERED:
        attempt.answered_at = at
    else:
        attempt.outcome = _text(d.get("outcome")) or "unknown"
        attempt.seconds = _float(d.get("seconds"))
        attempt.talk_seconds = _float(d.get("talk_seconds"))


_SPOED = {
    EventKind.SPOED_STARTED,
    EventKind.SPOED_OVERFLOWED,
    EventKind.SPOED_ANSWERED,
    EventKind.SPOED_GIVEN_UP,
}
_WAITS = {
    EventKind.QUEUE_JOINED,
    EventKind.QUEUE_LEFT,
    EventKind.HEADSETS_RUNG,
    EventKind.HEADSETS_ANSWERED,
    EventKind.HEADSETS_UNANSWERED,
}
_OFFERS = {
    EventKind.CALLBACK_OFFERED,
    EventKind.CALLBACK_DECLINED,
    EventKind.CALLBACK_BOOKED,
    EventKind.CALLBACK_TURNED_AWAY,
    EventKind.CALLBACK_ABANDONED,
}
_ATTEMPTS = {
    EventKind.ATTEMPT_STARTED,
    EventKind.ATTEMPT_DIALLED,
    EventKind.ATTEMPT_ANSWERED,
    EventKind.ATTEMPT_ENDED,
}
_MANUAL = {
    EventKind.MANUAL_DONE,
    EventKind.MANUAL_NOT_REACHED,
    EventKind.MANUAL_DELETED,
    EventKind.MANUAL_MOVED,
}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
