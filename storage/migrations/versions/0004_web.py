"""The screen and the admin pages: users, logins, login attempts, the audit trail, config versions, headsets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Only new tables: nothing existing changes, so the downgrade just drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types and literal values, as in 0001: a revision must keep meaning the same DDL.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the tables of the screen and the admin pages."""
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("role IN ('assistent', 'admin')", name=op.f("ck_web_user_role")),
        sa.CheckConstraint("username = lower(username)", name=op.f("ck_web_user_username_lower")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("username", name=op.f("uq_web_user_username")),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["web_user.id"], name=op.f("fk_web_session_user_id_web_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_username_at"), "login_attempt", ["username", "at"])
    op.create_index(op.f("ix_login_attempt_address_at"), "login_attempt", ["address", "at"])
    op.create_index(op.f("ix_login_attempt_at"), "login_attempt", ["at"])

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"])
    op.create_index(op.f("ix_audit_entry_username_at"), "audit_entry", ["username", "at"])
    op.create_index(op.f("ix_audit_entry_target_type_target_id"), "audit_entry", ["target_type", "target_id"])

    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("applied_at", _TS, nullable=True),
        sa.CheckConstraint("kind IN ('menu', 'capacity')", name=op.f("ck_config_version_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_version")),
    )
    op.create_index(op.f("ix_config_version_kind_id"), "config_version", ["kind", "id"])
    op.create_index(op.f("ix_config_version_kind_applied_at"), "config_version", ["kind", "applied_at"])

    op.create_table(
        "headset_state",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("headset", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "state IN ('op_dienst', 'pauze', 'alleen_terugbellen', 'afgemeld')",
            name=op.f("ck_headset_state_state"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_headset_state_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("practice_id", "headset", name=op.f("pk_headset_state")),
    )


def downgrade() -> None:
    """Drop the tables the upgrade created (and with them every user, login, audit entry and version)."""
    op.drop_table("headset_state")
    op.drop_table("config_version")
    op.drop_table("audit_entry")
    op.drop_table("login_attempt")
    op.drop_table("web_session")
    op.drop_table("web_user")
