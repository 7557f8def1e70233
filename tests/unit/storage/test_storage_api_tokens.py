"""API tokens: stored only hashed, one practice each, scoped, revocable, names unique among active ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.api_tokens import (
    SCOPES,
    NameTaken,
    TokenInfo,
    create_token,
    hash_token,
    list_tokens,
    new_token_text,
    revoke_token,
    token_for,
)
from storage.models import Practice
from storage.models_intake import ApiToken
from storage.practices import ensure_practice

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _token(
    sessions: Sessions, practice: Practice, name: str = "triage", scopes: tuple[str, ...] = SCOPES
) -> tuple[TokenInfo, str]:
    return await create_token(
        sessions, practice_id=practice.id, name=name, scopes=scopes, created_by="beheer", now=NOW
    )


def test_a_new_token_is_random_prefixed_and_hashed_as_sha256_hex() -> None:
    """Two new tokens differ, start with tbk_, and hash to 64 lowercase hex digits (a known SHA-256)."""
    first, second = new_token_text(), new_token_text()
    assert first != second
    assert first.startswith("tbk_") and len(first) >= 40
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


async def test_only_the_hash_is_stored_and_the_plain_token_finds_the_token(
    sessions: Sessions, practice: Practice
) -> None:
    """The database holds the hash and a short prefix, never the token; the token looks its row up."""
    info, plain = await _token(sessions, practice, " Triageformulier ", ("read", "create"))
    async with sessions() as session:
        row = (await session.scalars(select(ApiToken))).one()
    assert row.token_hash == hash_token(plain)
    assert plain not in (row.token_hash, row.prefix, row.name) and plain.startswith(row.prefix)
    assert len(row.prefix) < len(plain) // 2
    assert (info.name, info.scopes, info.created_by, info.created_at) == (
        "Triageformulier",
        ("create", "read"),
        "beheer",
        NOW,
    )
    assert (info.revoked_at, info.last_used_at, info.practice_id) == (None, None, practice.id)
    found = await token_for(sessions, plain, NOW)
    assert found is not None and (found.id, found.scopes) == (info.id, ("create", "read"))


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "regel\nnieuw"])
async def test_a_bad_name_is_refused_naming_the_field(
    sessions: Sessions, practice: Practice, name: str
) -> None:
    """An empty, too long or multi-line name raises ValueError naming `name`; nothing is stored."""
    with pytest.raises(ValueError, match="name"):
        await _token(sessions, practice, name)
    assert await list_tokens(sessions, practice.id) == []


@pytest.mark.parametrize("scopes", [(), ("create", "delete"), ("ADMIN",)])
async def test_unknown_or_no_scopes_are_refused_naming_the_field(
    sessions: Sessions, practice: Practice, scopes: tuple[str, ...]
) -> None:
    """No scope, or one outside create/read/cancel, raises ValueError naming `scopes`; nothing is stored."""
    with pytest.raises(ValueError, match="scopes"):
        await _token(sessions, practice, scopes=scopes)
    assert await list_tokens(sessions, practice.id) == []


async def test_a_naive_time_is_refused(sessions: Sessions, practice: Practice) -> None:
    """A datetime without zone raises ValueError naming `now`."""
    with pytest.raises(ValueError, match="now"):
        await create_token(
            sessions,
            practice_id=practice.id,
            name="x",
            scopes=["read"],
            created_by=None,
            now=datetime(2026, 11, 23, 9, 0),
        )


async def test_unknown_garbage_and_revoked_tokens_find_nothing(
    sessions: Sessions, practice: Practice
) -> None:
    """Only an active token's exact text finds it; after revoking, the same text finds nothing."""
    info, plain = await _token(sessions, practice)
    for wrong in ("", plain[:-1], plain + "x", plain.upper(), hash_token(plain), "x" * 10_000):
        assert await token_for(sessions, wrong, NOW) is None, wrong[:20]
    assert await revoke_token(sessions, info.id, practice_id=practice.id, now=NOW) is True
    assert await token_for(sessions, plain, NOW) is None


async def test_last_use_is_written_at_most_once_a_minute(sessions: Sessions, practice: Practice) -> None:
    """The first use and a use a minute later are stored; a use seconds later leaves the time as it was."""
    _, plain = await _token(sessions, practice)
    seen = await token_for(sessions, plain, NOW)
    assert seen is not None and seen.last_used_at == NOW
    await token_for(sessions, plain, NOW + timedelta(seconds=30))
    assert (await list_tokens(sessions, practice.id))[0].last_used_at == NOW
    later = NOW + timedelta(minutes=1, seconds=5)
    await token_for(sessions, plain, later)
    assert (await list_tokens(sessions, practice.id))[0].last_used_at == later


async def test_revoking_is_per_practice_and_only_once(sessions: Sessions, practice: Practice) -> None:
    """Another practice cannot revoke the token; a second revoke and an unknown id answer False."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0301234567")
    info, plain = await _token(sessions, practice)
    assert await revoke_token(sessions, info.id, practice_id=other.id, now=NOW) is False
    assert await token_for(sessions, plain, NOW) is not None
    later = NOW + timedelta(hours=1)
    assert await revoke_token(sessions, info.id, practice_id=practice.id, now=later) is True
    assert await revoke_token(sessions, info.id, practice_id=practice.id, now=later) is False
    assert await revoke_token(sessions, 999, practice_id=practice.id, now=later) is False
    assert (await list_tokens(sessions, practice.id))[0].revoked_at == later


async def test_the_list_shows_one_practice_active_first(sessions: Sessions, practice: Practice) -> None:
    """Tokens of another practice are not listed; revoked ones come after the active ones."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0301234567")
    await create_token(
        sessions, practice_id=other.id, name="elders", scopes=["read"], created_by=None, now=NOW
    )
    old, _ = await _token(sessions, practice, "archief")
    await _token(sessions, practice, "portaal")
    await _token(sessions, practice, "formulier")
    await revoke_token(sessions, old.id, practice_id=practice.id, now=NOW)
    listed = await list_tokens(sessions, practice.id)
    assert [(t.name, t.active) for t in listed] == [
        ("formulier", True),
        ("portaal", True),
        ("archief", False),
    ]


async def test_an_active_name_is_unique_per_practice_but_free_again_after_revoking(
    sessions: Sessions, practice: Practice
) -> None:
    """A second active token of one name is refused (NameTaken names the field); revoked, the name is free."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0301234567")
    first, _ = await _token(sessions, practice, "portaal")
    with pytest.raises(NameTaken, match="name"):
        await _token(sessions, practice, "portaal")
    await _token(sessions, other, "portaal")
    await revoke_token(sessions, first.id, practice_id=practice.id, now=NOW)
    second, _ = await _token(sessions, practice, "portaal")
    assert [t.id for t in await list_tokens(sessions, practice.id)] == [second.id, first.id]


async def test_simultaneous_creates_of_one_name_store_it_once(sessions: Sessions, practice: Practice) -> None:
    """Of several creates of one name at once, exactly one succeeds and the others get NameTaken."""
    results = await asyncio.gather(
        *(_token(sessions, practice, "portaal") for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, tuple) for r in results) == 1, results
    assert sum(isinstance(r, NameTaken) for r in results) == 4, results
    assert len(await list_tokens(sessions, practice.id)) == 1


async def test_a_scope_unknown_to_this_version_in_a_stored_row_grants_nothing(
    sessions: Sessions, practice: Practice
) -> None:
    """A row edited by hand to hold another scope still gives only the known scopes."""
    info, plain = await _token(sessions, practice, scopes=("read",))
    async with sessions() as session, session.begin():
        row = await session.get(ApiToken, info.id)
        assert row is not None
        row.scopes = {"scopes": ["read", "admin"]}
    found = await token_for(sessions, plain, NOW)
    assert found is not None and found.scopes == ("read",)
