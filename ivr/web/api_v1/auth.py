"""Who may use the intake API: a bearer token of this practice, its scopes, and a rate limit per token.

`api_guard` is the outermost middleware. For paths under /api/v1 it finds the token (storage.api_tokens:
only its hash is stored), takes one request from the token's bucket, and marks the request with the client
(ivr.web.auth.API_CLIENT); the session middleware after it refuses any /api/v1 path not so marked, except
the OpenAPI document. It also makes every answer under /api/v1 JSON: refusals keep their status, a
database that is away is a 503, and anything unexpected a 500 without details.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.api_v1.errors import as_json, server_error, unauthorized
from ivr.web.auth import API_CLIENT, API_V1_DOCUMENT, Handler, is_token_api
from ivr.web.context import context_of
from ivr.web.errors import refuse, unavailable
from storage.api_tokens import TokenInfo, token_for
from storage.models_web import USERNAME_LENGTH

log = structlog.get_logger(__name__)

BEARER = "bearer"


@dataclass
class _Bucket:
    tokens: float
    at: dt.datetime


class TokenBuckets:
    """A token bucket per API token, in memory: one controller serves a practice (decision 0003)."""

    def __init__(self) -> None:
        self._buckets: dict[int, _Bucket] = {}

    def take(self, token_id: int, now: dt.datetime, *, per_minute: int, burst: int) -> float:
        """Take one request: 0.0 if it may go ahead, else the seconds until the bucket has one again."""
        rate = max(per_minute, 1) / 60.0
        burst = max(burst, 1)
        bucket = self._buckets.get(token_id)
        if bucket is None:
            bucket = self._buckets[token_id] = _Bucket(float(burst), now)
        # A clock set back never adds requests; nor does it take any.
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
        bucket.at = max(bucket.at, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


RATE_LIMITS: web.AppKey[TokenBuckets] = web.AppKey("api_v1_rate_limits", TokenBuckets)


def client_of(request: web.Request, scope: str) -> TokenInfo:
    """The request's API client, if its token has `scope`; else 403."""
    client = request[API_CLIENT]
    if scope not in client.scopes:
        log.info("api_forbidden", token_id=client.id, scope=scope, path=request.path)
        raise refuse(403, "forbidden", f"Deze API-sleutel heeft het recht '{scope}' niet.")
    return client


def audit_username(client: TokenInfo) -> str:
    """How the audit trail names an API client: "api:" and the token's name."""
    return f"api:{client.name}"[:USERNAME_LENGTH]


@web.middleware
async def api_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/v1: authenticate and rate-limit the token, and answer every failure as JSON."""
    if not is_token_api(request.path):
        return await handler(request)
    try:
        if request.path != API_V1_DOCUMENT:
            request[API_CLIENT] = await _authenticated(request)
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return as_json(exc)
    except StoreUnavailable:
        return as_json(unavailable())
    except Exception:
        # Never the details to the client; the log has them (no patient data: the body is not logged).
        log.exception("api_failed", path=request.path, method=request.method)
        return server_error()


async def _authenticated(request: web.Request) -> TokenInfo:
    ctx = context_of(request)
    header = request.headers.get("Authorization")
    if header is None:
        raise unauthorized("Een API-sleutel is nodig: Authorization: Bearer <sleutel>.", invalid=False)
    scheme, _, plain = header.strip().partition(" ")
    plain = plain.strip()
    if scheme.lower() != BEARER or not plain:
        raise unauthorized("Stuur de API-sleutel als Authorization: Bearer <sleutel>.", invalid=True)
    now = ctx.clock()
    token = await ctx.db.run(token_for, plain, now)
    # A token of another practice is unknown here: this server speaks for one practice only.
    if token is None or token.practice_id != await ctx.practice.id():
        log.info("api_token_refused", path=request.path)
        raise unauthorized("Deze API-sleutel is onbekend of ingetrokken.", invalid=True)
    wait = request.app[RATE_LIMITS].take(
        token.id, now, per_minute=ctx.settings.api_requests_per_minute, burst=ctx.settings.api_burst
    )
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        log.info("api_rate_limited", token_id=token.id, retry_after=seconds)
        refusal = refuse(
            429,
            "rate_limited",
            f"Te veel verzoeken met deze API-sleutel; probeer het over {seconds} s opnieuw.",
        )
        refusal.headers["Retry-After"] = str(seconds)
        raise refusal
    return token
