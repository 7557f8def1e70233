"""Live queue, kept places and the callback attempts protocol.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types, as in 0001: a revision must keep meaning the same DDL.
_TS = sa.DateTime(timezone=True)
_IN_PROGRESS = "status = 'in_progress'"
_SLOT_ORDER = (
    "kind = 'kept_place' OR (slot_start IS NOT NULL AND slot_end IS NOT NULL AND slot_end > slot_start)"
)


def _sqlite_foreign_keys(enabled: bool) -> None:
    # Batch mode rebuilds callback_request on SQLite by copying and dropping it. With foreign keys on,
    # dropping it would run ON DELETE CASCADE and silently empty callback_attempt. Switching them back
    # on is best effort (a no-op once a transaction is open); the migration's connection is closed
    # afterwards and every new connection switches them on again (storage.db).
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    # The pragma is a no-op inside a transaction (e.g. 0001 and 0002 in one run, after the version
    # row was written). That is harmless only while there are no attempts to lose.
    if not enabled and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        if bind.exec_driver_sql("SELECT count(*) FROM callback_attempt").scalar():
            raise RuntimeError("cannot switch off SQLite foreign keys inside a transaction; migrate alone")


def upgrade() -> None:
    """Add kinds, due times and notes to requests, channel details to attempts, and the queue table."""
    _sqlite_foreign_keys(False)
    with op.batch_alter_table("callback_request") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="slot", nullable=False))
        batch.add_column(sa.Column("due_at", _TS, nullable=True))
        batch.add_column(sa.Column("queued_at", _TS, nullable=True))
        batch.add_column(sa.Column("outcome_note", sa.Text(), nullable=True))
    # Every existing request is a slot booking, due when its slot starts.
    op.execute("UPDATE callback_request SET due_at = slot_start")
    with op.batch_alter_table("callback_request") as batch:
        batch.alter_column("due_at", existing_type=_TS, nullable=False)
        batch.alter_column("slot_start", existing_type=_TS, nullable=True)
        batch.alter_column("slot_end", existing_type=_TS, nullable=True)
        batch.drop_constraint(op.f("ck_callback_request_slot_order"), type_="check")
        batch.create_check_constraint(op.f("ck_callback_request_slot_order"), _SLOT_ORDER)
        batch.create_check_constraint(op.f("ck_callback_request_kind"), "kind IN ('slot', 'kept_place')")
    _sqlite_foreign_keys(True)
    op.create_index(
        op.f("ix_callback_request_practice_id_status_due_at"),
        "callback_request",
        ["practice_id", "status", "due_at"],
    )
    op.create_index(
        op.f("uq_callback_request_phone_in_progress"),
        "callback_request",
        ["practice_id", "phone"],
        unique=True,
        sqlite_where=sa.text(_IN_PROGRESS),
        postgresql_where=sa.text(_IN_PROGRESS),
    )

    # Only ADD COLUMNs: SQLite does them in place, without a table rebuild.
    with op.batch_alter_table("callback_attempt") as batch:
        batch.add_column(sa.Column("attempt_no", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("headset_channel", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("patient_channel", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("patient_answered_at", _TS, nullable=True))
    # Older attempts were all tries at the patient: number them in order.
    op.execute(
        "UPDATE callback_attempt SET attempt_no = (SELECT count(*) FROM callback_attempt AS earlier"
        " WHERE earlier.request_id = callback_attempt.request_id AND earlier.id <= callback_attempt.id)"
    )

    op.create_table(
        "queue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("channel_id", sa.String(length=128), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("arrived_at", _TS, nullable=False),
        sa.Column("status", sa.String(length=16), server_default="waiting", nullable=False),
        sa.Column("announced_wait_seconds", sa.Integer(), nullable=True),
        sa.Column("callback_request_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'connecting', 'served', 'kept', 'abandoned')",
            name=op.f("ck_queue_entry_status"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_queue_entry_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["callback_request_id"],
            ["callback_request.id"],
            name=op.f("fk_queue_entry_callback_request_id_callback_request"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entry")),
        sa.UniqueConstraint("call_id", name=op.f("uq_queue_entry_call_id")),
    )
    op.create_index(
        op.f("ix_queue_entry_practice_id_status_rank_arrived_at"),
        "queue_entry",
        ["practice_id", "status", "rank", "arrived_at"],
    )


def downgrade() -> None:
    """Drop the queue and the new columns; kept places have no slot, so they cannot survive this."""
    # First, before any statement opens a transaction in which the pragma would do nothing.
    _sqlite_foreign_keys(False)
    op.drop_table("queue_entry")
    with op.batch_alter_table("callback_attempt") as batch:
        batch.drop_column("patient_answered_at")
        batch.drop_column("patient_channel")
        batch.drop_column("headset_channel")
        batch.drop_column("attempt_no")
    op.drop_index(op.f("uq_callback_request_phone_in_progress"), table_name="callback_request")
    op.drop_index(op.f("ix_callback_request_practice_id_status_due_at"), table_name="callback_request")
    op.execute(
        "DELETE FROM callback_attempt WHERE request_id IN"
        " (SELECT id FROM callback_request WHERE kind = 'kept_place')"
    )
    op.execute("DELETE FROM callback_request WHERE kind = 'kept_place'")
    with op.batch_alter_table("callback_request") as batch:
        batch.drop_constraint(op.f("ck_callback_request_kind"), type_="check")
        batch.drop_constraint(op.f("ck_callback_request_slot_order"), type_="check")
        batch.create_check_constraint(op.f("ck_callback_request_slot_order"), "slot_end > slot_start")
        batch.alter_column("slot_start", existing_type=_TS, nullable=False)
        batch.alter_column("slot_end", existing_type=_TS, nullable=False)
        batch.drop_column("outcome_note")
        batch.drop_column("queued_at")
        batch.drop_column("due_at")
        batch.drop_column("kind")
    _sqlite_foreign_keys(True)
