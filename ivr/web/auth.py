"""Logins: the session cookie, CSRF on every change, roles enforced by path, and limits on failed logins.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256
(storage.logins), so a copy of the database logs nobody in. Each session has its own CSRF token, sent by
the pages in a header or form field on every request that changes something. Which role a path needs is
decided here, by prefix, for every route at once: a new admin page cannot forget its check.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.context import context_of
from ivr.web.errors import refuse, unavailable
from storage.api_tokens import TokenInfo
from storage.logins import LiveSession, hash_token, live_session
from storage.status import UserRole

log = structlog.get_logger(__name__)

SESSION_COOKIE = "terugbel_sessie"
# The provider's delivery reports carry its signature instead of a login (ivr/web/provider_hooks.py).
PUBLIC_PATHS = frozenset({"/login", "/favicon.ico", "/hooks/twilio/status"})
PUBLIC_PREFIXES = ("/static/",)
ADMIN_PREFIXES = ("/beheer", "/api/beheer")
SESSION: web.RequestKey[LiveSession] = web.RequestKey("session", LiveSession)
# The intake API: its clients authenticate with a bearer token (ivr.web.api_v1.auth), never the cookie.
API_V1_PREFIX = "/api/v1/"
API_V1_DOCUMENT = "/api/v1/openapi.json"
# Set by the token check before this middleware runs; without it only the OpenAPI document is served.
API_CLIENT: web.RequestKey[TokenInfo] = web.RequestKey("api_client", TokenInfo)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def needs_admin(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ADMIN_PREFIXES)


def is_token_api(path: str) -> bool:
    return path == API_V1_PREFIX.rstrip("/") or path.startswith(API_V1_PREFIX)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def current(request: web.Request) -> LiveSession:
    """The live session of this request (user_id, username, role, csrf_token); set by the middleware."""
    return request[SESSION]


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every path but the login page and the static files needs a live session, admin paths an admin."""
    if is_token_api(request.path):
        # Not public: the token check (an outer middleware) must have let this client in. A session
        # cookie counts for nothing here, so there is no CSRF to check either.
        if request.path != API_V1_DOCUMENT and API_CLIENT not in request:
            refusal = refuse(401, "unauthorized", "Een geldige API-sleutel is nodig.")
            refusal.headers["WWW-Authenticate"] = 'Bearer realm="terugbel"'
            raise refusal
        return await handler(request)
    if is_public(request.path):
        _check_origin(request)
        return await handler(request)
    ctx = context_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = None
    if token:
        try:
            session = await ctx.db.run(
                live_session,
                hash_token(token),
                now=ctx.clock(),
                idle_timeout=ctx.settings.session_idle,
                absolute_timeout=ctx.settings.session_absolute,
            )
        except StoreUnavailable:
            raise unavailable() from None
    if session is None:
        if is_api(request.path):
            raise refuse(401, "not_logged_in", "U bent niet (meer) ingelogd.")
        raise web.HTTPSeeOther("/login")
    if needs_admin(request.path) and session.role != UserRole.ADMIN:
        log.info("web_forbidden", user=session.username, path=request.path)
        if is_api(request.path):
            raise refuse(403, "forbidden", "Alleen een beheerder mag dit.")
        raise web.HTTPForbidden(text="Alleen een beheerder mag deze pagina openen.")
    request[SESSION] = session
    if request.method not in SAFE_METHODS:
        _check_origin(request)
        await _check_csrf(request, session.csrf_token)
    return await handler(request)


def _check_origin(request: web.Request) -> None:
    """A browser sends Origin on a cross-site POST: refuse one from another site outright."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.host:
        raise refuse(403, "csrf", "Dit verzoek komt niet van deze pagina.", field="Origin")


async def _check_csrf(request: web.Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            message = "Het bestand is te groot (hoogstens 20 MB)."
            raise refuse(413, "too_large", message, field="file") from None
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise refuse(403, "csrf", "De pagina is verlopen; laad haar opnieuw.", field=CSRF_FIELD)


def set_session_cookie(response: web.StreamResponse, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Strict", secure=secure, path="/", max_age=max_age
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
