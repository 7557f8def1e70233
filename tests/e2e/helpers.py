"""What the end-to-end tests share: the sandbox, a look at ARI, the controller process, the demo menu.

Tests import from here (the conftest only defines fixtures). The controller's log events are waited on by
their names in ivr.log_events, the same constants the code logs.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from ivr import log_events as ev
from storage.bookings import book_callback
from storage.db import make_engine, session_factory
from storage.practices import ensure_practice

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "scripts" / "asterisk-sandbox"
DEMO_MENU = REPO / "dialplan" / "examples" / "demo-practice.yaml"
DEMO_CAPACITY = REPO / "capacity" / "examples" / "demo-capacity.yaml"
HEADSET_PASSWORDS = {f"assistent{i}": f"demo-assistent{i}" for i in (1, 2, 3)}


def sandbox(command: str) -> str:
    result = subprocess.run([str(SANDBOX), command], capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"asterisk-sandbox {command} failed:\n{result.stderr}")
    return result.stdout


class Ari:
    """Just enough ARI for tests to look at Asterisk's state (independent of the code under test)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env["TERUGBEL_ARI_URL"]
        token = b64encode(f"{env['TERUGBEL_ARI_USER']}:{env['TERUGBEL_ARI_PASSWORD']}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.url + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=3) as response:
            return json.loads(response.read() or b"null")

    def app_registered(self, app: str = "terugbel") -> bool:
        """True while a controller holds the app's websocket."""
        try:
            apps = self.get("/applications")
        except (urllib.error.URLError, OSError):
            return False
        return any(a["name"] == app for a in apps)

    def channels(self) -> list[dict[str, Any]]:
        return self.get("/channels")


def always_open(menu: dict[str, Any]) -> dict[str, Any]:
    menu = copy.deepcopy(menu)
    menu["opening_hours"] = {
        day: ["00:00-24:00"]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    menu["opening_hours"]["public_holidays"] = False
    return menu


def demo_menu() -> dict[str, Any]:
    return yaml.safe_load(DEMO_MENU.read_text())


class ControllerProcess:
    """`terugbel run` as a separate process, exactly as a practice runs it."""

    def __init__(self, env: dict[str, str], menu_path: Path, log_path: Path, ari: Ari) -> None:
        self.env = env
        self.menu_path = menu_path
        self.log_path = log_path
        self.ari = ari
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = False  # kill -9: what the trace held in memory is lost, by design
        self.database = True  # False: started with its database away

    def start(self, *, database: bool = True, active: bool = True) -> None:
        """Start; wait until it reconciled and (unless told the database is down) the schema is ready.

        `active=False` is for a controller expected to stand by: only its start-up is waited for.
        """
        self.database = self.database and database
        ready_before = len(self.events(ev.RECONCILED))
        database_before = len(self.events(ev.DATABASE_READY))
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ivr.cli", "run", "--menu", str(self.menu_path)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        if not active:
            self.wait_event(ev.CONTROLLER_STARTING, 1, 30)
            return
        # Ready once connected and reconciled (an inactive app can linger in Asterisk's list after a stop),
        # and once the migrations ran: they run beside the calls, so a test writing to the database first
        # must wait for them.
        self.wait_event(ev.RECONCILED, ready_before + 1, 30)
        if database:
            self.wait_event(ev.DATABASE_READY, database_before + 1, 30)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.killed = True
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def wait(self, condition: Any, seconds: float, what: str) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if self.proc and self.proc.poll() is not None:
                tail = self.log_text()[-3000:]
                raise AssertionError(f"controller exited ({self.proc.returncode}):\n{tail}")
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {seconds} s waiting for {what}")
            time.sleep(0.05)

    def wait_event(self, name: str, count: int = 1, seconds: float = 10) -> list[dict[str, Any]]:
        """Wait until the controller has logged `count` lines with this event name."""
        what = f"{count}x '{name}' in the controller log"
        self.wait(lambda: len(self.events(name)) >= count, seconds, what)
        return self.events(name)

    def web_url(self) -> str:
        """Where this controller serves the screen (it listens on a free port in the tests)."""
        (listening, *_) = self.wait_event(ev.WEB_LISTENING, 1, 10)
        return str(listening["address"])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The controller's structured log lines (JSON), optionally only those with this event name."""
        out = []
        for line in self.log_text().splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if name is None or item.get("event") == name:
                out.append(item)
        return out


def add_user(data_dir: Path, username: str, role: str, password: str) -> None:
    """`terugbel users add`, as an admin sets up the practice (the database is made if need be)."""
    subprocess.run(
        [sys.executable, "-m", "ivr.cli", "users", "add", username, "--role", role, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, "TERUGBEL_DATA_DIR": str(data_dir)},
        cwd=REPO,
        text=True,
        capture_output=True,
        check=True,
    )


PRACTICE_SLUG = "huisartsenpraktijk-de-linde"  # the demo menu's practice.id


def book_due(tmp_path: Path, phone: str, slot_start: dt.datetime) -> int:
    """A booked callback for `phone` at `slot_start`, stored in the controller's database like an offer."""

    async def book() -> int:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'terugbel.sqlite3'}")
        try:
            sessions = session_factory(engine)
            practice = await ensure_practice(
                sessions, slug=PRACTICE_SLUG, name="Huisartsenpraktijk De Linde", number="0201234567"
            )
            request = await book_callback(
                sessions,
                practice_id=practice.id,
                slot_start=slot_start,
                slot_end=slot_start + dt.timedelta(minutes=15),
                capacity=10,
                phone=phone,
                number_source="caller_id",
            )
            assert request is not None
            return request.id
        finally:
            await engine.dispose()

    # In a thread of its own: once Playwright's sync API is up, this thread has an event loop running.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, book()).result()
