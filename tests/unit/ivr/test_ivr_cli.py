"""The `terugbel` command in-process: what an admin reads on stdout, and that logs never mix into it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog

from ivr.cli import main
from storage.bookings import book_callback
from storage.db import default_url, make_engine, session_factory
from storage.migrate import upgrade
from storage.practices import ensure_practice
from tests.fakes.practice import DEMO_MENU

AMS = ZoneInfo("Europe/Amsterdam")
DAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def structlog_restored() -> Iterator[None]:
    """The command configures logging for its process; other tests must get the defaults back."""
    yield
    structlog.reset_defaults()


def broken_menu(tmp_path: Path) -> tuple[Path, int, int]:
    """The demo menu with an unknown prompt and a rank that is no number; returns it and their lines."""
    lines = DEMO_MENU.read_text().splitlines()
    prompt_line = next(i for i, line in enumerate(lines) if line == "  prompt: welkom")
    rank_line = next(i for i, line in enumerate(lines) if "rank: 0," in line)
    lines[prompt_line] = "  prompt: bestaat_niet"
    lines[rank_line] = lines[rank_line].replace("rank: 0,", "rank: nul,")
    path = tmp_path / "mijn-praktijk.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path, prompt_line + 1, rank_line + 1


def test_check_menu_says_ok_for_a_valid_menu(capsys: pytest.CaptureFixture[str]) -> None:
    """The packaged demo menu checks out: OK and exit status 0."""
    assert main(["check-menu", str(DEMO_MENU)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"OK: {DEMO_MENU}"


def test_check_menu_names_every_problem_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each problem is one line `file:line: field: message`; a good file next to it still says OK."""
    bad, prompt_line, rank_line = broken_menu(tmp_path)
    assert main(["check-menu", str(bad), str(DEMO_MENU)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{bad}:{prompt_line}: menu.prompt: ") and "bestaat_niet" in out[0]
    assert out[1].startswith(f"{bad}:{rank_line}: menu.options.2.rank: ")
    assert out[2:] == [f"OK: {DEMO_MENU}"]


def test_check_menu_accepts_a_prompt_the_practice_recorded_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A prompt name that exists only as the practice's own recording is known with --recordings."""
    bad, _, _ = broken_menu(tmp_path)
    fixed = bad.read_text().replace("rank: nul,", "rank: 0,")
    bad.write_text(fixed)
    recordings = tmp_path / "opnames"
    recordings.mkdir()
    (recordings / "bestaat_niet.wav").write_bytes(b"RIFF")
    assert main(["check-menu", str(bad), "--recordings", str(recordings)]) == 0
    assert capsys.readouterr().out.strip() == f"OK: {bad}"


async def _database_with_bookings(url: str) -> None:
    await upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        practice = await ensure_practice(
            sessions, slug="huisartsenpraktijk-de-linde", name="De Linde", number="0201234567"
        )
        for phone, hour in (("0612000301", 10), ("0612000302", 11)):
            slot = dt.datetime.combine(DAY, dt.time(hour), tzinfo=AMS)
            await book_callback(
                sessions,
                practice_id=practice.id,
                slot_start=slot,
                slot_end=slot + dt.timedelta(minutes=15),
                capacity=4,
                phone=phone,
                number_source="caller_id",
            )
    finally:
        await engine.dispose()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TERUGBEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERUGBEL_DATABASE_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("TERUGBEL_DATA_DIR", str(tmp_path))
    asyncio.run(_database_with_bookings(default_url(tmp_path)))
    return tmp_path


def test_callbacks_list_json_prints_only_json_on_stdout(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json` writes one JSON document to stdout, numbers masked; a log line goes to stderr."""
    capsys.readouterr()
    assert main(["callbacks", "list", "--json", "--date", DAY.isoformat()]) == 0
    structlog.get_logger().warning("probe_after_the_command", number="0612000301")
    out, err = capsys.readouterr()
    listing = json.loads(out)  # fails on any stray line
    assert listing["date"] == DAY.isoformat()
    assert [(c["slot_start"], c["status"]) for c in listing["callbacks"]] == [
        ("2026-11-23T10:00:00+01:00", "booked"),
        ("2026-11-23T11:00:00+01:00", "booked"),
    ]
    assert not re.search(r"0612000\d{3}", out), "patient numbers are masked without --full"
    assert "probe_after_the_command" in err and "0612000301" not in err


def test_callbacks_list_full_shows_the_numbers_to_call(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --full the assistant sees the numbers she must dial."""
    capsys.readouterr()
    assert main(["callbacks", "list", "--json", "--full", "--date", DAY.isoformat()]) == 0
    phones = [c["phone"] for c in json.loads(capsys.readouterr().out)["callbacks"]]
    assert phones == ["0612000301", "0612000302"]


def test_callbacks_list_without_a_database_says_so_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No database file yet: exit 1 with a message on stderr and nothing on stdout."""
    monkeypatch.delenv("TERUGBEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("TERUGBEL_DATA_DIR", str(tmp_path / "leeg"))
    assert main(["callbacks", "list", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no database yet" in err
    assert not (tmp_path / "leeg").exists(), "listing creates no database"
