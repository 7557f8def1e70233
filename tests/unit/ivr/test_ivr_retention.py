"""Retention on a real SQLite database: finished requests past the limit go with their recordings."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, update
from structlog.testing import capture_logs

from ivr import log_events as ev
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from ivr.retention import EVERY, purge_forever, purge_once
from storage.accounts import create_user
from storage.bookings import book_callback
from storage.db import make_engine, session_factory
from storage.logins import create_session, hash_token, login_failures, record_login_attempt
from storage.migrate import upgrade
from storage.models import CallbackRequest
from storage.models_web import WebSession
from storage.retention import purge_older_than
from tests.fakes.db import RealWorkDatabase
from tests.fakes.loop import current

DAYS = 90
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OLD = NOW - dt.timedelta(days=DAYS + 10)
RECENT = NOW - dt.timedelta(days=DAYS - 10)


@dataclass
class Store:
    db: RealWorkDatabase
    recordings: Path

    async def request(self, phone: str, status: str, *, ended: dt.datetime | None, slot: dt.datetime) -> str:
        """A request in `status`, ended at `ended`, with a voice note on disk; returns the note's ref."""
        practice_id = await PracticeRegistry(
            self.db, PracticeIdentity(key="de-linde", name="De Linde", number="0201234567")
        ).id()
        ref = f"terugbelverzoek/{phone}"
        request = await self.db.run(
            book_callback,
            practice_id=practice_id,
            slot_start=slot,
            slot_end=slot + dt.timedelta(minutes=15),
            capacity=100,
            phone=phone,
            number_source="caller_id",
            voice_note_ref=ref,
        )
        assert request is not None
        with current().real_work():
            async with self.db.sessions() as session, session.begin():
                await session.execute(
                    update(CallbackRequest)
                    .where(CallbackRequest.id == request.id)
                    .values(status=status, ended_at=ended, updated_at=ended or slot)
                )
        self.file(f"{ref}.wav", modified=ended or slot)
        return ref

    def file(self, name: str, *, modified: dt.datetime) -> Path:
        path = self.recordings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF....WAVE")
        os.utime(path, (modified.timestamp(), modified.timestamp()))
        return path

    async def phones(self) -> set[str]:
        with current().real_work():
            async with self.db.sessions() as session:
                return set(await session.scalars(select(CallbackRequest.phone)))

    async def purge(self) -> int:
        # The file deletions run in a thread: the virtual clock must wait for them, not jump past.
        with current().real_work():
            return await purge_once(self.db, self.recordings, DAYS, lambda: NOW)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terugbel.sqlite3'}"
    with current().real_work():
        await upgrade(url)
    engine = make_engine(url)
    db = RealWorkDatabase(session_factory(engine))
    db.open()
    yield Store(db, tmp_path / "recordings")
    await db.drain()
    with current().real_work():
        await engine.dispose()


async def test_finished_requests_past_the_limit_go_with_their_voice_notes_and_no_other(store: Store) -> None:
    """Finished requests that ended before the limit go with their audio; booked, in-progress and recently
    ended ones stay with theirs, however old their slot."""
    gone = [
        await store.request("0612000201", "done", ended=OLD, slot=OLD),
        await store.request("0612000202", "not_reached", ended=OLD, slot=OLD),
        await store.request("0612000203", "cancelled", ended=OLD, slot=OLD),
    ]
    kept = [
        await store.request("0612000211", "booked", ended=None, slot=OLD),
        await store.request("0612000212", "in_progress", ended=None, slot=OLD),
        await store.request("0612000221", "done", ended=RECENT, slot=OLD),
    ]
    await store.purge()
    assert await store.phones() == {"0612000211", "0612000212", "0612000221"}
    assert [ref for ref in gone if (store.recordings / f"{ref}.wav").exists()] == []
    assert [ref for ref in kept if (store.recordings / f"{ref}.wav").exists()] == kept


async def test_inspreeklijn_messages_past_the_limit_are_deleted_and_nothing_else(store: Store) -> None:
    """Old inspreeklijn audio goes; recent messages and files in other folders stay."""
    old = store.file("inspreeklijn/20260101T080000Z-old.wav", modified=OLD)
    nested = store.file("inspreeklijn/2026/oud.wav", modified=OLD)
    recent = store.file("inspreeklijn/20261101T080000Z-new.wav", modified=RECENT)
    own_prompt = store.file("praktijk/welkom.wav", modified=OLD)
    with capture_logs() as logs:
        await store.purge()
    assert not old.exists() and not nested.exists()
    assert recent.exists() and own_prompt.exists()
    [purge] = [line for line in logs if line["event"] == ev.RETENTION_PURGE and "files" in line]
    assert purge["files"] == 2 and controller_purges(logs) == 1


def controller_purges(logs: list[dict[str, object]]) -> int:
    # storage.retention logs an event of the same name per transaction; the controller's line has `files`.
    return sum(1 for line in logs if line["event"] == ev.RETENTION_PURGE and "files" in line)


async def test_the_purge_runs_every_six_hours_and_survives_an_unavailable_database(store: Store) -> None:
    """A purge that fails is logged and the next one comes six hours later, and so on."""
    store.db.hang(purge_older_than)
    with capture_logs() as logs:
        task = asyncio.create_task(purge_forever(store.db, None, DAYS, lambda: NOW))
        await asyncio.sleep(EVERY.total_seconds() - 1)
        assert [line["event"] for line in logs] == ["retention_purge_failed"]
        store.db.unhang(purge_older_than)
        await asyncio.sleep(10)
        assert controller_purges(logs) == 1
        await asyncio.sleep(EVERY.total_seconds() - 20)
        assert controller_purges(logs) == 1
        await asyncio.sleep(20)
        assert controller_purges(logs) == 2
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_expired_sessions_and_old_login_attempts_go_with_the_purge(store: Store) -> None:
    """A session past its expiry and login attempts older than 30 days are deleted; live ones stay."""
    argon = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    with current().real_work():
        user = await create_user(
            store.db.sessions,
            username="anna",
            password_hash=argon,
            role="assistent",
            created_by=None,
            now=NOW,
        )
        for token, at in (("old", NOW - dt.timedelta(days=1)), ("new", NOW)):
            await create_session(
                store.db.sessions,
                token_hash=hash_token(token),
                user_id=user.id,
                csrf_token="c",
                address="192.0.2.1",
                now=at,
                idle_timeout=dt.timedelta(hours=1),
                absolute_timeout=dt.timedelta(hours=12),
            )
        for days in (31, 29):
            await record_login_attempt(
                store.db.sessions,
                username="anna",
                address="192.0.2.1",
                succeeded=False,
                at=NOW - dt.timedelta(days=days),
            )
    await store.purge()
    with current().real_work():
        async with store.db.sessions() as session:
            assert list(await session.scalars(select(WebSession.id))) == [hash_token("new")]
        failures = await login_failures(
            store.db.sessions, username="anna", address="x", since=NOW - dt.timedelta(days=40)
        )
    assert failures.username == 1
