"""Idempotency keys: one owner per key even under races, answers replayed, failed claims given back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.api_tokens import SCOPES, create_token
from storage.idempotency import (
    IN_PROGRESS,
    StoredAnswer,
    claim_key,
    purge_answers,
    release_key,
    store_answer,
)
from storage.models import Practice
from storage.models_intake import IdempotencyRecord

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HASH = "a" * 64
OTHER_HASH = "b" * 64


@pytest.fixture
async def token_id(sessions: Sessions, practice: Practice) -> int:
    info, _ = await create_token(
        sessions, practice_id=practice.id, name="triage", scopes=SCOPES, created_by=None, now=NOW
    )
    return info.id


async def _claim(
    sessions: Sessions, token_id: int, key: str = "k-1", request_hash: str = HASH, now: datetime = NOW
) -> StoredAnswer | None:
    return await claim_key(sessions, token_id=token_id, key=key, request_hash=request_hash, now=now)


async def _records(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


async def test_the_first_claim_owns_the_key_and_a_second_sees_it_in_progress(
    sessions: Sessions, token_id: int
) -> None:
    """A new key is claimed (None); claiming it again returns the in-progress record with its hash."""
    assert await _claim(sessions, token_id) is None
    again = await _claim(sessions, token_id, request_hash=OTHER_HASH)
    assert again == StoredAnswer(status_code=IN_PROGRESS, response={}, request_hash=HASH)
    assert again.in_progress


async def test_a_stored_answer_is_returned_to_every_retry(sessions: Sessions, token_id: int) -> None:
    """After store_answer a claim of the key returns that status, body and the first request's hash."""
    await _claim(sessions, token_id)
    body = {"id": 7, "slot": {"start": "2026-11-23T10:15:00+01:00"}, "status": "booked"}
    await store_answer(sessions, token_id=token_id, key="k-1", status_code=201, response=body)
    for _ in range(2):
        answer = await _claim(sessions, token_id)
        assert answer == StoredAnswer(status_code=201, response=body, request_hash=HASH)
        assert not answer.in_progress
    assert await _records(sessions) == 1


async def test_keys_are_per_token(sessions: Sessions, practice: Practice, token_id: int) -> None:
    """The same key under another token is a key of its own, and cannot read the first token's answer."""
    other, _ = await create_token(
        sessions, practice_id=practice.id, name="portaal", scopes=["read"], created_by=None, now=NOW
    )
    await _claim(sessions, token_id)
    await store_answer(sessions, token_id=token_id, key="k-1", status_code=201, response={"id": 1})
    assert await _claim(sessions, other.id) is None


async def test_simultaneous_claims_of_one_key_give_exactly_one_owner(
    sessions: Sessions, token_id: int
) -> None:
    """Of ten claims of one key at the same moment exactly one gets None; the others see it in progress."""
    for round_no in range(3):
        results = await asyncio.gather(*(_claim(sessions, token_id, f"race-{round_no}") for _ in range(10)))
        assert results.count(None) == 1, results
        assert all(r is None or r.in_progress for r in results)
    assert await _records(sessions) == 3


async def test_a_released_key_can_be_claimed_again(sessions: Sessions, token_id: int) -> None:
    """After the owner gives the key back (its request failed), the next claim owns it."""
    await _claim(sessions, token_id)
    await release_key(sessions, token_id=token_id, key="k-1")
    assert await _records(sessions) == 0
    assert await _claim(sessions, token_id, request_hash=OTHER_HASH) is None
    again = await _claim(sessions, token_id)
    assert again is not None and again.request_hash == OTHER_HASH


async def test_a_stored_answer_is_never_released(sessions: Sessions, token_id: int) -> None:
    """Releasing a key that has its answer keeps the answer: a request that booked stays answered."""
    await _claim(sessions, token_id)
    await store_answer(sessions, token_id=token_id, key="k-1", status_code=201, response={"id": 1})
    await release_key(sessions, token_id=token_id, key="k-1")
    answer = await _claim(sessions, token_id)
    assert answer is not None and (answer.status_code, answer.response) == (201, {"id": 1})


async def test_storing_for_a_key_that_is_gone_changes_nothing(sessions: Sessions, token_id: int) -> None:
    """An answer for a purged or released key is not stored (and does not raise)."""
    await store_answer(sessions, token_id=token_id, key="nooit", status_code=201, response={"id": 1})
    assert await _records(sessions) == 0


async def test_purge_deletes_only_records_older_than_the_cutoff(sessions: Sessions, token_id: int) -> None:
    """Records created before `before` go and are counted; newer ones stay."""
    await _claim(sessions, token_id, "oud", now=NOW - timedelta(hours=25))
    await _claim(sessions, token_id, "nieuw", now=NOW - timedelta(hours=1))
    assert await purge_answers(sessions, NOW - timedelta(hours=24)) == 1
    assert await _claim(sessions, token_id, "oud") is None
    assert await _claim(sessions, token_id, "nieuw") is not None
    with pytest.raises(ValueError, match="before"):
        await purge_answers(sessions, datetime(2026, 11, 23))


async def test_bad_keys_statuses_and_times_are_refused_naming_the_field(
    sessions: Sessions, token_id: int
) -> None:
    """An empty or too long key, a non-HTTP status, a too long hash or a naive time raise ValueError."""
    for key in ("", "k" * 129):
        with pytest.raises(ValueError, match="key"):
            await _claim(sessions, token_id, key)
    with pytest.raises(ValueError, match="request_hash"):
        await _claim(sessions, token_id, request_hash="h" * 65)
    with pytest.raises(ValueError, match="now"):
        await _claim(sessions, token_id, now=datetime(2026, 11, 23, 9, 0))
    await _claim(sessions, token_id)
    for status in (IN_PROGRESS, 99, 600):
        with pytest.raises(ValueError, match="status_code"):
            await store_answer(sessions, token_id=token_id, key="k-1", status_code=status, response={})
    assert (await _claim(sessions, token_id)).in_progress
