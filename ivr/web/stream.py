"""The screen's live updates: server-sent events saying what changed, so open pages ask again at once.

The stream carries no patient data, only topic names ("callbacks", "queue", "headsets", "spoed"); the page
then fetches the picture through the ordinary authenticated request. A comment line every few seconds
keeps proxies from closing an idle stream, and the session is checked again now and then, so logging out
elsewhere or an expired session ends the stream too.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.auth import SESSION_COOKIE
from ivr.web.context import context_of
from storage.logins import hash_token, live_session

KEEPALIVE_SECONDS = 15.0
RECHECK_SECONDS = 60.0


async def events(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}  # nginx: do not buffer
    )
    await response.prepare(request)
    token_hash = hash_token(request.cookies.get(SESSION_COOKIE, ""))
    loop = asyncio.get_running_loop()
    checked = loop.time()
    try:
        await response.write(b"retry: 2000\n\n")
        async with ctx.notifier.subscribe() as subscription:
            await response.write(b"event: ready\ndata: {}\n\n")
            while True:
                topics = await subscription.changes(within=KEEPALIVE_SECONDS)
                if topics:
                    data = json.dumps({"topics": sorted(topics)})
                    await response.write(f"event: changed\ndata: {data}\n\n".encode())
                else:
                    await response.write(b": keepalive\n\n")
                if loop.time() - checked >= RECHECK_SECONDS:
                    checked = loop.time()
                    if not await _still_live(request, token_hash):
                        await response.write(b"event: logout\ndata: {}\n\n")
                        break
    except (ConnectionResetError, ConnectionError):
        pass  # the browser went away
    return response


async def _still_live(request: web.Request, token_hash: str) -> bool:
    ctx = context_of(request)
    try:
        session = await ctx.db.run(
            live_session,
            token_hash,
            now=ctx.clock(),
            idle_timeout=ctx.settings.session_idle,
            absolute_timeout=ctx.settings.session_absolute,
        )
    except StoreUnavailable:
        return True  # the database is away, not the user: keep the stream
    return session is not None
