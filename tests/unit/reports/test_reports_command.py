"""`terugbel report` on a real SQLite database: every format, the practice chosen, and bad arguments."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from ivr.cli import main as terugbel
from storage.call_events import record_call_events
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.practices import ensure_practice
from tests.unit.reports.calls import MONDAY, at, attempt, events, offered, queued, spoed

ROOT = Path(__file__).resolve().parents[3]
CAPACITY = ROOT / "capacity" / "examples" / "demo-capacity.yaml"
SUNDAY = MONDAY + dt.timedelta(days=6)


@pytest.fixture(autouse=True)
def structlog_restored() -> Iterator[None]:
    """The command configures logging for its process (to the captured stderr): other tests get the
    defaults back, or their log lines would go to a closed stream."""
    yield
    structlog.reset_defaults()


def _history() -> list:
    slot = at(MONDAY, "10:15")
    booked = offered(at(MONDAY, "08:30"), slot, "booked", request_id=1)
    attempt(booked, 1, slot + dt.timedelta(minutes=20), "reached", slot=slot, closes="done")
    return events(
        spoed(at(MONDAY, "08:01"), 12),
        spoed(at(MONDAY, "08:20"), 41),
        queued(at(MONDAY, "08:02"), 95, "answered"),
        queued(at(MONDAY, "08:04"), 130, "abandoned"),
        booked,
    )


def _database(tmp_path: Path, *slugs: str) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'report.sqlite3'}"

    async def fill() -> None:
        await upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        for slug in slugs:
            practice = await ensure_practice(sessions, slug=slug, name=slug, number="0201234567")
            if slug == slugs[0]:
                await record_call_events(sessions, practice.id, _history())
        await engine.dispose()

    asyncio.run(fill())
    return url


def _report(url: str, *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TERUGBEL_DATABASE_URL", url)
    monkeypatch.setenv("TERUGBEL_CAPACITY", str(CAPACITY))
    status = terugbel(["report", "--from", MONDAY.isoformat(), "--to", SUNDAY.isoformat(), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_json_format_gives_the_periods_figures(tmp_path: Path, monkeypatch, capsys) -> None:
    """Two spoed calls (12 s, 41 s), two queue calls, one callback 20 min late: the JSON says so."""
    url = _database(tmp_path, "linde")
    status, out, _ = _report(url, "--format", "json", monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0
    report = json.loads(out)
    total = report["total"]
    assert total["calls"] == 5
    assert total["spoed"]["within_norm"] == {"count": 1, "of": 2, "percent": 50.0}
    assert total["regular"]["within_norm"]["count"] == 1 and total["regular"]["abandoned"]["count"] == 1
    assert (total["punctuality"]["late"], total["punctuality"]["on_time"]["count"]) == (1, 0)
    assert [row["label"] for row in report["weeks"]] == ["2026-W45"]
    assert {n["name"]: n["light"] for n in report["norms"]}["Spoed binnen 30 seconden"] == "rood"


def test_the_csv_opens_in_a_dutch_spreadsheet(tmp_path: Path, monkeypatch, capsys) -> None:
    """Semicolons, a decimal comma and a BOM; one row for the total, then the days, weeks and months."""
    url = _database(tmp_path, "linde")
    status, out, _ = _report(url, "--format", "csv", monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0 and out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff")), delimiter=";"))
    total = rows[0]
    assert (total["soort"], total["gesprekken"], total["spoed binnen 30 s %"]) == ("totaal", "5", "50,0")
    assert [r["soort"] for r in rows].count("week") == 1 and [r["soort"] for r in rows].count("maand") == 1
    assert {r["periode"] for r in rows if r["soort"] == "dag"} >= {"2026-11-02", "2026-11-06"}


def test_the_table_and_html_formats_hold_no_phone_number(tmp_path: Path, monkeypatch, capsys) -> None:
    """The terminal table and the HTML file show the figures; neither has a number from the database."""
    url = _database(tmp_path, "linde")
    status, table, _ = _report(url, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0 and "spoed binnen 30 s %" in table and "50.0" in table
    status, page, _ = _report(url, "--format", "html", monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0 and page.startswith("<!doctype html>") and 'data-chart="bar-line"' in page
    assert "0201234567" not in table + page


def test_several_practices_need_one_named(tmp_path: Path, monkeypatch, capsys) -> None:
    """With two practices the command asks for --practice; named, it reports that practice only."""
    url = _database(tmp_path, "linde", "eik")
    status, _, err = _report(url, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1 and "--practice" in err and "eik" in err and "linde" in err
    status, out, _ = _report(
        url, "--practice", "eik", "--format", "json", monkeypatch=monkeypatch, capsys=capsys
    )
    assert status == 0 and json.loads(out)["total"]["calls"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--from", "gisteren"], "not a date"), (["--to", "2026-11-01"], "before --from")],
)
def test_bad_dates_are_refused_with_the_argument_named(
    tmp_path: Path, monkeypatch, capsys, args, message
) -> None:
    """A date that is not a date, or a period that ends before it starts: exit 2 and the reason."""
    url = _database(tmp_path, "linde")
    status, out, err = _report(url, *args, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 2 and message in err and out == ""
