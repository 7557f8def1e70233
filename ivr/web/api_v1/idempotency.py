"""The Idempotency-Key header: a retried request gets the first answer, and never books a second time.

A request with a key claims it (storage.idempotency) before doing anything, then stores its answer. A retry
with the same key and the same request gets that answer again, marked `Idempotent-Replayed: true`; the
same key with another request is the client's mistake (422); a key whose first request is still running
is a 409. Only requests that passed validation claim a key, so a refusal for a bad field is never stored.
A failure before there is an answer (the database away) gives the key back, so the client may retry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.context import WebContext
from ivr.web.errors import refuse, unavailable
from storage.api_tokens import TokenInfo
from storage.idempotency import claim_key, release_key, store_answer
from storage.models_intake import IDEMPOTENCY_KEY_LENGTH

log = structlog.get_logger(__name__)

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII: what a client puts in a header (usually a UUID), nothing a log or a proxy could mangle.
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_LENGTH}}}$"
_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Answer:
    """What a handler answers: a status, a JSON body, and headers made from the body (also on replays)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def key_of(request: web.Request) -> str | None:
    """The request's idempotency key, None without one; 400 naming the header if it is not a valid key."""
    key = request.headers.get(KEY_HEADER)
    if key is None:
        return None
    if _KEY.fullmatch(key) is None:
        message = (
            f"{KEY_HEADER}: 1 tot {IDEMPOTENCY_KEY_LENGTH} zichtbare ASCII-tekens, bijvoorbeeld een UUID."
        )
        raise refuse(400, "invalid", message, field=KEY_HEADER)
    return key


def request_hash(method: str, path: str, body: Any) -> str:
    """SHA-256 of what the request asks (method, path, the body's JSON in a canonical form)."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def respond(answer: Answer, *, replayed: bool = False) -> web.Response:
    headers = dict(answer.headers)
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return web.json_response(answer.body, status=answer.status, headers=headers)


async def once(
    ctx: WebContext,
    client: TokenInfo,
    key: str | None,
    fingerprint: str,
    work: Callable[[], Awaitable[Answer]],
    headers_of: Callable[[int, dict[str, Any]], dict[str, str]],
) -> web.Response:
    """Do `work` once per key: the first request with `key` does it, retries replay its answer.

    `headers_of(status, body)` makes the headers of a replayed answer (only the body is stored).
    """
    if key is None:
        return respond(await work())
    try:
        stored = await ctx.db.run(
            claim_key, token_id=client.id, key=key, request_hash=fingerprint, now=ctx.clock()
        )
    except StoreUnavailable:
        raise unavailable() from None
    if stored is not None:
        if stored.request_hash != fingerprint:
            message = f"{KEY_HEADER}: deze sleutel is al gebruikt voor een ander verzoek; kies een nieuwe."
            raise refuse(422, "idempotency_key_reused", message, field=KEY_HEADER)
        if stored.in_progress:
            message = "Een verzoek met deze Idempotency-Key wordt nog verwerkt; probeer het zo opnieuw."
            raise refuse(409, "idempotency_in_progress", message, field=KEY_HEADER)
        log.info("api_idempotent_replay", token_id=client.id, status=stored.status_code)
        replay = Answer(stored.status_code, stored.response, headers_of(stored.status_code, stored.response))
        return respond(replay, replayed=True)
    try:
        answer = await work()
    except BaseException:
        # No answer was given: the client may try again with the same key.
        await _release(ctx, client, key)
        raise
    try:
        await ctx.db.run(
            store_answer, token_id=client.id, key=key, status_code=answer.status, response=answer.body
        )
    except StoreUnavailable:
        # The booking stands; the key stays "in progress" (a retry gets 409), never booked a second time.
        log.warning("api_idempotent_answer_not_stored", token_id=client.id, status=answer.status)
    return respond(answer)


async def _release(ctx: WebContext, client: TokenInfo, key: str) -> None:
    try:
        await ctx.db.run(release_key, token_id=client.id, key=key)
    except StoreUnavailable:
        log.warning("api_idempotency_key_not_released", token_id=client.id)
