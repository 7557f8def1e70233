"""What the controller's database doors share: the practice's row, and one way to fail.

Every database failure comes out as `DeskUnavailable`, so the call flows have one thing to catch and
always do the same with it: send the caller to a person, never lose them to a storage error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.practices import ensure_practice

T = TypeVar("T")

FAILURES = (SQLAlchemyError, OSError, ConnectionError, TimeoutError)


class DeskUnavailable(Exception):
    """The database could not be used; nothing was stored."""


async def guarded(work: Awaitable[T]) -> T:
    """Await a database operation, turning any database failure into DeskUnavailable."""
    try:
        return await work
    except FAILURES as exc:
        raise DeskUnavailable(type(exc).__name__) from exc


@dataclass(frozen=True)
class PracticeIdentity:
    """How the practice is registered in the database (created on first use)."""

    slug: str
    name: str
    number: str

    @classmethod
    def from_name(cls, name: str, number: str) -> PracticeIdentity:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "praktijk"
        return cls(slug=slug, name=name, number=number)


class PracticeRegistry:
    """The practice's row id, registered on first use, so a database that was down at start is fine."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], identity: PracticeIdentity) -> None:
        self.sessions = sessions
        self.identity = identity
        self._id: int | None = None

    async def id(self) -> int:
        if self._id is None:
            row = await guarded(
                ensure_practice(
                    self.sessions,
                    slug=self.identity.slug,
                    name=self.identity.name,
                    number=self.identity.number,
                )
            )
            self._id = row.id
        return self._id
