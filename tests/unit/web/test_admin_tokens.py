"""The API tokens admin page: listing, creating (the token shown once), revoking; admins only, audited."""

from __future__ import annotations

import re

import pytest
from aiohttp import ClientResponse

from storage.api_tokens import create_token, list_tokens, token_for
from storage.audit import audit_entries
from storage.practices import ensure_practice
from tests.unit.web import admin_support
from tests.unit.web.admin_support import admin_routes, refused_fields
from tests.unit.web.conftest import Web

PATH = "/beheer/api-sleutels"
SHOWN_TOKEN = re.compile(r'id="sleutel" readonly value="(tbk_[^"]+)"')


@pytest.fixture(autouse=True)
def sample_token_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """admin_routes fills path parameters from SAMPLE; this page's routes have a token id."""
    monkeypatch.setitem(admin_support.SAMPLE, "token_id", "1")


async def post(web: Web, path: str, token: str | None, **fields: str | list[str]) -> ClientResponse:
    data: list[tuple[str, str]] = []
    for name, value in fields.items():
        data.extend((name, v) for v in ([value] if isinstance(value, str) else value))
    if token is not None:
        data.append(("csrf", token))
    return await web.client.post(path, data=data, allow_redirects=False)


async def practice_id(web: Web) -> int:
    return await web.ctx.practice.id()


async def created(
    web: Web, token: str, name: str = "triageformulier", scopes: list[str] | None = None
) -> str:
    """Create a token through the form; return the plain token shown on the answer page."""
    response = await post(web, PATH, token, naam=name, rechten=scopes or ["create", "read"])
    assert response.status == 200, await response.text()
    found = SHOWN_TOKEN.search(await response.text())
    assert found is not None
    return found.group(1)


async def test_an_assistant_gets_403_on_every_tokens_path(web: Web) -> None:
    """Listing, creating and revoking refuse an assistant, even with a valid CSRF token; nothing changes."""
    token = await web.login("anna")
    info, plain = await create_token(
        web.ctx.db.sessions,
        practice_id=await practice_id(web),
        name="portaal",
        scopes=["read"],
        created_by="test",
        now=web.clock(),
    )
    routes = admin_routes(web.client.server.app, PATH)
    assert len(routes) == 3
    for method, path in routes:
        path = path.replace("/1/", f"/{info.id}/")
        response = await web.client.request(
            method, path, data={"csrf": token, "naam": "x", "rechten": "create"}, allow_redirects=False
        )
        assert response.status == 403, (method, path)
        assert plain not in await response.text()
    assert [(t.name, t.active) for t in await list_tokens(web.ctx.db.sessions, await practice_id(web))] == [
        ("portaal", True)
    ]
    screen = await (await web.client.get("/")).text()
    assert PATH not in screen


async def test_a_logged_out_client_is_sent_to_the_login_page(web: Web) -> None:
    """Without a login every tokens route redirects to /login."""
    for method, path in admin_routes(web.client.server.app, PATH):
        response = await web.client.request(method, path, allow_redirects=False)
        assert response.status == 303, (method, path)
        assert response.headers["Location"] == "/login"


async def test_changes_without_csrf_are_refused_and_change_nothing(web: Web) -> None:
    """Creating or revoking without the session's token is a 403; the tokens stay as they were."""
    token = await web.login("beheer", role="admin")
    await created(web, token, "portaal")
    [existing] = await list_tokens(web.ctx.db.sessions, await practice_id(web))
    for path in (PATH, f"{PATH}/{existing.id}/intrekken"):
        response = await post(web, path, None, naam="ander", rechten=["read"])
        assert response.status == 403, path
    assert [(t.name, t.active) for t in await list_tokens(web.ctx.db.sessions, await practice_id(web))] == [
        ("portaal", True)
    ]


async def test_a_created_token_is_shown_once_works_and_is_audited(web: Web) -> None:
    """The answer page shows the token once with the Dutch warning; it works; the list never shows it."""
    token = await web.login("beheer", role="admin")
    response = await post(web, PATH, token, naam=" Triageformulier ", rechten=["create", "cancel"])
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = await response.text()
    found = SHOWN_TOKEN.search(page)
    assert found is not None
    plain = found.group(1)
    assert page.count(plain) == 1
    assert "alleen nu" in page and "kan hem later niet meer laten zien" in page
    info = await token_for(web.ctx.db.sessions, plain, web.clock())
    assert info is not None
    assert (info.name, info.scopes, info.practice_id, info.created_by) == (
        "Triageformulier",
        ("create", "cancel"),
        await practice_id(web),
        "beheer",
    )
    listing = await (await web.client.get(PATH)).text()
    assert plain not in listing
    assert f"<code>{info.prefix}…</code>" in listing
    assert "<td>Triageformulier</td>" in listing
    assert "terugbelverzoeken aanmaken, verzoeken annuleren" in listing
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].target_type, audit[0].target_id, audit[0].detail) == (
        "api_sleutel_aangemaakt",
        "api_token",
        str(info.id),
        {
            "naam": "Triageformulier",
            "praktijk": web.ctx.practice.identity.key,
            "rechten": ["create", "cancel"],
        },
    )
    assert plain not in str(audit[0].detail)


async def test_bad_input_to_the_create_form_is_refused_naming_the_field(web: Web) -> None:
    """A missing, too long or multi-line name, no or unknown scopes, or a name in use: 4xx naming it."""
    token = await web.login("beheer", role="admin")
    await created(web, token, "portaal")
    good: dict[str, str | list[str]] = {"naam": "formulier", "rechten": ["read"]}
    cases: list[tuple[dict[str, str | list[str]], int, str]] = [
        ({"naam": ""}, 400, "naam"),
        ({"naam": "   "}, 400, "naam"),
        ({"naam": "x" * 65}, 400, "naam"),
        ({"naam": "twee\nregels"}, 400, "naam"),
        ({"rechten": []}, 400, "rechten"),
        ({"rechten": ["read", "admin"]}, 400, "rechten"),
        ({"naam": "portaal"}, 409, "naam"),
    ]
    for change, status, field in cases:
        response = await post(web, PATH, token, **{**good, **change})
        assert response.status == status, change
        page = await response.text()
        assert refused_fields(page) == [field], change
        assert SHOWN_TOKEN.search(page) is None
    refused = await (await post(web, PATH, token, naam="formulier", rechten=[])).text()
    assert 'value="formulier"' in refused
    assert [t.name for t in await list_tokens(web.ctx.db.sessions, await practice_id(web))] == ["portaal"]


async def test_a_revoked_token_stops_working_at_once_and_is_audited(web: Web) -> None:
    """Revoking redirects with a message, the token no longer finds anything, and the audit says who."""
    token = await web.login("beheer", role="admin")
    plain = await created(web, token, "portaal")
    [info] = await list_tokens(web.ctx.db.sessions, await practice_id(web))
    response = await post(web, f"{PATH}/{info.id}/intrekken", token)
    assert response.status == 303
    assert response.headers["Location"] == f"{PATH}?gedaan=ingetrokken"
    assert await token_for(web.ctx.db.sessions, plain, web.clock()) is None
    listing = await (await web.client.get(response.headers["Location"])).text()
    assert "De sleutel is ingetrokken" in listing and "ingetrokken op 23-11-2026 10:00" in listing
    assert f"/beheer/api-sleutels/{info.id}/intrekken" not in listing
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].target_id, audit[0].detail) == (
        "api_sleutel_ingetrokken",
        str(info.id),
        {"naam": "portaal", "praktijk": web.ctx.practice.identity.key},
    )
    again = await post(web, f"{PATH}/{info.id}/intrekken", token)
    assert (again.status, again.headers["Location"]) == (303, f"{PATH}?gedaan=al-ingetrokken")
    assert len(await audit_entries(web.ctx.db.sessions, username="beheer")) == len(audit)


async def test_revoking_an_unknown_or_other_practices_token_is_404(web: Web) -> None:
    """An id that is no token of this practice, or no number at all, is a 404 and revokes nothing."""
    token = await web.login("beheer", role="admin")
    other = await ensure_practice(
        web.ctx.db.sessions, slug="het-anker", name="Het Anker", number="0301234567"
    )
    elsewhere, plain = await create_token(
        web.ctx.db.sessions,
        practice_id=other.id,
        name="elders",
        scopes=["read"],
        created_by=None,
        now=web.clock(),
    )
    for path in (f"{PATH}/{elsewhere.id}/intrekken", f"{PATH}/999/intrekken", f"{PATH}/abc/intrekken"):
        response = await post(web, path, token)
        assert response.status == 404, path
    assert await token_for(web.ctx.db.sessions, plain, web.clock()) is not None


async def test_admins_see_the_page_in_the_menu(web: Web) -> None:
    """The nav has an "API-sleutels" link for admins, marked current on the page itself."""
    await web.login("beheer", role="admin")
    page = await (await web.client.get(PATH)).text()
    assert f'<a href="{PATH}" aria-current="page">API-sleutels</a>' in page
    assert "Er zijn nog geen API-sleutels." in page
