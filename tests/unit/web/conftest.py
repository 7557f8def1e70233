"""A real web application on a real (SQLite) database, with the demo menu and capacity, and logins.

The call core is not running here: the live state is an unattached LiveStatus (standby) unless a test
attaches its own. Time is a settable clock, so session expiry and lateness are tested without waiting.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from capacity.loader import CapacityHolder
from dialplan.holder import MenuHolder
from ivr.callback.store import CallbackStore
from ivr.db.door import Database
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from ivr.intake.service import IntakeService
from ivr.live.notifier import Notifier
from ivr.live.status import LiveStatus
from ivr.queue.headset_store import headset_saver
from ivr.queue.headsets import HeadsetStates
from ivr.web.application import make_app
from ivr.web.context import WebContext, WebSettings
from ivr.web.passwords import hash_password
from prompts.catalog import PromptCatalog
from storage.accounts import create_user
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[3]
DEMO_MENU = ROOT / "dialplan" / "examples" / "demo-practice.yaml"
DEMO_CAPACITY = ROOT / "capacity" / "examples" / "demo-capacity.yaml"
PASSWORD = "correct horse battery"
# A Monday morning in the demo's callback block (Amsterdam winter time).
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The time the web layer sees; tests move it forward."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Web:
    ctx: WebContext
    clock: Clock
    client: TestClient
    menu_path: Path
    capacity_path: Path
    login: Callable[..., Awaitable[str]]  # login(username, role="assistent") -> csrf token
    new_client: Callable[[], Awaitable[TestClient]]


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
LOGIN_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form like a browser; return the session's CSRF token (from the screen page)."""
    page = await client.get("/login")
    token = LOGIN_TOKEN.search(await page.text())
    assert token is not None
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token.group(1)},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    screen = await client.get("/")
    found = CSRF_META.search(await screen.text())
    assert found is not None
    return found.group(1)


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"
    await upgrade(url)
    engine = make_engine(url)
    db = Database(session_factory(engine))
    db.open()
    menu_path = tmp_path / "menu.yaml"
    capacity_path = tmp_path / "capacity.yaml"
    shutil.copy(DEMO_MENU, menu_path)
    shutil.copy(DEMO_CAPACITY, capacity_path)
    catalog = PromptCatalog(texts_path=None, recordings_dir=None)
    menus = MenuHolder(menu_path, catalog.names())
    practice = menus.current.practice
    registry = PracticeRegistry(db, PracticeIdentity(practice.id, practice.name, practice.number))
    notifier = Notifier()
    clock = Clock(START)
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    capacity = CapacityHolder(capacity_path)
    # The intake API books through the same door as a caller's booking (no messages composed here).
    callbacks = CallbackStore(db, registry, lambda: capacity.current, notify=notifier.publish)
    ctx = WebContext(
        db=db,
        practice=registry,
        live=LiveStatus(),
        notifier=notifier,
        headsets=HeadsetStates(save=headset_saver(db, registry, clock), notify=notifier.publish),
        menus=menus,
        capacity=capacity,
        clock=clock,
        settings=WebSettings(),
        recordings_dir=recordings,
        practice_recordings=tmp_path / "practice-recordings",
        prompt_names=catalog.names,
        intake=IntakeService(callbacks, db, registry, clock),
    )
    clients: list[TestClient] = []

    async def new_client() -> TestClient:
        client = TestClient(TestServer(make_app(ctx)))
        await client.start_server()
        clients.append(client)
        return client

    client = await new_client()

    async def login(username: str, role: str = "assistent", *, on: TestClient | None = None) -> str:
        await create_user(
            db.sessions,
            username=username,
            password_hash=hash_password(PASSWORD),
            role=role,
            created_by="test",
            now=clock(),
        )
        return await log_in(on or client, username)

    try:
        yield Web(ctx, clock, client, menu_path, capacity_path, login, new_client)
    finally:
        for each in clients:
            await each.close()
        await engine.dispose()
