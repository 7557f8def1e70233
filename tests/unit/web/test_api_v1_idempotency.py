"""The Idempotency-Key header: a retried create replays its first answer and never books a second time."""

from __future__ import annotations

import asyncio

import pytest

from ivr.db.door import StoreUnavailable
from ivr.web.api_v1.idempotency import request_hash
from storage.api_tokens import list_tokens
from storage.idempotency import claim_key
from tests.unit.web.api_v1_support import create, new_token, requests_in_db, valid_body
from tests.unit.web.booking import today_at
from tests.unit.web.conftest import Web

KEY = "7b0c1f9e-3c1d-4a55-9f0e-2a8d6c1b5e42"


async def test_a_retry_with_the_same_key_and_body_replays_the_answer_and_books_once(web: Web) -> None:
    """Same status, same body, Location, and Idempotent-Replayed: true; one row in the database."""
    token = await new_token(web)
    first = await create(web, token, Idempotency_Key=KEY)
    assert first.status == 201
    again = await create(web, token, Idempotency_Key=KEY)
    assert again.status == 201
    assert await again.json() == await first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert len(await requests_in_db(web)) == 1


async def test_the_same_request_spelled_differently_is_the_same_request(web: Web) -> None:
    """Another spelling of the number and another key order still replay: the validated request counts."""
    token = await new_token(web)
    assert (await create(web, token, valid_body(phone="06 12345678"), Idempotency_Key=KEY)).status == 201
    body = dict(reversed(list(valid_body(phone="+31612345678").items())))
    again = await create(web, token, body, Idempotency_Key=KEY)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(await requests_in_db(web)) == 1


async def test_concurrent_retries_with_one_key_book_once(web: Web) -> None:
    """Five requests with one key at once: one booking; the others replay it or are told it is in progress."""
    token = await new_token(web)
    responses = await asyncio.gather(*(create(web, token, Idempotency_Key=KEY) for _ in range(5)))
    fresh = [r for r in responses if r.status == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(fresh) == 1
    for response in responses:
        if response.status == 409:
            assert (await response.json())["error"] == "idempotency_in_progress"
        else:
            assert (response.status, await response.json()) == (201, await fresh[0].json())
    assert len(await requests_in_db(web)) == 1


async def test_the_same_key_with_another_body_is_a_422_naming_the_header(web: Web) -> None:
    """A key reused for a different request is the client's mistake: refused, nothing booked."""
    token = await new_token(web)
    assert (await create(web, token, Idempotency_Key=KEY)).status == 201
    other = await create(web, token, valid_body(name="P. Bakker"), Idempotency_Key=KEY)
    assert other.status == 422
    refusal = await other.json()
    assert (refusal["error"], refusal["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert len(await requests_in_db(web)) == 1


async def test_a_key_whose_first_request_is_still_running_is_a_409(web: Web) -> None:
    """While the first request holds the key (claimed, no answer yet), a retry waits its turn: 409."""
    token = await new_token(web)
    [info] = await list_tokens(web.ctx.db.sessions, await web.ctx.practice.id())
    fingerprint = request_hash(
        "POST", "/api/v1/callback-requests", valid_body(phone="0612345678", preferred_window=None)
    )
    claimed = await claim_key(
        web.ctx.db.sessions, token_id=info.id, key=KEY, request_hash=fingerprint, now=web.clock()
    )
    assert claimed is None  # the "first request" owns it
    response = await create(web, token, Idempotency_Key=KEY)
    assert response.status == 409
    refusal = await response.json()
    assert (refusal["error"], refusal["field"]) == ("idempotency_in_progress", "Idempotency-Key")
    assert await requests_in_db(web) == []


async def test_a_no_slot_answer_is_replayed_too(web: Web) -> None:
    """A 409 no_slot is an answer: the retry gets it again rather than a booking made meanwhile."""
    token = await new_token(web)
    window = {"from": today_at(web, "09:00").isoformat(), "to": today_at(web, "10:10").isoformat()}
    body = valid_body(preferred_window=window)
    first = await create(web, token, body, Idempotency_Key=KEY)
    assert first.status == 409
    again = await create(web, token, body, Idempotency_Key=KEY)
    assert (again.status, again.headers["Idempotent-Replayed"]) == (409, "true")
    assert await again.json() == await first.json()


async def test_keys_belong_to_one_token(web: Web) -> None:
    """Two clients using the same key make two requests: neither sees the other's answer."""
    first, second = await new_token(web, name="een"), await new_token(web, name="twee")
    one = await create(web, first, valid_body(phone="0612345601"), Idempotency_Key=KEY)
    two = await create(web, second, valid_body(phone="0612345602"), Idempotency_Key=KEY)
    assert (one.status, two.status) == (201, 201)
    assert "Idempotent-Replayed" not in two.headers
    assert len(await requests_in_db(web)) == 2


async def test_a_failure_before_the_answer_gives_the_key_back(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away during the booking: 503, and the retry with the same key books for real."""
    token = await new_token(web)
    assert web.ctx.intake is not None
    real_book = web.ctx.intake.book

    async def away(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("test")

    monkeypatch.setattr(web.ctx.intake, "book", away)
    assert (await create(web, token, Idempotency_Key=KEY)).status == 503
    monkeypatch.setattr(web.ctx.intake, "book", real_book)
    retry = await create(web, token, Idempotency_Key=KEY)
    assert retry.status == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert len(await requests_in_db(web)) == 1


@pytest.mark.parametrize("key", ["", "k" * 129, "met spatie", "sleutel\u00e9"])
async def test_a_malformed_key_is_a_400_naming_the_header(web: Web, key: str) -> None:
    """Empty, longer than 128, or not visible ASCII: refused before anything is booked."""
    token = await new_token(web)
    response = await create(web, token, Idempotency_Key=key)
    assert response.status == 400
    assert (await response.json())["field"] == "Idempotency-Key"
    assert await requests_in_db(web) == []


async def test_a_refused_body_does_not_use_up_the_key(web: Web) -> None:
    """A 422 for a bad field is not stored: the corrected request with the same key books."""
    token = await new_token(web)
    assert (await create(web, token, valid_body(phone="0900 1234567"), Idempotency_Key=KEY)).status == 422
    assert (await create(web, token, Idempotency_Key=KEY)).status == 201
