"""The assistants' screen: the page, its data, the full number on request, and the voice note.

Reading is cheap and frequent (every change notice makes the page ask again), so the data is two queries:
the day's callbacks with their attempts, and the callers on the line. Seeing a full number or hearing a
voice note is medical data being looked at: each is written to the audit trail before it is given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.auth import current
from ivr.web.context import WebContext, context_of
from ivr.web.errors import refuse, unavailable
from ivr.web.screen_data import callbacks_picture, live_picture
from ivr.web.templating import render
from storage.audit import record_audit
from storage.queue import waiting_entries
from storage.recordings import recording_path
from storage.screen import ScreenRow, day_callbacks, request_by_id

PRACTICE_TZ = ZoneInfo("Europe/Amsterdam")


def practice_tz(ctx: WebContext) -> dt.tzinfo:
    return ctx.capacity.current.tz if ctx.capacity is not None else PRACTICE_TZ


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The practice's calendar day around `moment`, as aware start and end (DST days are 23 or 25 h)."""
    day = moment.astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def request_id_of(request: web.Request) -> int:
    text = request.match_info.get("request_id", "")
    if not text.isdigit() or len(text) > 12:
        raise refuse(404, "not_found", "Dit terugbelverzoek bestaat niet.", field="request_id")
    return int(text)


async def row_or_404(ctx: WebContext, request_id: int) -> ScreenRow:
    try:
        row = await ctx.db.run(request_by_id, await ctx.practice.id(), request_id)
    except StoreUnavailable:
        raise unavailable() from None
    if row is None:
        raise refuse(404, "not_found", "Dit terugbelverzoek bestaat niet (meer).", field="request_id")
    return row


async def page(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    return render(
        request,
        "screen.html",
        practice=ctx.menus.current.practice.name,
        headsets=sorted(ctx.menus.current.headsets),
    )


async def data(request: web.Request) -> web.StreamResponse:
    """Everything the screen shows, in one answer."""
    ctx = context_of(request)
    now = ctx.clock()
    tz = practice_tz(ctx)
    start, end = local_day(now, tz)
    snapshot = ctx.live.snapshot()
    calling = snapshot.dispatcher.calling if snapshot.dispatcher is not None else {}
    try:
        practice_id = await ctx.practice.id()
        rows = await ctx.db.run(day_callbacks, practice_id, start, end)
        entries = await ctx.db.run(waiting_entries, practice_id)
    except StoreUnavailable:
        raise unavailable() from None
    body: dict[str, Any] = {
        "now": now.astimezone(tz).isoformat(),
        "practice": ctx.menus.current.practice.name,
        "user": current(request).username,
        "role": str(current(request).role),
        "callbacks": callbacks_picture(
            rows,
            now=now,
            tz=tz,
            capacity=ctx.capacity.current if ctx.capacity else None,
            calling=calling,
        ),
        "live": live_picture(snapshot, entries, rows, now),
    }
    return web.json_response(body)


async def full_number(request: web.Request) -> web.StreamResponse:
    """The full number for the assistant who asks, audited as a view (POST: never cached or prefetched)."""
    ctx = context_of(request)
    request_id = request_id_of(request)
    row = await row_or_404(ctx, request_id)
    await _audit_view(request, "nummer_bekeken", request_id)
    return web.json_response({"number": row.phone})


async def voice_note(request: web.Request) -> web.StreamResponse:
    """The patient's spoken question, streamed to the browser's audio player; recorded as a listen."""
    ctx = context_of(request)
    request_id = request_id_of(request)
    row = await row_or_404(ctx, request_id)
    if row.voice_note_ref is None or ctx.recordings_dir is None:
        raise refuse(404, "not_found", "Bij dit verzoek is geen spraakbericht.")
    try:
        path = recording_path(ctx.recordings_dir, row.voice_note_ref)
    except ValueError:
        raise refuse(404, "not_found", "Het spraakbericht is niet te vinden.") from None
    if not path.is_file():
        raise refuse(404, "not_found", "Het spraakbericht is niet (meer) bewaard.")
    await _audit_view(request, "spraakbericht_beluisterd", request_id)
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})


async def _audit_view(request: web.Request, action: str, request_id: int) -> None:
    """Patient data looked at: stored before it is given, or not given at all."""
    ctx = context_of(request)
    try:
        await ctx.db.run(
            record_audit,
            username=current(request).username,
            action=action,
            target_type="callback_request",
            target_id=request_id,
            detail={},
            at=ctx.clock(),
        )
    except StoreUnavailable:
        raise unavailable() from None
