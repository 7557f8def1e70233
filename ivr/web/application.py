"""The web application: routes, the login middleware, security headers and static files."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ivr.web import actions, login, provider_hooks, reports_page, screen, stream
from ivr.web.admin import add_admin_routes
from ivr.web.api_v1 import add_api_routes, api_guard
from ivr.web.auth import authenticate
from ivr.web.context import CONTEXT, WebContext
from ivr.web.security import security_headers

STATIC_DIR = Path(__file__).parent / "static"
# Recording uploads are the largest bodies (a few minutes of audio); everything else is small JSON.
MAX_BODY_BYTES = 20 * 1024 * 1024


def make_app(ctx: WebContext, *, tls: bool = False) -> web.Application:
    # The API's token check comes first: the session check after it lets only token clients into /api/v1.
    app = web.Application(middlewares=[api_guard, authenticate], client_max_size=MAX_BODY_BYTES)
    app[CONTEXT] = ctx
    app.on_response_prepare.append(security_headers(tls=tls))
    app.router.add_get("/login", login.login_page)
    app.router.add_post("/login", login.login)
    app.router.add_post("/logout", login.logout)
    app.router.add_get("/", screen.page)
    app.router.add_get("/api/screen", screen.data)
    app.router.add_get("/api/events", stream.events)
    app.router.add_post("/api/callbacks/{request_id}/number", screen.full_number)
    app.router.add_get("/api/callbacks/{request_id}/voice-note", screen.voice_note)
    app.router.add_get("/api/callbacks/{request_id}/slots", actions.slots)
    app.router.add_post("/api/callbacks/{request_id}/call-now", actions.call_now)
    app.router.add_post("/api/callbacks/{request_id}/done", actions.done)
    app.router.add_post("/api/callbacks/{request_id}/not-reached", actions.not_reached)
    app.router.add_post("/api/callbacks/{request_id}/move", actions.move)
    app.router.add_post("/api/callbacks/{request_id}/delete", actions.delete)
    app.router.add_post("/api/headsets/{headset}/state", actions.headset_state)
    app.router.add_get("/rapport", reports_page.page)
    app.router.add_get("/rapport.css", reports_page.css)
    app.router.add_get("/api/rapport", reports_page.data)
    add_admin_routes(app)
    add_api_routes(app)
    app.router.add_post(provider_hooks.TWILIO_STATUS_PATH, provider_hooks.twilio_status)
    app.router.add_get("/favicon.ico", _no_icon)
    app.router.add_static("/static", STATIC_DIR, show_index=False)
    return app


async def _no_icon(request: web.Request) -> web.StreamResponse:
    """Browsers ask for it on every page; without a login it would be redirected to the login page."""
    return web.Response(status=204)
