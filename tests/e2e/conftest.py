"""Fixtures for end-to-end tests: the real Asterisk sandbox, the controller process, and SIP phones.

The helpers they use live in tests/e2e/helpers.py; tests import from there, never from this file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.helpers import (
    DEMO_CAPACITY,
    HEADSET_PASSWORDS,
    Ari,
    ControllerProcess,
    always_open,
    demo_menu,
    sandbox,
)
from tests.e2e.sip import Headset, Phones
from tests.e2e.trace_check import incomplete, stored_stories


@pytest.fixture(scope="session")
def asterisk_env() -> dict[str, str]:
    """A running Asterisk sandbox and the settings the controller needs to reach it."""
    sandbox("start")
    env = dict(line.split("=", 1) for line in sandbox("env").splitlines() if "=" in line)
    return env


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
def _no_calls_left(request: pytest.FixtureRequest) -> None:
    """Every test with phones starts with none up: calls an earlier test left (ringing headsets, patients
    on hold) are ended first, and headsets answer only when the test says so."""
    if "phones" not in request.fixturenames and "headsets" not in request.fixturenames:
        return
    phones: Phones = request.getfixturevalue("phones")
    phones.end_calls()
    if "headsets" in request.fixturenames:
        for headset in request.getfixturevalue("headsets").values():
            headset.auto_answer = False


@pytest.fixture
def controller_factory(
    asterisk_env: dict[str, str], ari: Ari, tmp_path: Path, test_recordings: Path
) -> Iterator[Any]:
    """Start controllers with a given menu (dict); all are stopped at the end of the test."""
    started: list[ControllerProcess] = []

    def start(
        menu: dict[str, Any] | None = None,
        *,
        database: bool = True,
        active: bool = True,
        **env_overrides: str,
    ) -> ControllerProcess:
        menu_path = tmp_path / f"menu-{len(started)}.yaml"
        menu_path.write_text(yaml.safe_dump(menu if menu is not None else always_open(demo_menu())))
        env = {
            **os.environ,
            **asterisk_env,
            "TERUGBEL_PRACTICE_RECORDINGS": str(test_recordings),
            # The demo menu offers callbacks; each test has its own database, so no test sees another's.
            "TERUGBEL_CAPACITY": str(DEMO_CAPACITY),
            "TERUGBEL_DATA_DIR": str(tmp_path / "data"),
            # The screen on a free port: several controllers in one test never fight over it.
            "TERUGBEL_WEB_PORT": "0",
            **env_overrides,
        }
        process = ControllerProcess(env, menu_path, tmp_path / f"controller-{len(started)}.log", ari)
        started.append(process)
        process.start(database=database, active=active)
        return process

    yield start
    for process in started:
        process.stop()
    # Every call of the test left a trace the report can count (tests/e2e/trace_check.py).
    database = tmp_path / "data" / "terugbel.sqlite3"
    exempt = any(p.killed or "TERUGBEL_DATABASE_URL" in p.env or not p.database for p in started)
    if started and database.exists() and not exempt:
        problems = incomplete(stored_stories(database))
        assert not problems, "calls with an incomplete trace:\n" + "\n".join(problems)
