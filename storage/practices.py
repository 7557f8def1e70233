"""Looking up and registering practices.

A practice's row is keyed by the stable id the admin sets once in the menu YAML (``practice.id``, stored
in the ``slug`` column): its name and number may change without orphaning bookings, kept places or
waiting callers (issue 8, defect 5).
"""

from __future__ import annotations

import structlog
from sqlalchemy import Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Practice
from storage.retry import with_retry
from storage.sql import insert_ignore

log = structlog.get_logger(__name__)

_practice: Table = Practice.__table__  # type: ignore[assignment]


async def ensure_practice(
    sessions: async_sessionmaker[AsyncSession], *, slug: str, name: str, number: str
) -> Practice:
    """Return the practice keyed ``slug``, created or updated to have ``name`` and ``number``.

    ``slug`` is the admin's stable practice id; renaming the practice or changing its number in the YAML
    updates the same row, so everything booked for it stays with it.
    """

    async def transaction() -> tuple[Practice, bool]:
        async with sessions() as session, session.begin():
            # Insert-or-ignore rather than select-then-insert: two workers starting together both succeed.
            await session.execute(
                insert_ignore(session, _practice, {"slug": slug, "name": name, "number": number})
            )
            # Conditional, so an unchanged practice costs no write.
            changed = await session.scalar(
                update(_practice)
                .where(_practice.c.slug == slug, or_(_practice.c.name != name, _practice.c.number != number))
                .values(name=name, number=number)
                .returning(_practice.c.id)
            )
            practice = (await session.scalars(select(Practice).where(Practice.slug == slug))).one()
            return practice, changed is not None

    practice, changed = await with_retry(transaction, what="ensure_practice")
    if changed:
        log.info("practice_updated", practice_id=practice.id, slug=slug, name=name)
    return practice


async def practice_by_slug(sessions: async_sessionmaker[AsyncSession], slug: str) -> Practice | None:
    """Return the practice with ``slug``, or None."""
    async with sessions() as session:
        return (await session.scalars(select(Practice).where(Practice.slug == slug))).one_or_none()
