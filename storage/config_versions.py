"""Every saved version of the menu and capacity YAML, with who saved it, when, and which one runs.

Versions are only added, never changed (except for when one was last applied), so an admin can always see
what ran when and go back: going back stores the old text again as a new version. Saving the text that is
already the newest version of its kind stores nothing. The version's id is its number on the admin pages.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import structlog
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models_web import ConfigVersion
from storage.retry import with_retry
from storage.status import ConfigKind, parse
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_version: Table = ConfigVersion.__table__  # type: ignore[assignment]

# The most versions one page may ask for.
MAX_PAGE = 1000


class UnknownConfigVersion(LookupError):
    """No stored version has this id."""


def content_sha256(content: str) -> str:
    """Return the hex SHA-256 of the text's UTF-8 bytes, as stored with each version."""
    return hashlib.sha256(content.encode()).hexdigest()


async def add_config_version(
    sessions: Sessions,
    *,
    kind: ConfigKind | str,
    content: str,
    created_by: str | None,
    now: datetime,
    note: str | None = None,
) -> tuple[ConfigVersion, bool]:
    """Store ``content`` as the newest version of ``kind``; return it and whether it was stored now.

    If the newest version of ``kind`` has the same text, that version comes back with False.
    """
    kind = parse(ConfigKind, kind, "kind")
    require_aware(now=now)
    sha256 = content_sha256(content)

    async def transaction() -> tuple[ConfigVersion, bool]:
        async with sessions() as session, session.begin():
            newest = (
                await session.scalars(
                    select(ConfigVersion)
                    .where(ConfigVersion.kind == kind.value)
                    .order_by(ConfigVersion.id.desc())
                    .limit(1)
                )
            ).first()
            if newest is not None and newest.sha256 == sha256 and newest.content == content:
                return newest, False
            version = ConfigVersion(
                kind=kind.value,
                content=content,
                sha256=sha256,
                created_at=now,
                created_by=created_by,
                note=note,
                applied_at=None,
            )
            session.add(version)
            await session.flush()
            return version, True

    version, created = await with_retry(transaction, what="add_config_version")
    if created:
        log.info("config_version_added", version_id=version.id, kind=kind.value, created_by=created_by)
    return version, created


async def config_version(sessions: Sessions, version_id: int) -> ConfigVersion | None:
    """Return the version with this id, or None."""
    async with sessions() as session:
        return await session.get(ConfigVersion, version_id)


async def config_versions(
    sessions: Sessions, kind: ConfigKind | str, *, limit: int = 50, offset: int = 0
) -> list[ConfigVersion]:
    """Return one page of the versions of ``kind``, newest first."""
    kind = parse(ConfigKind, kind, "kind")
    if not 0 < limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")
    async with sessions() as session:
        return list(
            await session.scalars(
                select(ConfigVersion)
                .where(ConfigVersion.kind == kind.value)
                .order_by(ConfigVersion.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )


async def mark_config_applied(sessions: Sessions, version_id: int, *, now: datetime) -> ConfigVersion:
    """Record that version ``version_id`` became the running one at ``now``; UnknownConfigVersion if none."""
    require_aware(now=now)

    async def transaction() -> ConfigVersion | None:
        async with sessions() as session, session.begin():
            changed = await session.scalar(
                update(_version)
                .where(_version.c.id == version_id)
                .values(applied_at=now)
                .returning(_version.c.id)
            )
            return None if changed is None else await session.get(ConfigVersion, version_id)

    version = await with_retry(transaction, what="mark_config_applied")
    if version is None:
        raise UnknownConfigVersion(f"no config version with id {version_id}")
    log.info("config_version_applied", version_id=version_id, kind=version.kind)
    return version


async def latest_applied_config(sessions: Sessions, kind: ConfigKind | str) -> ConfigVersion | None:
    """Return the version of ``kind`` applied last (the running one, as far as stored), or None."""
    kind = parse(ConfigKind, kind, "kind")
    async with sessions() as session:
        return (
            await session.scalars(
                select(ConfigVersion)
                .where(ConfigVersion.kind == kind.value, ConfigVersion.applied_at.is_not(None))
                .order_by(ConfigVersion.applied_at.desc(), ConfigVersion.id.desc())
                .limit(1)
            )
        ).first()
