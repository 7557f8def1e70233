"""The login page, logging in and out, with failed logins limited per account and per address."""

from __future__ import annotations

import hmac
import re

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    clear_session_cookie,
    current,
    new_token,
    set_session_cookie,
)
from ivr.web.context import WebContext, context_of
from ivr.web.passwords import hash_password, needs_rehash, verify_password
from ivr.web.templating import render
from storage.accounts import set_password_hash, user_by_username
from storage.audit import record_audit
from storage.logins import (
    create_session,
    delete_session,
    hash_token,
    login_failures,
    record_login_attempt,
)
from storage.models_web import User

log = structlog.get_logger(__name__)

# A token in a cookie and in the form (double submit): a login form posted from another site fails.
LOGIN_COOKIE = "terugbel_login"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
MAX_NAME = 200
WRONG = "Onbekende naam of verkeerd wachtwoord."
TOO_MANY = "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw of vraag de beheerder."


def _page(
    request: web.Request, *, error: str | None = None, status: int = 200, name: str = ""
) -> web.Response:
    # The browser's token is kept while it has one: a second load of the page (another tab, a request
    # redirected here) must not void the form already on the screen.
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not TOKEN_SHAPE.fullmatch(token):
        token = new_token()
    response = render(request, "login.html", status=status, error=error, login_token=token, username=name)
    secure = context_of(request).settings.secure_cookies
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", secure=secure, path="/login")
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    return _page(request)


async def login(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    form = await request.post()
    username = str(form.get("username", ""))[:MAX_NAME].strip()
    password = str(form.get("password", ""))
    sent = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _page(request, error="De pagina was verlopen; probeer het opnieuw.", status=403, name=username)
    if not username or not password:
        field = "gebruikersnaam" if not username else "wachtwoord"
        return _page(request, error=f"Vul uw {field} in.", status=400, name=username)
    address = request.remote or "onbekend"
    now = ctx.clock()
    try:
        failures = await ctx.db.run(
            login_failures, username=username, address=address, since=now - ctx.settings.failure_window
        )
        if (
            failures.username >= ctx.settings.failures_per_account
            or failures.address >= ctx.settings.failures_per_address
        ):
            # Counted too, so hammering a locked account keeps it locked; the password is not even checked.
            await ctx.db.run(
                record_login_attempt, username=username, address=address, succeeded=False, at=now
            )
            log.warning("web_login_limited", address=address)
            return _page(request, error=TOO_MANY, status=429, name=username)
        user = await ctx.db.run(user_by_username, username)
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.active:
            await ctx.db.run(
                record_login_attempt, username=username, address=address, succeeded=False, at=now
            )
            log.info("web_login_failed", address=address)
            return _page(request, error=WRONG, status=401, name=username)
        return await _logged_in(request, ctx, user, password, address)
    except StoreUnavailable:
        return _page(request, error="De database is nu niet bereikbaar; probeer het zo opnieuw.", status=503)


async def _logged_in(
    request: web.Request, ctx: WebContext, user: User, password: str, address: str
) -> web.StreamResponse:
    now = ctx.clock()
    user_id, name = user.id, user.username
    if needs_rehash(user.password_hash):
        await ctx.db.run(set_password_hash, user_id, hash_password(password))
    token = new_token()
    await ctx.db.run(
        create_session,
        token_hash=hash_token(token),
        user_id=user_id,
        csrf_token=new_token(),
        address=address,
        now=now,
        idle_timeout=ctx.settings.session_idle,
        absolute_timeout=ctx.settings.session_absolute,
    )
    await ctx.db.run(record_login_attempt, username=name, address=address, succeeded=True, at=now)
    await ctx.db.run(record_audit, username=name, action="ingelogd", detail={"adres": address}, at=now)
    log.info("web_login", user=name)
    response = web.HTTPSeeOther("/")
    set_session_cookie(
        response,
        token,
        secure=ctx.settings.secure_cookies,
        max_age=int(ctx.settings.session_absolute.total_seconds()),
    )
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    session = current(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    try:
        await ctx.db.run(delete_session, hash_token(token))
        await ctx.db.run(
            record_audit, username=session.username, action="uitgelogd", detail={}, at=ctx.clock()
        )
    except StoreUnavailable:
        pass  # the cookie goes anyway; the session expires on its own
    response = web.HTTPSeeOther("/login")
    clear_session_cookie(response)
    raise response
