"""What an assistant does from the screen, each checked on the server and recorded with who and when.

"Bel nu" goes through the dispatcher (ivr.queue.dispatcher.call_now), so the order, the one-call-per-
number rule and "never early" hold as for its own rounds. The other actions change a stored request in one
transaction (storage.manual), which refuses a request the dispatcher is calling at that moment: the
dispatcher owns a request while it is dialled. Every action is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from aiohttp import web

from capacity.planner import Booking, slot_capacity, slots_of_day, slots_with_room
from capacity.schedule import next_open_day, slot_end
from ivr.db.door import StoreUnavailable
from ivr.queue.dispatcher import CallNow
from ivr.web.auth import current
from ivr.web.bodies import CallNowBody, DeleteBody, HeadsetStateBody, MoveBody, NoteBody, parse_body
from ivr.web.context import WebContext, context_of
from ivr.web.errors import bad_field, refuse, unavailable
from ivr.web.labels import HEADSET_STATE
from ivr.web.screen import practice_tz, request_id_of, row_or_404
from storage.audit import record_audit
from storage.bookings import bookings_between
from storage.manual import ManualResult, delete_request, mark_done, mark_not_reached, move_request
from storage.requests import callback_request

log = structlog.get_logger(__name__)

CALL_NOW_REFUSED = {
    CallNow.NOT_DUE: (409, "Dit terugbelverzoek is nog niet aan de beurt: eerder bellen breekt de afspraak."),
    CallNow.NUMBER_BUSY: (409, "Dit nummer wordt al gebeld."),
    CallNow.HEADSET_BUSY: (409, "Deze headset is niet vrij (in gesprek, al ingedeeld of niet aangemeld)."),
    CallNow.UNKNOWN_HEADSET: (400, "Deze headset bestaat niet."),
}
MANUAL_REFUSED = {
    ManualResult.NOT_FOUND: (404, "Dit terugbelverzoek bestaat niet (meer)."),
    ManualResult.NOT_ACTIVE: (409, "Dit terugbelverzoek is al afgehandeld."),
    ManualResult.BEING_CALLED: (409, "Dit verzoek wordt nu gebeld; wacht tot het gesprek klaar is."),
    ManualResult.FULL: (409, "Dat tijdvak is vol; kies een ander."),
    ManualResult.CHANGED: (409, "Dit verzoek is intussen gewijzigd; bekijk de lijst opnieuw."),
    ManualResult.IN_THE_PAST: (400, "Dat tijdvak is al voorbij."),
    ManualResult.NOT_A_SLOT: (409, "Een bewaarde plek in de wachtrij kan niet verplaatst worden."),
}


async def _audit(
    ctx: WebContext, request: web.Request, action: str, target: int | str, **detail: Any
) -> None:
    await ctx.db.run(
        record_audit,
        username=current(request).username,
        action=action,
        target_type="callback_request" if isinstance(target, int) else "headset",
        target_id=target,
        detail=detail,
        at=ctx.clock(),
    )


def _changed(ctx: WebContext) -> web.Response:
    ctx.notifier.publish("callbacks")  # every open screen asks again at once
    return web.json_response({"ok": True})


def _refused(result: ManualResult) -> web.HTTPException:
    status, message = MANUAL_REFUSED.get(result, (409, "Dit kan nu niet."))
    return refuse(status, str(result), message)


async def call_now(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    request_id = request_id_of(request)
    body = await parse_body(request, CallNowBody)
    if body.headset not in ctx.menus.current.headsets:
        raise bad_field("headset", "Deze headset bestaat niet.")
    try:
        stored = await ctx.db.run(callback_request, await ctx.practice.id(), request_id)
    except StoreUnavailable:
        raise unavailable() from None
    if stored is None:
        raise refuse(404, "not_found", "Dit terugbelverzoek bestaat niet (meer).")
    if stored.status != "booked":
        raise refuse(409, "not_active", "Dit terugbelverzoek wordt al gebeld of is afgehandeld.")
    if not ctx.live.active:
        raise refuse(503, "standby", "Deze server belt nu niet (een andere controller is actief).")
    outcome = await ctx.live.call_now(stored, body.headset)
    if outcome is not CallNow.STARTED:
        status, message = CALL_NOW_REFUSED[outcome]
        raise refuse(status, str(outcome), message)
    try:
        await _audit(ctx, request, "bel_nu", request_id, headset=body.headset)
    except StoreUnavailable:
        log.warning("audit_not_stored", action="bel_nu")  # the call is under way; it is in the call log
    return web.json_response({"ok": True, "headset": body.headset})


async def done(request: web.Request) -> web.StreamResponse:
    return await _finish(request, "afgehandeld", mark_done)


async def not_reached(request: web.Request) -> web.StreamResponse:
    return await _finish(request, "niet_bereikt", mark_not_reached)


async def _finish(request: web.Request, action: str, store: Any) -> web.StreamResponse:
    ctx = context_of(request)
    request_id = request_id_of(request)
    body = await parse_body(request, NoteBody)
    by = current(request).username
    try:
        result = await ctx.db.run(
            store,
            await ctx.practice.id(),
            request_id,
            by=by,
            now=ctx.clock(),
            note=body.note or None,
            seen_updated_at=body.seen,
        )
        if result is not ManualResult.OK:
            raise _refused(result)
        await _audit(ctx, request, action, request_id)
    except StoreUnavailable:
        raise unavailable() from None
    return _changed(ctx)


async def delete(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    request_id = request_id_of(request)
    body = await parse_body(request, DeleteBody)
    try:
        result = await ctx.db.run(
            delete_request,
            await ctx.practice.id(),
            request_id,
            by=current(request).username,
            reason=body.reason,
            now=ctx.clock(),
            seen_updated_at=body.seen,
        )
        if result is not ManualResult.OK:
            raise _refused(result)
        await _audit(ctx, request, "verwijderd", request_id, reden=body.reason)
    except StoreUnavailable:
        raise unavailable() from None
    return _changed(ctx)


async def _bookings(ctx: WebContext, practice_id: int, day: dt.date) -> list[Booking]:
    tz = practice_tz(ctx)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    rows = await ctx.db.run(bookings_between, practice_id, start, start + dt.timedelta(days=2))
    return [Booking(r.slot_start, r.priority) for r in rows if r.slot_start is not None]


async def slots(request: web.Request) -> web.StreamResponse:
    """The slots with room a request can move to: today's not yet begun, and the next open day's."""
    ctx = context_of(request)
    request_id = request_id_of(request)
    row = await row_or_404(ctx, request_id)
    if ctx.capacity is None:
        return web.json_response({"days": []})
    config = ctx.capacity.current
    now = ctx.clock()
    today = now.astimezone(config.tz).date()
    days = [today]
    following = next_open_day(config, today + dt.timedelta(days=1))
    if following is not None:
        days.append(following)
    out = []
    try:
        practice_id = await ctx.practice.id()
        for day in days:
            offers = slots_with_room(
                config, await _bookings(ctx, practice_id, day), day, now, priority=bool(row.priority)
            )
            out.append(
                {
                    "day": day.isoformat(),
                    "slots": [
                        {
                            "start": o.slot_start.isoformat(),
                            "label": f"{o.slot_start:%H:%M}–{o.slot_end:%H:%M}",
                            "remaining": o.remaining,
                        }
                        for o in offers
                        if o.slot_start != row.slot_start
                    ],
                }
            )
    except StoreUnavailable:
        raise unavailable() from None
    return web.json_response({"days": out})


async def move(request: web.Request) -> web.StreamResponse:
    """Move to another slot, only one the planner has and with room by the booking's own rule."""
    ctx = context_of(request)
    request_id = request_id_of(request)
    body = await parse_body(request, MoveBody)
    if ctx.capacity is None:
        raise refuse(409, "no_capacity", "Er is geen terugbelcapaciteit ingesteld.")
    config = ctx.capacity.current
    now = ctx.clock()
    start = body.slot_start.astimezone(config.tz)
    real = {s.astimezone(dt.UTC) for s, _ in slots_of_day(config, start.date())}
    if start.astimezone(dt.UTC) not in real:
        raise bad_field("slot_start", "Dit is geen terugbeltijdvak van de praktijk.")
    if start <= now:
        raise bad_field("slot_start", "Dit tijdvak is al begonnen.")
    try:
        result = await ctx.db.run(
            move_request,
            await ctx.practice.id(),
            request_id,
            slot_start=start,
            slot_end=slot_end(config, start),
            capacity=slot_capacity(config, start),
            reserved=config.priority_reserved_per_slot,
            by=current(request).username,
            now=now,
            seen_updated_at=body.seen,
        )
        if result is not ManualResult.OK:
            raise _refused(result)
        await _audit(ctx, request, "verplaatst", request_id, naar=start.isoformat())
    except StoreUnavailable:
        raise unavailable() from None
    return _changed(ctx)


async def headset_state(request: web.Request) -> web.StreamResponse:
    """An assistant sets her headset's state: op dienst, pauze, alleen terugbellen, afgemeld."""
    ctx = context_of(request)
    name = request.match_info.get("headset", "")
    if name not in ctx.menus.current.headsets:
        raise refuse(404, "not_found", "Deze headset bestaat niet.", field="headset")
    body = await parse_body(request, HeadsetStateBody)
    try:
        await ctx.headsets.set(name, body.state, by=current(request).username)
        await _audit(ctx, request, "headset_status", name, status=HEADSET_STATE[body.state])
    except StoreUnavailable:
        raise unavailable() from None
    return web.json_response({"ok": True})
