"""Each headset's own state, per practice, as its assistant last set it on the screen.

Stored so that a restart of the controller keeps who is on pause or signed off. A headset without a row
is on duty (ivr.queue.headsets decides that, not this module).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models_web import HeadsetStateRow
from storage.retry import with_retry
from storage.sql import insert_ignore
from storage.status import HeadsetState, parse
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_state: Table = HeadsetStateRow.__table__  # type: ignore[assignment]
_HEADSET_LENGTH: int = _state.c.headset.type.length


async def set_headset_state(
    sessions: Sessions,
    *,
    practice_id: int,
    headset: str,
    state: HeadsetState | str,
    by: str | None,
    now: datetime,
) -> HeadsetStateRow:
    """Store ``state`` for the practice's ``headset``, set by ``by`` at ``now``, and return the row."""
    state = parse(HeadsetState, state, "state")
    name = headset.strip()
    if not name or len(name) > _HEADSET_LENGTH:
        raise ValueError(f"headset must be 1 to {_HEADSET_LENGTH} characters, got {headset!r}")
    require_aware(now=now)
    values = {"state": state.value, "changed_at": now, "changed_by": by}
    key = (_state.c.practice_id == practice_id, _state.c.headset == name)

    async def transaction() -> HeadsetStateRow:
        async with sessions() as session, session.begin():
            # Insert-or-ignore, then update: two first sets at once both succeed on one row.
            inserted = await session.scalar(
                insert_ignore(
                    session, _state, {"practice_id": practice_id, "headset": name, **values}
                ).returning(_state.c.headset)
            )
            if inserted is None:
                await session.execute(update(_state).where(*key).values(values))
            return (await session.scalars(select(HeadsetStateRow).where(*key))).one()

    row = await with_retry(transaction, what="set_headset_state")
    log.info("headset_state_stored", practice_id=practice_id, headset=name, state=state.value, by=by)
    return row


async def headset_states(sessions: Sessions, practice_id: int) -> list[HeadsetStateRow]:
    """Return the practice's stored headset states by headset name."""
    async with sessions() as session:
        return list(
            await session.scalars(
                select(HeadsetStateRow)
                .where(HeadsetStateRow.practice_id == practice_id)
                .order_by(HeadsetStateRow.headset)
            )
        )
