"""The screen's picture of the day, built from stored rows and the controller's live state (pure).

The order is the dispatcher's own (ivr.queue.order.order_key): an assistant reading top to bottom sees
what the next free headset will get. Numbers leave here masked; the full number is a separate, audited
request. Times go out as ISO strings and seconds, so the page can count on without asking again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from capacity.config import CapacityConfig
from common.privacy import mask_number
from ivr.live.status import LiveSnapshot
from ivr.queue.order import PATIENT_RANK, DueCallback, order_key
from ivr.web.labels import HEADSET_STATE, STATUS, message_label, outcome_label, source_label
from storage.models import QueueEntry
from storage.screen import ScreenRow
from storage.status import ACTIVE_STATUSES, RequestKind, RequestStatus

# The promise is "we call you at 10:15": from then on, a quarter of an hour is on time, later is late.
ON_TIME = dt.timedelta(minutes=15)
KEPT_GROUP = "Plek bewaard in de wachtrij"
OTHER_GROUP = "Buiten de terugbelblokken"


def promised_at(row: ScreenRow) -> dt.datetime:
    return row.slot_start if row.slot_start is not None else row.queued_at or row.due_at


def is_late(row: ScreenRow, now: dt.datetime) -> bool:
    return row.status in ACTIVE_STATUSES and now > promised_at(row) + ON_TIME


def _iso(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def _hhmm(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).strftime("%H:%M") if value is not None else ""


def callback_row(row: ScreenRow, now: dt.datetime, tz: dt.tzinfo, calling: dict[int, str]) -> dict[str, Any]:
    if row.slot_start is not None:
        time = f"{_hhmm(row.slot_start, tz)}–{_hhmm(row.slot_end, tz)}"
    else:
        time = f"wachtrij {_hhmm(row.queued_at, tz)}"
    return {
        "id": row.id,
        "number": mask_number(row.phone),
        "time": time,
        "promised_at": _iso(promised_at(row), tz),
        "due_at": _iso(row.due_at, tz),
        "due": row.due_at <= now,
        "late": is_late(row, now),
        "late_minutes": max(0, int((now - promised_at(row)).total_seconds() // 60))
        if is_late(row, now)
        else 0,
        "source": source_label(row.kind, row.source),
        "kind": str(row.kind),
        "priority": bool(row.priority),
        "reason": row.reason or "",
        "name": row.patient_name or "",
        "urgency": row.urgency or "",
        "messages": [message_label(event, status) for event, status in row.messages],
        "voice_note": row.voice_note_ref is not None,
        "status": str(row.status),
        "status_label": STATUS.get(RequestStatus(row.status), str(row.status)),
        "note": row.outcome_note or "",
        "ended_at": _iso(row.ended_at, tz),
        "attempts": [
            {
                "no": a.attempt_no,
                "at": _hhmm(a.started_at, tz),
                "outcome": outcome_label(a.outcome),
                "headset": a.headset or "",
            }
            for a in row.attempts
        ],
        "calling": calling.get(row.id),
        "movable": row.kind == RequestKind.SLOT and row.status == RequestStatus.BOOKED,
        "open": row.status in ACTIVE_STATUSES,
        "version": row.updated_at.isoformat(),  # sent back with an action: "as I saw it"
    }


def _block_of(row: ScreenRow, capacity: CapacityConfig | None, tz: dt.tzinfo) -> tuple[int, str]:
    """(sort key, title) of the callback block the row's slot lies in."""
    if row.kind == RequestKind.KEPT_PLACE or row.slot_start is None:
        return (-1, KEPT_GROUP)
    local = row.slot_start.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if capacity is not None:
        for block in capacity.blocks.for_weekday(local.weekday()):
            if block.start_minute <= minute < block.end_minute:
                return (block.start_minute, f"Terugbelblok {block.start}–{block.end}")
    return (24 * 60, OTHER_GROUP)


def dispatch_order(row: ScreenRow) -> tuple[Any, ...]:
    return order_key(DueCallback(row.id, row.due_at, row.phone, priority=bool(row.priority)))


def callbacks_picture(
    rows: Sequence[ScreenRow],
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
    capacity: CapacityConfig | None,
    calling: dict[int, str],
) -> dict[str, Any]:
    """Open callbacks grouped by block in dispatch order, and the finished ones, newest first."""
    groups: dict[tuple[int, str], list[ScreenRow]] = {}
    for row in sorted((r for r in rows if r.status in ACTIVE_STATUSES), key=dispatch_order):
        groups.setdefault(_block_of(row, capacity, tz), []).append(row)
    finished = sorted(
        (r for r in rows if r.status not in ACTIVE_STATUSES),
        key=lambda r: r.ended_at or r.created_at,
        reverse=True,
    )
    return {
        "groups": [
            {"title": title, "rows": [callback_row(r, now, tz, calling) for r in members]}
            for (_, title), members in sorted(groups.items())
        ],
        "finished": [callback_row(r, now, tz, calling) for r in finished],
        "counts": {
            "open": sum(1 for r in rows if r.status in ACTIVE_STATUSES),
            "late": sum(1 for r in rows if is_late(r, now)),
            "finished": len(finished),
        },
    }


def live_picture(
    snapshot: LiveSnapshot, entries: Iterable[QueueEntry], kept: Sequence[ScreenRow], now: dt.datetime
) -> dict[str, Any]:
    """Spoed calls ringing, callers on the line, kept places, and what each headset does."""
    phones = {e.id: e.phone for e in entries}
    view = snapshot.dispatcher
    waiting = []
    headsets = []
    if view is not None:
        waiting = [
            {
                "position": w.position,
                "number": mask_number(phones.get(w.entry_id)),
                "waiting_seconds": max(0, int((now - w.arrived_at).total_seconds())),
                "headset": w.headset,
                "colleague": w.rank < PATIENT_RANK,
            }
            for w in view.waiting
        ]
        headsets = [
            {
                "name": h.name,
                "state": h.state,
                "state_label": HEADSET_STATE.get(h.state, h.state),  # type: ignore[call-overload]
                "activity": _activity(h.registered, h.in_call, h.work, h.resting_seconds),
            }
            for h in view.headsets
        ]
    return {
        "active": snapshot.active,
        "spoed": [
            {"number": s.caller, "ringing_seconds": max(0, int((now - s.since).total_seconds()))}
            for s in snapshot.spoed
        ],
        "waiting": waiting,
        "kept": [
            {
                "number": mask_number(r.phone),
                "since_seconds": max(0, int((now - (r.queued_at or r.created_at)).total_seconds())),
                "calling": view.calling.get(r.id) if view is not None else None,
            }
            for r in sorted(kept, key=dispatch_order)
            if r.kind == RequestKind.KEPT_PLACE and r.status in ACTIVE_STATUSES
        ],
        "headsets": headsets,
    }


def _activity(registered: bool | None, in_call: bool, work: str | None, resting: int) -> str:
    if registered is False:
        return "niet aangemeld"
    if work is not None and work.startswith("callback:"):
        return "belt terug"
    if work is not None or in_call:
        return "in gesprek"
    if resting > 0:
        return f"even vrij ({resting} s)"
    return "vrij" if registered else "onbekend"
