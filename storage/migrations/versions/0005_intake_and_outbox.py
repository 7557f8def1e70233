"""The online intake and messages to patients: API tokens, idempotency records, the outbox; and the
intake's fields on a callback request (the patient's name, the triage level, the structured answers).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

New tables and new nullable columns: nothing existing changes meaning, so the downgrade drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types and literal values, as in 0001: a revision must keep meaning the same DDL.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the intake's and the outbox's tables; add the intake's fields to callback_request."""
    # Plain ADD/DROP COLUMN, no batch copy: rebuilding callback_request on SQLite would cascade-delete the
    # attempts (see 0002). Both databases add and drop a nullable column in place.
    op.add_column("callback_request", sa.Column("patient_name", sa.String(length=100), nullable=True))
    op.add_column("callback_request", sa.Column("urgency", sa.String(length=2), nullable=True))
    op.add_column("callback_request", sa.Column("triage", _JSON, nullable=True))

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_api_token_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_practice_id_revoked_at"), "api_token", ["practice_id", "revoked_at"])

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_idempotency_record_token_id_api_token"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_idempotency_record_token_id_key")),
    )
    op.create_index(op.f("ix_idempotency_record_created_at"), "idempotency_record", ["created_at"])

    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_message_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'delivered', 'failed')",
            name=op.f("ck_outbound_message_status"),
        ),
        sa.CheckConstraint("event IN ('booked', 'not_reached')", name=op.f("ck_outbound_message_event")),
        sa.CheckConstraint("channel IN ('sms', 'whatsapp')", name=op.f("ck_outbound_message_channel")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbound_message_attempts")),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_outbound_message_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_request.id"],
            name=op.f("fk_outbound_message_request_id_callback_request"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
        sa.UniqueConstraint("provider_message_id", name=op.f("uq_outbound_message_provider_message_id")),
    )
    op.create_index(
        op.f("ix_outbound_message_status_next_attempt_at"), "outbound_message", ["status", "next_attempt_at"]
    )
    op.create_index(op.f("ix_outbound_message_request_id"), "outbound_message", ["request_id"])


def downgrade() -> None:
    """Drop the tables and columns the upgrade added (and with them every token and queued message)."""
    op.drop_table("outbound_message")
    op.drop_table("idempotency_record")
    op.drop_table("api_token")
    for name in ("triage", "urgency", "patient_name"):
        op.drop_column("callback_request", name)
