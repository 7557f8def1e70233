"""Fixtures for end-to-end tests: the real Asterisk sandbox, the controller process, and SIP phones."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pjsua2 as pj
import pytest
import yaml

from tests.e2e.sip import Headset, Phones

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


@pytest.fixture(scope="session")
def asterisk_env() -> dict[str, str]:
    """A running Asterisk sandbox and the settings the controller needs to reach it."""
    sandbox("start")
    env = dict(line.split("=", 1) for line in sandbox("env").splitlines() if "=" in line)
    return env


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


@pytest.fixture(scope="session")
def ari(asterisk_env: dict[str, str]) -> Ari:
    return Ari(asterisk_env)


@pytest.fixture(scope="session")
def test_recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Practice recordings that add short and long prompts, so tests need not sit through the real ones."""
    directory = tmp_path_factory.mktemp("recordings")
    for name, seconds in {"kort_welkom": 1.0, "lang_bericht": 60.0}.items():
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                str(directory / f"{name}.wav"),
                "synth",
                str(seconds),
                "sine",
                "440",
                "vol",
                "0.3",
            ],
            check=True,
        )
    return directory


@pytest.fixture(scope="session")
def phones() -> Iterator[Phones]:
    phones = Phones()
    phones.start()
    yield phones
    phones.stop()


@pytest.fixture(scope="session")
def headsets(phones: Phones, asterisk_env: dict[str, str]) -> dict[str, Headset]:
    """assistent1..3 registered once for the session; each test resets what it needs."""
    return {name: phones.headset(name, pw) for name, pw in HEADSET_PASSWORDS.items()}


@pytest.fixture(autouse=True)
def _fresh_headsets(request: pytest.FixtureRequest) -> None:
    """Every test starts with idle headsets: calls left over from the test before are ended first."""
    if "headsets" not in request.fixturenames:
        return
    phones: Phones = request.getfixturevalue("phones")
    headsets = request.getfixturevalue("headsets")
    for headset in headsets.values():
        headset.auto_answer = False
        for incoming in headset.incoming:
            if incoming.call.state != "disconnected":
                try:
                    incoming.call.hangup(pj.CallOpParam(True))
                except pj.Error:
                    pass
    phones.pump(0.3)  # let INVITEs and CANCELs still in flight from the previous test arrive
    left = [(h.name, i) for h in headsets.values() for i in h.incoming]
    try:
        phones.wait(lambda: all(i.call.state == "disconnected" for _, i in left), 10, "calls left to end")
    except AssertionError:
        stuck = [(name, i.remote_uri, i.call.state) for name, i in left if i.call.state != "disconnected"]
        raise AssertionError(f"calls left from the previous test did not end: {stuck}") from None
    for headset in headsets.values():
        headset.incoming.clear()


def always_open(menu: dict[str, Any]) -> dict[str, Any]:
    menu = copy.deepcopy(menu)
    menu["opening_hours"] = {
        day: ["00:00-23:59"]
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

    def start(self) -> None:
        ready_before = len(self.events("reconciled"))
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ivr.cli", "run", "--menu", str(self.menu_path)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        # Ready once connected and reconciled (an inactive app can linger in Asterisk's list after a stop).
        self.wait_event("reconciled", ready_before + 1, 30)

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


@pytest.fixture
def controller_factory(
    asterisk_env: dict[str, str], ari: Ari, tmp_path: Path, test_recordings: Path
) -> Iterator[Any]:
    """Start controllers with a given menu (dict); all are stopped at the end of the test."""
    started: list[ControllerProcess] = []

    def start(menu: dict[str, Any] | None = None, **env_overrides: str) -> ControllerProcess:
        menu_path = tmp_path / f"menu-{len(started)}.yaml"
        menu_path.write_text(yaml.safe_dump(menu if menu is not None else always_open(demo_menu())))
        env = {
            **os.environ,
            **asterisk_env,
            "TERUGBEL_PRACTICE_RECORDINGS": str(test_recordings),
            # The demo menu offers callbacks; each test has its own database, so no test sees another's.
            "TERUGBEL_CAPACITY": str(DEMO_CAPACITY),
            "TERUGBEL_DATA_DIR": str(tmp_path / "data"),
            **env_overrides,
        }
        process = ControllerProcess(env, menu_path, tmp_path / f"controller-{len(started)}.log", ari)
        started.append(process)
        process.start()
        return process

    yield start
    for process in started:
        process.stop()
