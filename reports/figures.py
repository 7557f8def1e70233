"""The figures of one period, counted from call stories by the definitions in docs/reports.md.

Each caller is counted once per figure: a story gives at most one spoed call (its first), one regular wait
(its last: a caller resumed after a restart or sent back to the menu is still one call), one offer outcome
and one outcome per callback request.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reports.records import CallStory, WaitStory
from reports.stats import Distribution, Share
from storage.call_events import EventKind, QueueExit
from storage.status import RequestStatus

SPOED_NORM_SECONDS = 30.0
REGULAR_NORM_SECONDS = 120.0
UNREACHABLE_SECONDS = 600.0
ON_TIME_MINUTES = 15.0
# Labels and upper bounds (minutes) of the punctuality buckets; the on-time window [0, 15] is closed at
# both ends, so 15.0 itself is still on time and lands in "10..15".
PUNCTUALITY_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("< -5", -5.0),
    ("-5..0", 0.0),
    ("0..5", 5.0),
    ("5..10", 10.0),
    ("10..15", ON_TIME_MINUTES),
    ("15..30", 30.0),
    ("30..60", 60.0),
    ("> 60", None),
)
ON_TIME_BUCKETS = (2, 3, 4)  # the indices above that lie inside the window
# Wait buckets (seconds) for "abandoned after how long".
ABANDON_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("< 30 s", 30.0),
    ("30 s - 1 min", 60.0),
    ("1-2 min", 120.0),
    ("2-5 min", 300.0),
    ("5-10 min", 600.0),
    ("> 10 min", None),
)


@dataclass(frozen=True)
class SpoedFigures:
    calls: int
    within_norm: Share
    to_person: Distribution  # seconds, answered calls only
    overflowed: int
    not_answered: int
    huisartsenpost: int  # spoed pressed outside hours: sent to the huisartsenpost


@dataclass(frozen=True)
class RegularFigures:
    calls: int
    answered: int
    within_norm: Share  # answered within 2 min, of the calls that did not leave by their own choice
    wait: Distribution  # seconds, answered calls
    abandoned: Share
    abandoned_after: Distribution  # seconds
    abandoned_buckets: tuple[tuple[str, int], ...]
    over_10_min: Share
    sent_away: int
    left_for_kept_place: int
    left_for_spoed: int


@dataclass(frozen=True)
class OfferFigures:
    offered: int
    confirmed: int
    declined: int
    turned_away: int
    hung_up: int
    # Minutes between the call and the time offered last, for the declined and the confirmed offers.
    declined_lead_minutes: Distribution
    confirmed_lead_minutes: Distribution
    declined_by_hour: tuple[tuple[str, int], ...]  # the clock hour of the declined time: ("11:00", 3)
    turned_away_by_reason: tuple[tuple[str, int], ...]
    turned_away_by_day: tuple[tuple[dt.date, int, dt.date | None], ...]  # day, count, next day with room


@dataclass(frozen=True)
class PunctualityFigures:
    bookings: int
    called: int
    on_time: Share  # of the bookings that were called
    early: int
    late: int
    not_called: int
    deviation_minutes: Distribution
    buckets: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class AttemptFigures:
    requests: int
    calls_to_patients: int  # attempts that rang the patient
    reached_first: int
    reached_second: int
    reached_later: int
    not_reached: int
    by_hand: int
    cancelled: int  # deleted on the screen
    open: int  # not closed by the end of the data (a retry still to come, or not called yet)


@dataclass(frozen=True)
class KeptFigures:
    kept: int
    reached: int
    wait_minutes: Distribution  # from the arrival to the patient's phone ringing


@dataclass(frozen=True)
class AssistantFigures:
    headset: str
    handled: int
    talk_seconds: float
    hours_on_phone: int
    handled_per_hour: float | None


@dataclass(frozen=True)
class Figures:
    calls: int
    outside_hours: int
    spoed: SpoedFigures
    regular: RegularFigures
    offers: OfferFigures
    punctuality: PunctualityFigures
    attempts: AttemptFigures
    kept: KeptFigures
    assistants: tuple[AssistantFigures, ...]


def compute_figures(stories: Sequence[CallStory], tz: ZoneInfo) -> Figures:
    """Count every figure over `stories` (already chosen for the period)."""
    return Figures(
        calls=sum(1 for s in stories if s.arrived_at is not None),
        outside_hours=sum(1 for s in stories if s.outside_hours),
        spoed=_spoed(stories),
        regular=_regular(stories),
        offers=_offers(stories, tz),
        punctuality=_punctuality(stories),
        attempts=_attempts(stories),
        kept=_kept(stories),
        assistants=_assistants(stories, tz),
    )


def regular_wait(story: CallStory) -> WaitStory | None:
    """The caller's wait for a person that counts: the last one (see the module docstring)."""
    return story.waits[-1] if story.waits else None


def _spoed(stories: Sequence[CallStory]) -> SpoedFigures:
    practice = [s.spoed[0] for s in stories if s.spoed and s.spoed[0].route == "practice"]
    seconds = [c.seconds_to_person for c in practice if c.seconds_to_person is not None]
    return SpoedFigures(
        calls=len(practice),
        within_norm=Share(sum(1 for v in seconds if v <= SPOED_NORM_SECONDS), len(practice)),
        to_person=Distribution.of(seconds),
        overflowed=sum(1 for c in practice if c.overflowed),
        not_answered=sum(1 for c in practice if c.seconds_to_person is None),
        huisartsenpost=sum(1 for s in stories if s.spoed and s.spoed[0].route != "practice"),
    )


def _regular(stories: Sequence[CallStory]) -> RegularFigures:
    waits = [w for w in (regular_wait(s) for s in stories) if w is not None]
    by_choice = {QueueExit.KEPT, QueueExit.SPOED, "spoed"}
    counted = [w for w in waits if w.outcome not in by_choice]
    answered = [w for w in waits if w.answered]
    abandoned = [w for w in waits if w.outcome == QueueExit.ABANDONED]
    abandon_waits = [w.waited_seconds for w in abandoned if w.waited_seconds is not None]
    return RegularFigures(
        calls=len(waits),
        answered=len(answered),
        within_norm=Share(
            sum(1 for w in answered if (w.waited_seconds or 0.0) <= REGULAR_NORM_SECONDS), len(counted)
        ),
        wait=Distribution.of(w.waited_seconds for w in answered),
        abandoned=Share(len(abandoned), len(counted)),
        abandoned_after=Distribution.of(abandon_waits),
        abandoned_buckets=_bucketed(abandon_waits, ABANDON_BUCKETS),
        over_10_min=Share(
            sum(1 for w in counted if (w.waited_seconds or 0.0) >= UNREACHABLE_SECONDS), len(counted)
        ),
        sent_away=sum(
            1
            for w in counted
            if not w.answered and w.outcome != QueueExit.ABANDONED and w.outcome is not None
        ),
        left_for_kept_place=sum(1 for w in waits if w.outcome == QueueExit.KEPT),
        left_for_spoed=sum(1 for w in waits if w.outcome in (QueueExit.SPOED, "spoed")),
    )


def _offers(stories: Sequence[CallStory], tz: ZoneInfo) -> OfferFigures:
    offers = [(s, s.offer) for s in stories if s.offer is not None and s.offer.offered]
    confirmed = [(s, o) for s, o in offers if o.booked_slot is not None]
    declined = [(s, o) for s, o in offers if o.booked_slot is None and o.declined_slot is not None]
    turned = [(s, o) for s, o in ((s, s.offer) for s in stories if s.offer) if o and o.turned_away_reason]
    by_day: dict[dt.date, list[dt.date | None]] = defaultdict(list)
    for story, offer in turned:
        by_day[(story.arrived_at or story.first_at).astimezone(tz).date()].append(offer.next_open_day)
    hours = Counter(
        o.declined_slot.astimezone(tz).strftime("%H:00") for _, o in declined if o.declined_slot is not None
    )
    return OfferFigures(
        offered=len(offers),
        confirmed=len(confirmed),
        declined=len(declined),
        turned_away=len(turned),
        hung_up=sum(1 for _, o in offers if o.hung_up and o.booked_slot is None),
        declined_lead_minutes=Distribution.of(_lead(o.declined_at, o.declined_slot) for _, o in declined),
        confirmed_lead_minutes=Distribution.of(
            _lead(o.offered[-1][0], o.booked_slot) for _, o in confirmed if o.offered
        ),
        declined_by_hour=tuple(sorted(hours.items())),
        turned_away_by_reason=tuple(sorted(Counter(o.turned_away_reason or "" for _, o in turned).items())),
        turned_away_by_day=tuple(
            (day, len(nexts), min((d for d in nexts if d), default=None))
            for day, nexts in sorted(by_day.items())
        ),
    )


def _punctuality(stories: Sequence[CallStory]) -> PunctualityFigures:
    deviations: list[float] = []
    not_called = 0
    for story in stories:
        for request_id, kind in story.requests().items():
            if kind != "slot":
                continue
            attempts = story.attempts_of(request_id)
            promised = _promised(story, request_id)
            came = min((a.dialled_at for a in attempts if a.dialled_at is not None), default=None)
            if came is None or promised is None:
                not_called += 1
            else:
                deviations.append((came - promised).total_seconds() / 60.0)
    on_time = sum(1 for d in deviations if 0.0 <= d <= ON_TIME_MINUTES)
    return PunctualityFigures(
        bookings=len(deviations) + not_called,
        called=len(deviations),
        on_time=Share(on_time, len(deviations)),
        early=sum(1 for d in deviations if d < 0.0),
        late=sum(1 for d in deviations if d > ON_TIME_MINUTES),
        not_called=not_called,
        deviation_minutes=Distribution.of(deviations),
        buckets=_bucketed(deviations, PUNCTUALITY_BUCKETS, closed_at=ON_TIME_MINUTES),
    )


def _promised(story: CallStory, request_id: int) -> dt.datetime | None:
    """The promised time: the slot the caller confirmed, else the slot the attempts carry (online)."""
    offer = story.offer
    if offer is not None and offer.booked_request_id == request_id and offer.booked_slot is not None:
        return offer.booked_slot
    return next((a.slot_start for a in story.attempts_of(request_id) if a.slot_start is not None), None)


def _attempts(stories: Sequence[CallStory]) -> AttemptFigures:
    counts: Counter[str] = Counter()
    requests = 0
    calls = 0
    for story in stories:
        by_hand = {rid: kind for kind, rid, _ in story.manual if rid is not None}
        for request_id in story.requests():
            requests += 1
            dialled = [a for a in story.attempts_of(request_id) if a.dialled_at is not None]
            calls += len(dialled)
            reached_at = next((i for i, a in enumerate(dialled, start=1) if a.reached), None)
            closed = story.closed.get(request_id)
            manual = by_hand.get(request_id)
            if reached_at is not None:
                counts["first" if reached_at == 1 else "second" if reached_at == 2 else "later"] += 1
            elif manual == EventKind.MANUAL_DONE:
                counts["by_hand"] += 1
            elif closed == RequestStatus.NOT_REACHED or manual == EventKind.MANUAL_NOT_REACHED:
                counts["not_reached"] += 1
            elif closed == RequestStatus.CANCELLED or manual == EventKind.MANUAL_DELETED:
                counts["cancelled"] += 1
            else:
                counts["open"] += 1
    return AttemptFigures(
        requests=requests,
        calls_to_patients=calls,
        reached_first=counts["first"],
        reached_second=counts["second"],
        reached_later=counts["later"],
        not_reached=counts["not_reached"],
        by_hand=counts["by_hand"],
        cancelled=counts["cancelled"],
        open=counts["open"],
    )


def _kept(stories: Sequence[CallStory]) -> KeptFigures:
    waits: list[float | None] = []
    reached = 0
    kept = 0
    for story in stories:
        for wait in story.waits:
            if wait.outcome != QueueExit.KEPT:
                continue
            kept += 1
            attempts = story.attempts_of(wait.request_id) if wait.request_id is not None else []
            reached += any(a.reached for a in attempts)
            rang = min((a.dialled_at for a in attempts if a.dialled_at is not None), default=None)
            start = story.arrived_at or wait.started_at
            waits.append(None if rang is None else (rang - start).total_seconds() / 60.0)
    return KeptFigures(kept=kept, reached=reached, wait_minutes=Distribution.of(waits))


def _assistants(stories: Sequence[CallStory], tz: ZoneInfo) -> tuple[AssistantFigures, ...]:
    handled: Counter[str] = Counter()
    talk: defaultdict[str, float] = defaultdict(float)
    hours: defaultdict[str, set[tuple[dt.date, int]]] = defaultdict(set)

    def add(headset: str | None, at: dt.datetime, seconds: float | None) -> None:
        if not headset:
            return
        handled[headset] += 1
        talk[headset] += max(seconds or 0.0, 0.0)
        local = at.astimezone(tz)
        hours[headset].add((local.date(), local.hour))

    for story in stories:
        wait = regular_wait(story)
        if wait is not None and wait.answered and wait.answered_at is not None:
            add(wait.headset, wait.answered_at, _until_end(story, wait.answered_at))
        for spoed in story.spoed[:1]:
            if spoed.answered_at is not None and spoed.answered_by not in _NOT_HEADSETS:
                add(spoed.answered_by, spoed.answered_at, _until_end(story, spoed.answered_at))
        for attempt in story.attempts:
            if attempt.reached:
                add(attempt.headset, attempt.answered_at or attempt.started_at, attempt.talk_seconds)
    return tuple(
        AssistantFigures(
            headset=name,
            handled=handled[name],
            talk_seconds=talk[name],
            hours_on_phone=len(hours[name]),
            handled_per_hour=handled[name] / len(hours[name]) if hours[name] else None,
        )
        for name in sorted(handled)
    )


_NOT_HEADSETS = {"spoed_overflow", "huisartsenpost", None}


def _until_end(story: CallStory, answered_at: dt.datetime) -> float | None:
    if story.ended_at is None or story.ended_at < answered_at:
        return None
    return (story.ended_at - answered_at).total_seconds()


def _lead(asked_at: dt.datetime | None, slot: dt.datetime | None) -> float | None:
    if asked_at is None or slot is None:
        return None
    return (slot - asked_at).total_seconds() / 60.0


def _bucketed(
    values: Sequence[float], spec: Sequence[tuple[str, float | None]], *, closed_at: float | None = None
) -> tuple[tuple[str, int], ...]:
    counts = [0] * len(spec)
    for value in values:
        for index, (_, upper) in enumerate(spec):
            if upper is None or value < upper or (closed_at is not None and value == upper == closed_at):
                counts[index] += 1
                break
    return tuple((label, count) for (label, _), count in zip(spec, counts, strict=True))
