"""Initial schema: practices, callback requests and attempts, call events, slot counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types, deliberately not storage.types: a revision must keep meaning the same DDL
# however the application's Python types change later. UTCDateTime is timestamptz at DDL level.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
        sa.UniqueConstraint("slug", name=op.f("uq_practice_slug")),
    )
    op.create_table(
        "call_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_call_event_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_event")),
    )
    op.create_index(op.f("ix_call_event_call_id_at"), "call_event", ["call_id", "at"])
    op.create_index(op.f("ix_call_event_practice_id_at"), "call_event", ["practice_id", "at"])

    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("number_source", sa.String(length=16), nullable=False),
        sa.Column("slot_start", _TS, nullable=False),
        sa.Column("slot_end", _TS, nullable=False),
        sa.Column("priority", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("source", sa.String(length=16), server_default="phone", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voice_note_ref", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="booked", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.CheckConstraint(
            "number_source IN ('caller_id', 'typed', 'online')",
            name=op.f("ck_callback_request_number_source"),
        ),
        sa.CheckConstraint("source IN ('phone', 'online')", name=op.f("ck_callback_request_source")),
        sa.CheckConstraint(
            "status IN ('booked', 'in_progress', 'done', 'not_reached', 'cancelled')",
            name=op.f("ck_callback_request_status"),
        ),
        sa.CheckConstraint("slot_end > slot_start", name=op.f("ck_callback_request_slot_order")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_callback_request_attempts")),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_callback_request_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
    )
    op.create_index(op.f("ix_callback_request_call_id"), "callback_request", ["call_id"])
    op.create_index(
        op.f("ix_callback_request_practice_id_slot_start"), "callback_request", ["practice_id", "slot_start"]
    )
    op.create_index(op.f("ix_callback_request_slot_start"), "callback_request", ["slot_start"])

    op.create_table(
        "slot_counter",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", _TS, nullable=False),
        sa.Column("booked", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("booked >= 0", name=op.f("ck_slot_counter_booked")),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_slot_counter_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("practice_id", "slot_start", name=op.f("pk_slot_counter")),
    )
    op.create_table(
        "callback_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("headset", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_request.id"],
            name=op.f("fk_callback_attempt_request_id_callback_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempt")),
    )
    op.create_index(op.f("ix_callback_attempt_request_id"), "callback_attempt", ["request_id"])


def downgrade() -> None:
    """Drop everything the upgrade created."""
    op.drop_table("callback_attempt")
    op.drop_table("slot_counter")
    op.drop_table("callback_request")
    op.drop_table("call_event")
    op.drop_table("practice")
