"""Users of the screen and the admin pages: unique names, argon2 hashes only, and never without an admin.

Names are stored lower-cased, so "Anna" and "anna" are one user and the unique index refuses the second,
also when both are created at the same moment. Storage never sees a password: only an argon2id hash in
PHC form is accepted, so a plain password passed by mistake cannot end up in the database.

Demoting or disabling the last active admin is refused (``LastAdmin``), also when two admins do it to
each other at once: on PostgreSQL every active admin row is locked first (in id order, so two changes
cannot deadlock), on SQLite the change is the transaction's first statement and so holds the one write
lock; the change itself is one conditional UPDATE whose condition is "another active admin remains".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Table, and_, exists, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.models_web import USERNAME_LENGTH, User, WebSession
from storage.retry import with_retry
from storage.sql import insert_ignore
from storage.status import UserRole, parse
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_user: Table = User.__table__  # type: ignore[assignment]
_session: Table = WebSession.__table__  # type: ignore[assignment]

# ASCII letters (lower-cased before the check), digits and . _ - @: safe in URLs, logs and audit lines.
_USERNAME = re.compile(rf"[a-z0-9._@-]{{1,{USERNAME_LENGTH}}}")
# argon2id in PHC string form: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash> (base64 without padding).
_ARGON2ID = re.compile(r"\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")
_HASH_LENGTH = 255


class UsernameTaken(ValueError):
    """Another user already has this name (in any case)."""


class UnknownUser(LookupError):
    """No user has this id."""


class LastAdmin(Exception):
    """The change would leave no active admin, and then nobody could manage users any more."""


def normalize_username(username: str) -> str:
    """Return ``username`` as stored: surrounding spaces dropped, lower-cased (not validated)."""
    return username.strip(" ").lower()


def check_username(username: str) -> str:
    """Return the stored form of ``username``, or raise ValueError naming the field if it is not allowed.

    Allowed: 1 to 64 ASCII letters, digits and ``. _ - @``; surrounding spaces are dropped, case is not
    significant.
    """
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise ValueError(
            f"username {username!r} is not allowed: use 1 to {USERNAME_LENGTH} letters a-z, digits or . _ - @"
        )
    return name


def check_password_hash(password_hash: str) -> str:
    """Return ``password_hash`` if it is an argon2id hash in PHC form, else raise ValueError naming it."""
    if len(password_hash) > _HASH_LENGTH or not _ARGON2ID.fullmatch(password_hash):
        # The value itself is not shown: it may be a password typed in the wrong place.
        raise ValueError("password_hash must be an argon2id hash ($argon2id$v=..$m=..,t=..,p=..$salt$hash)")
    return password_hash


async def create_user(
    sessions: Sessions,
    *,
    username: str,
    password_hash: str,
    role: UserRole | str,
    created_by: str | None,
    now: datetime,
) -> User:
    """Store a new active user and return it; UsernameTaken if the name exists in any case."""
    name = check_username(username)
    check_password_hash(password_hash)
    role = parse(UserRole, role, "role")
    require_aware(now=now)
    values = {
        "username": name,
        "password_hash": password_hash,
        "role": role.value,
        "active": True,
        "created_at": now,
        "created_by": created_by,
    }

    async def transaction() -> User | None:
        async with sessions() as session, session.begin():
            # Insert-or-ignore: of two creates of one name, the second finds the first and gets no id.
            user_id = await session.scalar(insert_ignore(session, _user, values).returning(_user.c.id))
            return None if user_id is None else await session.get(User, user_id)

    user = await with_retry(transaction, what="create_user")
    if user is None:
        raise UsernameTaken(f"username {name!r} is taken")
    log.info("user_created", user_id=user.id, username=name, role=role.value, created_by=created_by)
    return user


async def user_by_username(sessions: Sessions, username: str) -> User | None:
    """Return the user with this name in any case, or None (also for names that could never exist)."""
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        return None
    async with sessions() as session:
        return (await session.scalars(select(User).where(User.username == name))).one_or_none()


async def user_by_id(sessions: Sessions, user_id: int) -> User | None:
    """Return the user with this id, or None."""
    async with sessions() as session:
        return await session.get(User, user_id)


async def list_users(sessions: Sessions) -> list[User]:
    """Return every user, active or not, by name."""
    async with sessions() as session:
        return list(await session.scalars(select(User).order_by(User.username)))


async def count_active_admins(sessions: Sessions) -> int:
    """Return how many users are active admins."""
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(_user).where(_is_active_admin(_user))) or 0
        )


async def set_role(sessions: Sessions, user_id: int, role: UserRole | str) -> User:
    """Give the user ``role``; LastAdmin if that would demote the last active admin, UnknownUser if none."""
    role = parse(UserRole, role, "role")
    keeps_admin = role is UserRole.ADMIN
    user = await _change(sessions, user_id, {"role": role.value}, keeps_admin=keeps_admin, what="set_role")
    log.info("user_role_set", user_id=user_id, role=role.value)
    return user


async def set_active(sessions: Sessions, user_id: int, active: bool) -> User:
    """Enable or disable the user; disabling ends all their logins for good.

    LastAdmin if that would disable the last active admin, UnknownUser if there is no such user.
    """
    user = await _change(
        sessions, user_id, {"active": active}, keeps_admin=active, what="set_active", end_sessions=not active
    )
    log.info("user_active_set", user_id=user_id, active=active)
    return user


async def set_password_hash(sessions: Sessions, user_id: int, password_hash: str) -> User:
    """Replace the user's password hash; UnknownUser if there is no such user.

    The user's logins stay: ending the other ones is the caller's choice (storage.logins).
    """
    check_password_hash(password_hash)
    user = await _change(
        sessions, user_id, {"password_hash": password_hash}, keeps_admin=True, what="set_password_hash"
    )
    log.info("user_password_set", user_id=user_id)
    return user


def _is_active_admin(table: Any) -> ColumnElement[bool]:
    return and_(table.c.role == UserRole.ADMIN.value, table.c.active.is_(True))


async def _change(
    sessions: Sessions,
    user_id: int,
    values: dict[str, Any],
    *,
    keeps_admin: bool,
    what: str,
    end_sessions: bool = False,
) -> User:
    """Apply ``values`` to one user in one conditional UPDATE; refuse to remove the last active admin."""
    condition: ColumnElement[bool] = _user.c.id == user_id
    if not keeps_admin:
        other = _user.alias("other")
        another_admin = exists().where(other.c.id != user_id, _is_active_admin(other))
        condition = and_(condition, or_(not_(_is_active_admin(_user)), another_admin))

    async def transaction() -> User | None:
        async with sessions() as session, session.begin():
            if not keeps_admin and session.get_bind().dialect.name == "postgresql":
                # Without these locks two admins removing each other would each still see the other.
                # After waiting, PostgreSQL re-checks each row, so an admin just disabled is no longer
                # locked or counted; the UPDATE below then reads the committed state.
                await session.execute(
                    select(_user.c.id).where(_is_active_admin(_user)).order_by(_user.c.id).with_for_update()
                )
            changed = await session.scalar(
                update(_user).where(condition).values(values).returning(_user.c.id)
            )
            if changed is None:
                if await session.get(User, user_id) is None:
                    raise UnknownUser(f"no user with id {user_id}")
                return None
            if end_sessions:
                await session.execute(_session.delete().where(_session.c.user_id == user_id))
            return await session.get(User, user_id)

    user = await with_retry(transaction, what=what)
    if user is None:
        raise LastAdmin(f"user {user_id} is the last active admin")
    return user
