"""Who may use /api/v1: a bearer token of this practice with the operation's scope, within its rate limit."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp import ClientResponse
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer

from ivr.db.door import StoreUnavailable
from ivr.web.api_v1 import add_api_routes
from ivr.web.auth import authenticate
from ivr.web.context import CONTEXT
from storage.api_tokens import create_token, list_tokens, revoke_token
from storage.practices import ensure_practice
from tests.unit.web.api_v1_support import COLLECTION, bearer, create, new_token, requests_in_db, valid_body
from tests.unit.web.conftest import Web

# Every operation but the document, with the scope it needs.
OPERATIONS = [
    ("POST", COLLECTION, "create"),
    ("GET", f"{COLLECTION}/1", "read"),
    ("DELETE", f"{COLLECTION}/1", "cancel"),
]


async def call(web: Web, method: str, path: str, headers: dict[str, str]) -> ClientResponse:
    return await web.client.request(method, path, json={}, headers=headers)


async def assert_unauthorized(response: ClientResponse) -> None:
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="terugbel"')
    assert (await response.json())["error"] == "unauthorized"


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
async def test_without_a_token_every_operation_is_401_with_a_bearer_challenge(
    web: Web, method: str, path: str, scope: str
) -> None:
    """No Authorization header: 401 and WWW-Authenticate: Bearer, as RFC 6750 asks."""
    await assert_unauthorized(await call(web, method, path, {}))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer tbk_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "tbk_no_scheme", "Bearer " + "x" * 5000],
)
async def test_a_wrong_or_malformed_token_is_401(web: Web, authorization: str) -> None:
    """Unknown tokens, other schemes and a missing token all get 401 with error="invalid_token"."""
    await new_token(web)
    response = await web.client.post(COLLECTION, json={}, headers={"Authorization": authorization})
    await assert_unauthorized(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_a_revoked_token_no_longer_works(web: Web) -> None:
    """Once the admin revokes it, the same token is 401 and books nothing."""
    token = await new_token(web)
    assert (await create(web, token)).status == 201
    [info] = await list_tokens(web.ctx.db.sessions, await web.ctx.practice.id())
    assert await revoke_token(web.ctx.db.sessions, info.id, practice_id=info.practice_id, now=web.clock())
    await assert_unauthorized(await create(web, token))
    assert len(await requests_in_db(web)) == 1


async def test_a_token_of_another_practice_is_unknown_here(web: Web) -> None:
    """This server speaks for one practice: another practice's token is 401."""
    other = await ensure_practice(
        web.ctx.db.sessions, slug="andere", name="Andere praktijk", number="0301234567"
    )
    _, plain = await create_token(
        web.ctx.db.sessions,
        practice_id=other.id,
        name="x",
        scopes=["create"],
        created_by="t",
        now=web.clock(),
    )
    await assert_unauthorized(await create(web, plain))
    assert await requests_in_db(web) == []


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
async def test_a_token_without_the_operations_scope_is_403(
    web: Web, method: str, path: str, scope: str
) -> None:
    """A token with every scope but this operation's is refused with 403, not served."""
    others = [s for s in ("create", "read", "cancel") if s != scope]
    token = await new_token(web, scopes=others)
    response = await call(web, method, path, bearer(token))
    assert response.status == 403
    refusal = await response.json()
    assert refusal["error"] == "forbidden" and scope in refusal["message"]


async def test_a_logged_in_assistants_session_does_not_open_the_api(web: Web) -> None:
    """The session cookie counts for nothing under /api/v1: only a bearer token does."""
    csrf = await web.login("anna", role="admin")
    response = await web.client.post(COLLECTION, json={}, headers={"X-CSRF-Token": csrf})
    await assert_unauthorized(response)


async def test_the_openapi_document_is_the_only_public_path(web: Web) -> None:
    """The document needs no token; an unknown path under /api/v1 is 401 without one, a JSON 404 with one."""
    document = await web.client.get("/api/v1/openapi.json")
    assert document.status == 200
    assert (await document.json())["openapi"] == "3.1.0"
    await assert_unauthorized(await web.client.get("/api/v1/unknown"))
    token = await new_token(web)
    unknown = await web.client.get("/api/v1/unknown", headers=bearer(token))
    assert unknown.status == 404
    assert (await unknown.json())["error"] == "not_found"
    wrong_method = await web.client.put(COLLECTION, headers=bearer(token))
    assert wrong_method.status == 405
    assert (await wrong_method.json())["error"] == "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"]


async def test_the_rate_limit_refuses_a_burst_beyond_it_and_refills_with_time(web: Web) -> None:
    """Burst 2 at 6 a minute: the third request is 429 with Retry-After; 10 s later one more fits."""
    web.ctx.settings = dataclasses.replace(web.ctx.settings, api_requests_per_minute=6, api_burst=2)
    token = await new_token(web)
    path = f"{COLLECTION}/999"
    assert [(await web.client.get(path, headers=bearer(token))).status for _ in range(2)] == [404, 404]
    limited = await web.client.get(path, headers=bearer(token))
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "10"
    assert (await limited.json())["error"] == "rate_limited"
    web.clock.advance(seconds=9)
    assert (await web.client.get(path, headers=bearer(token))).status == 429
    web.clock.advance(seconds=1)
    assert (await web.client.get(path, headers=bearer(token))).status == 404
    assert (await web.client.get(path, headers=bearer(token))).status == 429


async def test_the_rate_limit_is_per_token(web: Web) -> None:
    """One client using up its bucket does not slow down another client."""
    web.ctx.settings = dataclasses.replace(web.ctx.settings, api_requests_per_minute=1, api_burst=1)
    first, second = await new_token(web, name="een"), await new_token(web, name="twee")
    path = f"{COLLECTION}/999"
    assert (await web.client.get(path, headers=bearer(first))).status == 404
    assert (await web.client.get(path, headers=bearer(first))).status == 429
    assert (await web.client.get(path, headers=bearer(second))).status == 404


async def test_a_database_away_at_the_token_check_is_a_503(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token cannot be checked without the database: 503, never a 401 or a 500."""
    token = await new_token(web)

    async def away(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("test")

    monkeypatch.setattr(web.ctx.db, "run", away)
    response = await create(web, token)
    assert response.status == 503
    assert (await response.json())["error"] == "database_unavailable"


async def test_the_session_middleware_alone_never_serves_the_api(web: Web) -> None:
    """Without the token check in front, every /api/v1 path but the document is 401: never public."""
    app = aioweb.Application(middlewares=[authenticate])
    app[CONTEXT] = web.ctx
    add_api_routes(app)
    token = await new_token(web)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(COLLECTION, json=valid_body(), headers=bearer(token))
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await client.get("/api/v1/openapi.json")).status == 200
    assert await requests_in_db(web) == []
