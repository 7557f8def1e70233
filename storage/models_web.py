"""Models of the screen and the admin pages: users, logins, the audit trail, config versions, headsets.

On the same ``Base`` (and so the same metadata and migrations) as storage.models. Any change here needs a
new Alembic revision in ``storage/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _in
from storage.status import ConfigKind, HeadsetState, UserRole
from storage.types import JSONDict, UTCDateTime

__all__ = ["AuditEntry", "ConfigVersion", "HeadsetStateRow", "LoginAttempt", "User", "WebSession"]

# Longest user name; login attempts store what was typed cut to this length.
USERNAME_LENGTH = 64
# Longest client address stored (an IPv6 address with zone fits).
ADDRESS_LENGTH = 64
# The SHA-256 hex digest of a session token: the only form in which a token is stored.
TOKEN_HASH_LENGTH = 64


class User(Base):
    """Someone who logs in to the screen: an assistant or an admin."""

    __tablename__ = "web_user"
    __table_args__ = (
        CheckConstraint(_in("role", UserRole), name="role"),
        # Names are compared case-insensitively by storing them lower-cased; the unique index does the rest.
        CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    # An argon2id hash in PHC form; never a password (storage.accounts refuses anything else).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The admin's user name, or e.g. "cli" for the first admin; None when unknown.
    created_by: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))


class WebSession(Base):
    """One login, keyed by the SHA-256 of the browser's token so a database dump opens no session."""

    __tablename__ = "web_session"
    __table_args__ = (
        Index(None, "user_id"),
        Index(None, "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The idle expiry, never past created_at plus the absolute maximum in force when it was last used.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """One try to log in, successful or not, for slowing down password guessing per name and per address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index(None, "username", "at"),
        Index(None, "address", "at"),
        Index(None, "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What was typed, lower-cased and cut short: it need not be a user that exists.
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who saw a full number or changed something, and when; numbers in it are masked."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "username", "at"),
        Index(None, "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A name, not a foreign key: the trail outlives the user.
    username: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)


class ConfigVersion(Base):
    """One saved text of the menu or capacity YAML; applied_at says when it last became the running one."""

    __tablename__ = "config_version"
    __table_args__ = (
        CheckConstraint(_in("kind", ConfigKind), name="kind"),
        Index(None, "kind", "id"),
        Index(None, "kind", "applied_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # Hex SHA-256 of the UTF-8 content: shows at a glance whether two versions differ.
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HeadsetStateRow(Base):
    """A headset's own state as its assistant last set it; a headset without a row is on duty."""

    __tablename__ = "headset_state"
    __table_args__ = (CheckConstraint(_in("state", HeadsetState), name="state"),)

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    headset: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
