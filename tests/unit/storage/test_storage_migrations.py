"""The Alembic migrations create the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Boolean, Integer, String, column, inspect, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_sessionmaker

import storage.models_web  # noqa: F401  (the screen's tables are part of Base.metadata)
from storage.db import make_engine, session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import Base, CallbackAttempt, CallbackRequest
from storage.types import UTCDateTime

PATIENT_TABLES = {
    "practice",
    "callback_request",
    "callback_attempt",
    "call_event",
    "slot_counter",
    "queue_entry",
}
# 0004: the screen and the admin pages.
WEB_TABLES = {"web_user", "web_session", "login_attempt", "audit_entry", "config_version", "headset_state"}
INTAKE_TABLES = {"api_token", "idempotency_record", "outbound_message"}
EXPECTED_TABLES = PATIENT_TABLES | WEB_TABLES | INTAKE_TABLES
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# The 0001 columns only: the models already describe the newer schema.
_PRACTICE_0001 = table("practice", *(column(c, String()) for c in ("slug", "name", "number")))
_REQUEST_0001 = table(
    "callback_request",
    column("id", Integer()),
    column("practice_id", Integer()),
    *(column(c, String()) for c in ("phone", "number_source")),
    *(column(c, UTCDateTime()) for c in ("slot_start", "slot_end", "created_at", "updated_at")),
)
_ATTEMPT_0001 = table(
    "callback_attempt",
    column("request_id", Integer()),
    column("started_at", UTCDateTime()),
    column("outcome", String()),
)


async def _inspect(url: str, what: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(what)
    finally:
        await engine.dispose()


async def test_upgrade_creates_every_table(database_url: str) -> None:
    """An empty database gets all tables plus Alembic's version table."""
    await upgrade(database_url)
    tables = await _inspect(database_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == EXPECTED_TABLES | {"alembic_version"}


async def test_upgrade_creates_the_query_indexes(database_url: str) -> None:
    """The indexes for callbacks of a day and events of a call exist after migrating."""
    await upgrade(database_url)

    def index_names(connection: Connection) -> set[str]:
        inspector = inspect(connection)
        return {ix["name"] for table in EXPECTED_TABLES for ix in inspector.get_indexes(table)}

    names = await _inspect(database_url, index_names)
    assert {
        "ix_callback_request_practice_id_slot_start",
        "ix_call_event_call_id_at",
        "ix_callback_request_practice_id_status_due_at",
        "uq_callback_request_phone_in_progress",
        "ix_queue_entry_practice_id_status_rank_arrived_at",
    } <= names


async def test_downgrade_to_0003_drops_only_the_screens_tables(database_url: str) -> None:
    """0005 and 0004 roll back to the patient tables alone, then apply again to the schema of the models."""
    await upgrade(database_url)
    await _downgrade(database_url, "0003")
    tables = await _inspect(database_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == PATIENT_TABLES | {"alembic_version"}
    await upgrade(database_url)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []


async def test_downgrade_to_0004_drops_only_the_intakes_tables_and_columns(database_url: str) -> None:
    """0005 rolls back to the screen's schema (no tokens, outbox or intake columns) and applies again."""
    await upgrade(database_url)
    await _downgrade(database_url, "0004")

    def shape(connection: Connection) -> tuple[set[str], set[str]]:
        inspector = inspect(connection)
        columns = {c["name"] for c in inspector.get_columns("callback_request")}
        return set(inspector.get_table_names()), columns

    tables, columns = await _inspect(database_url, shape)
    assert tables == PATIENT_TABLES | WEB_TABLES | {"alembic_version"}
    assert not {"patient_name", "urgency", "triage"} & columns
    await upgrade(database_url)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    """Starting the app again on a migrated database does not fail."""
    await upgrade(database_url)
    await upgrade(database_url)
    version = await _inspect(database_url, lambda c: MigrationContext.configure(c).get_current_revision())
    assert version is not None


async def test_models_match_the_migrations(database_url: str) -> None:
    """A model changed without a new revision shows up here as a schema difference."""
    await upgrade(database_url)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []


async def _downgrade(url: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()
    finally:
        await engine.dispose()


async def _fill_0001(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            practice_id = await connection.scalar(
                _PRACTICE_0001.insert()
                .values(slug="de-linde", name="De Linde", number="0201234567")
                .returning(column("id", Integer()))
            )
            for request_id, minutes in ((1, 0), (2, 15)):
                start = SLOT.replace(minute=minutes)
                await connection.execute(
                    _REQUEST_0001.insert().values(
                        id=request_id,
                        practice_id=practice_id,
                        phone="0612345678",
                        number_source="typed",
                        slot_start=start,
                        slot_end=start.replace(minute=minutes + 15),
                        created_at=SLOT,
                        updated_at=SLOT,
                    )
                )
            for outcome in ("no_answer", "reached"):
                await connection.execute(
                    _ATTEMPT_0001.insert().values(request_id=1, started_at=SLOT, outcome=outcome)
                )
    finally:
        await engine.dispose()


async def test_upgrade_from_0001_backfills_and_keeps_every_row(database_url: str) -> None:
    """0001 bookings become slot requests due at their slot; attempts survive and get numbered."""
    await upgrade(database_url, "0001")
    await _fill_0001(database_url)
    await upgrade(database_url)

    engine = make_engine(database_url)
    try:
        sessions: async_sessionmaker[Any] = session_factory(engine)
        async with sessions() as session:
            requests = (await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id))).all()
            attempts = (await session.scalars(select(CallbackAttempt).order_by(CallbackAttempt.id))).all()
    finally:
        await engine.dispose()
    assert [(r.kind, r.due_at, r.queued_at, r.outcome_note) for r in requests] == [
        ("slot", SLOT, None, None),
        ("slot", SLOT.replace(minute=15), None, None),
    ]
    assert [(a.request_id, a.outcome, a.attempt_no) for a in attempts] == [
        (1, "no_answer", 1),
        (1, "reached", 2),
    ]


async def test_downgrade_to_0001_and_back(database_url: str) -> None:
    """The revision can be rolled back and applied again with slot bookings in place."""
    await upgrade(database_url, "0001")
    await _fill_0001(database_url)
    await upgrade(database_url)
    await _downgrade(database_url, "0001")
    tables = await _inspect(database_url, lambda c: set(inspect(c).get_table_names()))
    assert "queue_entry" not in tables
    counts = await _inspect(
        database_url,
        lambda c: [
            c.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
            for t in ("callback_request", "callback_attempt")
        ],
    )
    assert counts == [2, 2]
    await upgrade(database_url)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []


_REQUEST_0002 = table(
    "callback_request",
    column("id", Integer()),
    column("practice_id", Integer()),
    column("priority", Boolean()),
    *(column(c, String()) for c in ("phone", "number_source", "kind", "status")),
    *(column(c, UTCDateTime()) for c in ("slot_start", "slot_end", "due_at", "created_at", "updated_at")),
)
_COUNTER_0002 = table(
    "slot_counter",
    column("practice_id", Integer()),
    column("slot_start", UTCDateTime()),
    column("booked", Integer()),
)
ENDED = datetime(2025, 3, 3, 9, 40, tzinfo=UTC)
# (slot minutes past nine or None for a kept place, priority, status); what 0002 counted per slot.
_ROWS_0002 = [
    (0, False, "booked"),
    (0, False, "in_progress"),
    (0, True, "booked"),
    (0, False, "done"),
    (0, True, "cancelled"),
    (15, True, "not_reached"),
    (15, True, "booked"),
    (None, False, "booked"),
    (None, False, "done"),
]


async def _fill_0002(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            practice_id = await connection.scalar(
                _PRACTICE_0001.insert()
                .values(slug="de-linde", name="De Linde", number="0201234567")
                .returning(column("id", Integer()))
            )
            for request_id, (minutes, priority, status) in enumerate(_ROWS_0002, start=1):
                start = SLOT.replace(minute=minutes) if minutes is not None else None
                await connection.execute(
                    _REQUEST_0002.insert().values(
                        id=request_id,
                        practice_id=practice_id,
                        phone=f"06{request_id:08d}",
                        number_source="typed",
                        kind="slot" if start is not None else "kept_place",
                        status=status,
                        priority=priority,
                        slot_start=start,
                        slot_end=start + timedelta(minutes=15) if start is not None else None,
                        due_at=start or SLOT,
                        created_at=SLOT,
                        updated_at=ENDED,
                    )
                )
            # 0002 counted every booking not cancelled, done or not.
            for minutes, booked in ((0, 4), (15, 2), (30, 0)):
                await connection.execute(
                    _COUNTER_0002.insert().values(
                        practice_id=practice_id, slot_start=SLOT.replace(minute=minutes), booked=booked
                    )
                )
    finally:
        await engine.dispose()


async def _counters(url: str) -> dict[datetime, tuple[int, ...]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("slot_counter")]
            )
            counted = [c for c in ("ordinary", "priority", "booked") if c in columns]
            counter = table("slot_counter", column("slot_start", UTCDateTime()), *map(column, counted))
            rows = (await connection.execute(select(counter))).all()
    finally:
        await engine.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


async def test_upgrade_from_0002_counts_ordinary_and_priority_places_apart(database_url: str) -> None:
    """0003 counts each slot's active ordinary and priority requests apart and dates finished ones."""
    await upgrade(database_url, "0002")
    await _fill_0002(database_url)
    await upgrade(database_url)

    assert await _counters(database_url) == {
        SLOT: (2, 1),
        SLOT.replace(minute=15): (0, 1),
        SLOT.replace(minute=30): (0, 0),
    }
    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            requests = (await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id))).all()
    finally:
        await engine.dispose()
    assert [r.ended_at for r in requests] == [
        ENDED if status in ("done", "not_reached", "cancelled") else None for _, _, status in _ROWS_0002
    ]


async def test_downgrade_to_0002_and_back(database_url: str) -> None:
    """0003 rolls back to one count per slot and applies again with the same counts."""
    await upgrade(database_url, "0002")
    await _fill_0002(database_url)
    await upgrade(database_url)
    await _downgrade(database_url, "0002")
    assert await _counters(database_url) == {
        SLOT: (3,),
        SLOT.replace(minute=15): (1,),
        SLOT.replace(minute=30): (0,),
    }
    await upgrade(database_url)
    assert (await _counters(database_url))[SLOT] == (2, 1)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []
