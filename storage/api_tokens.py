"""API tokens of the intake API's clients: one practice each, the operations it may do, stored hashed.

The database keeps only the SHA-256 of a token (``hash_token``): someone reading the database or a backup
cannot call the API. The plain token exists once, in what ``create_token`` returns, for the admin to hand
to the client. A token is looked up by its hash; its first characters (``prefix``) are kept to tell tokens
apart on the admin page and in the CLI, and are not enough to use it.

An active token's name is unique within its practice, so the CLI can revoke a token by name: the insert is
the transaction's first statement on SQLite (it then holds the one write lock while it checks), and on
PostgreSQL the practice's row is locked first, so two creates of one name cannot both pass the check.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Practice
from storage.models_intake import ApiToken
from storage.retry import with_retry
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

SCOPES = ("create", "read", "cancel")
TOKEN_PREFIX = "tbk_"
_token: Table = ApiToken.__table__  # type: ignore[assignment]
_practice: Table = Practice.__table__  # type: ignore[assignment]
NAME_LENGTH: int = _token.c.name.type.length
# "tbk_" and 8 random characters: enough to tell a practice's tokens apart, far too few to guess the rest.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# A real token is 4 + 43 characters; anything much longer is not worth hashing.
_MAX_TOKEN_LENGTH = 256
# last_used_at is written at most this often per token, so a busy client does not make every read a write.
LAST_USED_EVERY = timedelta(minutes=1)


class NameTaken(ValueError):
    """An active token of the practice already has this name."""


@dataclass(frozen=True)
class TokenInfo:
    """A token as the admin sees it: never the token itself, nor its hash."""

    id: int
    practice_id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(plain: str) -> str:
    """Return the lowercase hex SHA-256 of the token's UTF-8 bytes: the only form a token is stored in."""
    return hashlib.sha256(plain.encode()).hexdigest()


def new_token_text() -> str:
    """Return a new random token: ``tbk_`` and 256 random bits, URL-safe (the prefix says what it is)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    """Return ``name`` without surrounding spaces, or raise ValueError naming the field if not allowed."""
    stripped = name.strip()
    if not 0 < len(stripped) <= NAME_LENGTH or not stripped.isprintable():
        raise ValueError(f"name must be 1 to {NAME_LENGTH} printable characters, got {name!r}")
    return stripped


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Return the scopes in ``SCOPES`` order without repeats, or raise ValueError naming the field."""
    if isinstance(scopes, str):
        raise TypeError("scopes must be a collection of scope names, not one string")
    given = set(scopes)
    unknown = sorted(given - set(SCOPES))
    if unknown:
        raise ValueError(f"scopes: unknown {', '.join(map(repr, unknown))}; known: {', '.join(SCOPES)}")
    if not given:
        raise ValueError(f"scopes must name at least one of {', '.join(SCOPES)}")
    return tuple(scope for scope in SCOPES if scope in given)


def _info(row: ApiToken) -> TokenInfo:
    stored = row.scopes.get("scopes", []) if isinstance(row.scopes, dict) else []
    return TokenInfo(
        id=row.id,
        practice_id=row.practice_id,
        name=row.name,
        prefix=row.prefix,
        # Only scopes this version knows: a hand-edited row cannot grant something new.
        scopes=tuple(scope for scope in SCOPES if scope in stored),
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


async def create_token(
    sessions: Sessions,
    *,
    practice_id: int,
    name: str,
    scopes: Iterable[str],
    created_by: str | None,
    now: datetime,
) -> tuple[TokenInfo, str]:
    """Store a new active token of the practice; return it and the plain token (shown once, never stored).

    ValueError naming the field for an empty or too long name or an unknown scope; NameTaken (a
    ValueError) if an active token of the practice has this name.
    """
    name = check_name(name)
    granted = check_scopes(scopes)
    require_aware(now=now)
    plain = new_token_text()
    values = {
        "practice_id": practice_id,
        "name": name,
        "token_hash": hash_token(plain),
        "prefix": plain[:SHOWN_PREFIX_LENGTH],
        "scopes": {"scopes": list(granted)},
        "created_at": now,
        "created_by": created_by,
    }

    async def transaction() -> ApiToken:
        async with sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # Serialises creates for one practice, so the name check below sees the other's row.
                await session.execute(
                    select(_practice.c.id).where(_practice.c.id == practice_id).with_for_update()
                )
            token_id = await session.scalar(_token.insert().values(values).returning(_token.c.id))
            same_name = await session.scalar(
                select(func.count())
                .select_from(_token)
                .where(
                    _token.c.practice_id == practice_id,
                    _token.c.name == name,
                    _token.c.revoked_at.is_(None),
                )
            )
            if (same_name or 0) > 1:
                raise NameTaken(f"name: an active token named {name!r} exists already")  # rolls back
            row = await session.get(ApiToken, token_id)
            assert row is not None
            return row

    row = await with_retry(transaction, what="create_token")
    info = _info(row)
    log.info("api_token_created", token_id=info.id, practice_id=practice_id, name=name, scopes=granted)
    return info, plain


async def token_for(sessions: Sessions, plain: str, now: datetime) -> TokenInfo | None:
    """Return the active token ``plain`` is, or None (unknown, revoked, or not a token at all).

    Notes the use in ``last_used_at``, at most once per ``LAST_USED_EVERY``.
    """
    require_aware(now=now)
    if not plain or len(plain) > _MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(plain)
    async with sessions() as session:
        row = (
            await session.scalars(
                select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
            )
        ).one_or_none()
    if row is None:
        return None
    info = _info(row)
    if info.last_used_at is not None and now - info.last_used_at < LAST_USED_EVERY:
        return info
    stale = or_(_token.c.last_used_at.is_(None), _token.c.last_used_at <= now - LAST_USED_EVERY)

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            # Conditional: of many requests at once, one writes; none moves the time backwards.
            await session.execute(
                update(_token).where(and_(_token.c.id == info.id, stale)).values(last_used_at=now)
            )

    await with_retry(transaction, what="token_used")
    return replace(info, last_used_at=now)


async def revoke_token(sessions: Sessions, token_id: int, *, practice_id: int, now: datetime) -> bool:
    """Revoke the practice's active token ``token_id`` at ``now``; False if unknown or already revoked."""
    require_aware(now=now)

    async def transaction() -> int | None:
        async with sessions() as session, session.begin():
            return await session.scalar(
                update(_token)
                .where(
                    _token.c.id == token_id,
                    _token.c.practice_id == practice_id,
                    _token.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .returning(_token.c.id)
            )

    revoked = await with_retry(transaction, what="revoke_token") is not None
    if revoked:
        log.info("api_token_revoked", token_id=token_id, practice_id=practice_id)
    return revoked


async def list_tokens(sessions: Sessions, practice_id: int) -> list[TokenInfo]:
    """Return the practice's tokens: active ones first, then by name and age."""
    query = (
        select(ApiToken)
        .where(ApiToken.practice_id == practice_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.name, ApiToken.id)
    )
    async with sessions() as session:
        return [_info(row) for row in await session.scalars(query)]
