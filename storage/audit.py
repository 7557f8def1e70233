"""The audit trail: who saw a full number or changed what, and when, without the numbers themselves.

The trail is read by admins and kept as long as the patient data it is about (storage.retention), so it
must not become a second copy of that data: every phone-number-like part of the target and the detail is
masked (common.privacy.mask_text) before it is stored, however deeply it is nested.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.privacy import MIN_DIGITS, mask_text
from storage.models_web import USERNAME_LENGTH, AuditEntry
from storage.retry import with_retry
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# The most entries one page may ask for: the admin page shows a few hundred at most.
MAX_PAGE = 1000
_audit: Table = AuditEntry.__table__  # type: ignore[assignment]
# The column widths, so a value too long is refused here on both databases (SQLite would store it).
_ACTION_LENGTH: int = _audit.c.action.type.length
_TARGET_TYPE_LENGTH: int = _audit.c.target_type.type.length
_TARGET_ID_LENGTH: int = _audit.c.target_id.type.length


def mask_detail(value: Any) -> Any:
    """Return a JSON value with every phone-number-like part masked: in strings, keys, and long numbers."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(str(key)): mask_detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_detail(item) for item in value]
    # A number written as an integer (the leading 0 lost) is still a number: masked, and so a string.
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= MIN_DIGITS:
        return mask_text(str(value))
    return value


def _target_id(target_id: int | str | None) -> str | None:
    return None if target_id is None else mask_text(str(target_id))


async def record_audit(
    sessions: Sessions,
    *,
    username: str | None,
    action: str,
    at: datetime,
    target_type: str | None = None,
    target_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Store what ``username`` did (``action``, e.g. "nummer_bekeken") to which target, and return it.

    ``detail`` must be JSON-serialisable; numbers in it and in ``target_id`` are stored masked.
    """
    action = action.strip()
    if not action or len(action) > _ACTION_LENGTH:
        raise ValueError(f"action must be 1 to {_ACTION_LENGTH} characters, got {action!r}")
    require_aware(at=at)
    stored_target_id = _target_id(target_id)
    for field, value, most in (
        ("username", username, USERNAME_LENGTH),
        ("target_type", target_type, _TARGET_TYPE_LENGTH),
        ("target_id", stored_target_id, _TARGET_ID_LENGTH),
    ):
        if value is not None and len(value) > most:
            raise ValueError(f"{field} must be at most {most} characters")
    entry = AuditEntry(
        at=at,
        username=username,
        action=action,
        target_type=target_type,
        target_id=stored_target_id,
        detail=mask_detail(detail or {}),
    )

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            session.add(entry)

    await with_retry(transaction, what="record_audit")
    log.info("audit_recorded", audit_id=entry.id, username=username, action=action, target_type=target_type)
    return entry


async def audit_entries(
    sessions: Sessions,
    *,
    limit: int = 100,
    offset: int = 0,
    username: str | None = None,
    target_type: str | None = None,
    target_id: int | str | None = None,
) -> list[AuditEntry]:
    """Return entries newest first, one page of ``limit`` after ``offset``, narrowed by the given filters.

    ``target_id`` is matched in its stored (masked) form, so it may be given as stored or unmasked.
    """
    if not 0 < limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")
    query = select(AuditEntry)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == _target_id(target_id))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    async with sessions() as session:
        return list(await session.scalars(query))
