"""Logins: every page and API behind a session, CSRF on every change, limits on failed logins, headers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from storage.audit import audit_entries
from storage.models_web import WebSession
from tests.unit.web.conftest import LOGIN_TOKEN, PASSWORD, Web, log_in

PAGES = ["/", "/api/screen", "/api/events", "/beheer/menu", "/beheer/gebruikers"]


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_pages_redirect_to_login_and_the_api_says_401(web: Web, path: str) -> None:
    """Nothing but the login page is served to someone not logged in."""
    response = await web.client.get(path, allow_redirects=False)
    if path.startswith("/api/"):
        assert response.status == 401
        assert (await response.json())["error"] == "not_logged_in"
    else:
        assert response.status == 303
        assert response.headers["Location"] == "/login"


async def test_a_login_opens_the_screen_and_stores_only_the_token_hash(web: Web) -> None:
    """After a good login the screen is served, and the database holds a hash, not the cookie's token."""
    await web.login("anna")
    cookie = next(c for c in web.client.session.cookie_jar if c.key == "terugbel_sessie")
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    response = await web.client.get("/")
    assert response.status == 200
    assert "Terugbellijst vandaag" in await response.text()
    async with web.ctx.db.sessions() as session:
        ids = list(await session.scalars(select(WebSession.id)))
    assert len(ids) == 1 and ids[0] != cookie.value and len(ids[0]) == 64


async def test_a_wrong_password_is_refused_and_counted(web: Web) -> None:
    """A wrong password gets the login page again with a Dutch message and no session."""
    await web.login("anna")
    other = await web.new_client()
    page = await other.get("/login")
    token = LOGIN_TOKEN.search(await page.text())
    assert token is not None
    response = await other.post(
        "/login", data={"username": "anna", "password": "fout wachtwoord", "csrf": token.group(1)}
    )
    assert response.status == 401
    assert "Onbekende naam of verkeerd wachtwoord" in await response.text()
    assert (await other.get("/api/screen")).status == 401


async def test_failed_logins_lock_the_account_even_for_the_right_password(web: Web) -> None:
    """After five failures within a quarter of an hour the right password is refused too (429)."""
    await web.login("anna")
    other = await web.new_client()
    for _ in range(web.ctx.settings.failures_per_account):
        with pytest.raises(AssertionError):
            await log_in(other, "anna", "verkeerd-wachtwoord")
    page = await other.get("/login")
    token = LOGIN_TOKEN.search(await page.text())
    assert token is not None
    response = await other.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf": token.group(1)}
    )
    assert response.status == 429
    assert "Te veel mislukte pogingen" in await response.text()
    web.clock.advance(minutes=16)
    await log_in(other, "anna")  # the window has passed


async def test_a_login_form_without_its_token_is_refused(web: Web) -> None:
    """A login posted without the form's own token (e.g. from another site) logs nobody in."""
    await web.login("anna")
    other = await web.new_client()
    response = await other.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": "x"})
    assert response.status == 403
    assert (await other.get("/api/screen")).status == 401


async def test_a_change_without_the_csrf_token_is_refused(web: Web) -> None:
    """A POST with the session cookie but without (or with a wrong) CSRF token gets 403 naming csrf."""
    csrf = await web.login("anna")
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        response = await web.client.post("/api/headsets/anna/state", json={"state": "pauze"}, headers=headers)
        assert response.status == 403
        assert (await response.json())["field"] == "csrf"
    assert web.ctx.headsets.state("anna") == "op_dienst"
    assert csrf


async def test_a_post_from_another_origin_is_refused(web: Web) -> None:
    """Even with the right token, a request whose Origin is another site is refused."""
    csrf = await web.login("anna")
    response = await web.client.post(
        "/api/callbacks/1/done",
        json={},
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert (await response.json())["field"] == "Origin"


async def test_an_idle_session_expires(web: Web) -> None:
    """A session unused for longer than the idle time no longer opens anything."""
    await web.login("anna")
    web.clock.advance(seconds=web.ctx.settings.session_idle.total_seconds() + 1)
    assert (await web.client.get("/api/screen")).status == 401


async def test_logging_out_ends_the_session_and_is_audited(web: Web) -> None:
    """After logging out the old cookie opens nothing; login and logout are both in the audit trail."""
    csrf = await web.login("anna")
    token = next(c.value for c in web.client.session.cookie_jar if c.key == "terugbel_sessie")
    response = await web.client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    replay = await web.new_client()
    replay.session.cookie_jar.update_cookies({"terugbel_sessie": token})
    assert (await replay.get("/api/screen")).status == 401
    actions = [e.action for e in await audit_entries(web.ctx.db.sessions)]
    assert actions == ["uitgelogd", "ingelogd"]
    async with web.ctx.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_an_assistant_cannot_open_admin_pages_or_admin_api(web: Web) -> None:
    """Admin paths are refused to an assistant on the server, whatever the page shows."""
    csrf = await web.login("anna")
    for path in ("/beheer/menu", "/beheer/gebruikers", "/api/beheer/anything"):
        response = await web.client.get(path, allow_redirects=False)
        assert response.status == 403, path
    response = await web.client.post("/beheer/menu", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 403


async def test_every_response_carries_the_security_headers(web: Web) -> None:
    """CSP without inline script and frame-ancestors none, no sniffing, no caching, also on the login page."""
    for response in (await web.client.get("/login"), await web.client.get("/static/style.css")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


async def test_pages_have_no_inline_script_or_external_resource(web: Web) -> None:
    """The login and screen pages load scripts and styles only from the server itself."""
    await web.login("anna")
    for path in ("/login", "/"):
        html = await (await web.client.get(path)).text()
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), path
        assert not re.search(r"(src|href)=\"https?://", html), path
        assert " on" + "click=" not in html and "style=" not in html


async def test_the_session_ends_at_its_absolute_limit_however_busy(web: Web) -> None:
    """Used every few minutes, a session still ends after the absolute maximum."""
    await web.login("anna")
    limit = web.ctx.settings.session_absolute
    steps = int(limit / dt.timedelta(minutes=30))
    for _ in range(steps - 1):
        web.clock.advance(minutes=30)
        assert (await web.client.get("/api/screen")).status == 200
    web.clock.advance(minutes=31)
    assert (await web.client.get("/api/screen")).status == 401


async def test_loading_the_login_page_again_keeps_the_form_valid(web: Web) -> None:
    """A second load of the login page (another tab, the favicon's redirect) does not void the first form."""
    await web.login("anna")
    other = await web.new_client()
    first = LOGIN_TOKEN.search(await (await other.get("/login")).text())
    assert first is not None
    assert (await other.get("/favicon.ico", allow_redirects=False)).status == 204
    await other.get("/login")
    response = await other.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf": first.group(1)},
        allow_redirects=False,
    )
    assert response.status == 303


async def test_a_form_post_from_our_own_page_passes_the_origin_check(web: Web) -> None:
    """The Origin a browser sends for our own pages is accepted (the referrer policy keeps it real)."""
    csrf = await web.login("anna")
    origin = str(web.client.make_url("/")).rstrip("/")
    response = await web.client.post(
        "/logout", data={"csrf": csrf}, headers={"Origin": origin}, allow_redirects=False
    )
    assert response.status == 303
    policy = (await web.client.get("/login")).headers["Referrer-Policy"]
    assert policy != "no-referrer"  # with it chromium sends `Origin: null` on form posts


async def test_an_upload_over_the_limit_is_413_naming_the_file(web: Web) -> None:
    """A form body larger than the server takes is refused with a Dutch message naming `file`."""
    from aiohttp import FormData

    csrf = await web.login("beheer", role="admin")
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("naam", "welkom")
    form.add_field("file", b"\0" * (21 * 1024 * 1024), filename="groot.wav")
    response = await web.client.post("/beheer/opnames", data=form)
    assert response.status == 413
    assert (await response.json())["field"] == "file"
