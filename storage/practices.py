"""Looking up and registering practices."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Practice
from storage.retry import with_retry
from storage.sql import insert_ignore

_practice: Table = Practice.__table__  # type: ignore[assignment]


async def ensure_practice(
    sessions: async_sessionmaker[AsyncSession], *, slug: str, name: str, number: str
) -> Practice:
    """Return the practice with ``slug``, creating it with ``name`` and ``number`` if it does not exist.

    An existing practice is returned unchanged: configuration reloads must not rename it by accident.
    """

    async def transaction() -> Practice:
        async with sessions() as session, session.begin():
            # Insert-or-ignore rather than select-then-insert: two workers starting together both succeed.
            await session.execute(
                insert_ignore(session, _practice, {"slug": slug, "name": name, "number": number})
            )
            return (await session.scalars(select(Practice).where(Practice.slug == slug))).one()

    return await with_retry(transaction, what="ensure_practice")


async def practice_by_slug(sessions: async_sessionmaker[AsyncSession], slug: str) -> Practice | None:
    """Return the practice with ``slug``, or None."""
    async with sessions() as session:
        return (await session.scalars(select(Practice).where(Practice.slug == slug))).one_or_none()
