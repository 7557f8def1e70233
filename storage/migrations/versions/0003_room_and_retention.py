"""Ordinary and priority places counted apart per slot; when a request ended, for retention.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``slot_counter.booked`` counted every booking not cancelled, without telling priority from ordinary
ones, so the booking could not apply the planner's room rule (common.room). It becomes two counts of
the slot's *active* (booked or in progress) requests, rebuilt from the requests themselves.
``callback_request.ended_at`` is when a request reached a final status; retention counts from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain column types and literal values, as in 0001: a revision must keep meaning the same DDL.
_TS = sa.DateTime(timezone=True)
_ACTIVE = "('booked', 'in_progress')"
_FINAL = "('done', 'not_reached', 'cancelled')"


def _active_in_slot(priority: bool) -> str:
    # A correlated count of one kind of the slot's active requests. Booleans are spelled as a comparison
    # that both databases accept (SQLite stores 0/1, PostgreSQL has a boolean type).
    kind = "r.priority" if priority else "NOT r.priority"
    return (
        "(SELECT count(*) FROM callback_request AS r"
        " WHERE r.practice_id = slot_counter.practice_id AND r.slot_start = slot_counter.slot_start"
        f" AND r.kind = 'slot' AND r.status IN {_ACTIVE} AND {kind})"
    )


def _sqlite_foreign_keys_off() -> None:
    # Only the downgrade needs this, and only for what runs after it: 0002's downgrade rebuilds
    # callback_request, which with foreign keys on would empty callback_attempt by ON DELETE CASCADE.
    # The pragma is a no-op once a transaction is open, so it must come before this revision's first
    # write; they stay off for the rest of the run (storage.db switches them on for every new connection).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")


def upgrade() -> None:
    """Split the slot counts by kind and rebuild them; date the requests that already ended."""
    with op.batch_alter_table("callback_request") as batch:
        batch.add_column(sa.Column("ended_at", _TS, nullable=True))
    # The last change of a finished request was its ending: nothing updates it afterwards.
    op.execute(f"UPDATE callback_request SET ended_at = updated_at WHERE status IN {_FINAL}")

    with op.batch_alter_table("slot_counter") as batch:
        batch.add_column(sa.Column("ordinary", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    # Every booking made a counter row; a slot with active requests but none (edited by hand) gets one.
    op.execute(
        "INSERT INTO slot_counter (practice_id, slot_start, booked)"
        " SELECT DISTINCT r.practice_id, r.slot_start, 0 FROM callback_request AS r"
        f" WHERE r.kind = 'slot' AND r.status IN {_ACTIVE} AND NOT EXISTS (SELECT 1 FROM slot_counter AS c"
        " WHERE c.practice_id = r.practice_id AND c.slot_start = r.slot_start)"
    )
    op.execute(
        f"UPDATE slot_counter SET ordinary = {_active_in_slot(False)}, priority = {_active_in_slot(True)}"
    )
    with op.batch_alter_table("slot_counter") as batch:
        batch.drop_constraint(op.f("ck_slot_counter_booked"), type_="check")
        batch.drop_column("booked")
        batch.create_check_constraint(op.f("ck_slot_counter_ordinary"), "ordinary >= 0")
        batch.create_check_constraint(op.f("ck_slot_counter_priority"), "priority >= 0")


def downgrade() -> None:
    """Back to one count per slot (of its active requests) and no end times."""
    _sqlite_foreign_keys_off()
    with op.batch_alter_table("slot_counter") as batch:
        batch.add_column(sa.Column("booked", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE slot_counter SET booked = ordinary + priority")
    with op.batch_alter_table("slot_counter") as batch:
        batch.drop_constraint(op.f("ck_slot_counter_ordinary"), type_="check")
        batch.drop_constraint(op.f("ck_slot_counter_priority"), type_="check")
        batch.drop_column("ordinary")
        batch.drop_column("priority")
        batch.create_check_constraint(op.f("ck_slot_counter_booked"), "booked >= 0")
    # Plain DROP COLUMN (SQLite 3.35+) rather than batch mode: no rebuild of callback_request needed.
    op.execute("ALTER TABLE callback_request DROP COLUMN ended_at")
