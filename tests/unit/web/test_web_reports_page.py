"""The report page and its data behind the login: the period's figures, the CSV download, bad periods."""

from __future__ import annotations

import csv
import datetime as dt
import io

from reports.export import report_dict
from reports.report import build_report
from storage.call_events import record_call_events
from tests.unit.reports.calls import at, booked, events, queued, spoed
from tests.unit.web.conftest import Web

MONDAY = dt.date(2026, 11, 16)  # in the default period: the 14 days up to yesterday (the clock: 23 Nov)


def history() -> list:
    slot = at(MONDAY, "10:15")
    return events(
        spoed(at(MONDAY, "08:01"), 12),
        spoed(at(MONDAY, "08:20"), 41),
        queued(at(MONDAY, "08:02"), 95, "answered"),
        queued(at(MONDAY, "08:04"), 130, "abandoned"),
        booked(7, slot, late_minutes=20),
    )


async def stored(web: Web) -> list:
    written = history()
    await record_call_events(web.ctx.db.sessions, await web.ctx.practice.id(), written)
    return written


async def test_the_report_needs_a_login(web: Web) -> None:
    """Without a session the page sends the browser to the login and the data answers 401."""
    page = await web.client.get("/rapport", allow_redirects=False)
    assert page.status in (302, 303) and page.headers["Location"].startswith("/login")
    assert (await web.client.get("/api/rapport")).status == 401


async def test_the_data_is_the_reports_own_for_the_default_period(web: Web) -> None:
    """The JSON equals reports.build_report over the same events; spoed 1 of 2 within 30 s, one lost call."""
    written = await stored(web)
    await web.login("anna")
    response = await web.client.get("/api/rapport")
    assert response.status == 200
    body = await response.json()
    first, last = MONDAY - dt.timedelta(days=7), MONDAY + dt.timedelta(days=6)
    assert (body["first_day"], body["last_day"]) == (first.isoformat(), last.isoformat())
    expected = report_dict(build_report(written, web.ctx.capacity.current, first, last))
    assert body == expected
    assert body["total"]["spoed"]["within_norm"] == {"count": 1, "of": 2, "percent": 50.0}
    assert body["total"]["regular"]["abandoned"]["count"] == 1


async def test_the_csv_is_a_download_for_the_spreadsheet(web: Web) -> None:
    """format=csv: an attachment named after the period, ;-separated with a decimal comma."""
    await stored(web)
    await web.login("anna")
    response = await web.client.get("/api/rapport?van=2026-11-16&tot=2026-11-16&format=csv")
    assert response.status == 200 and response.content_type == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="rapport-2026-11-16-2026-11-16.csv"'
    )
    rows = list(csv.DictReader(io.StringIO((await response.text()).lstrip("\ufeff")), delimiter=";"))
    assert (rows[0]["soort"], rows[0]["gesprekken"], rows[0]["spoed binnen 30 s %"]) == (
        "totaal",
        "5",
        "50,0",
    )


async def test_a_bad_period_is_refused_with_the_field_named(web: Web) -> None:
    """Not a date, an end before the start, more than a year, an unknown format: 400 naming the field."""
    await web.login("anna")
    for query, field in (
        ("van=gisteren", "van"),
        ("van=2026-11-10&tot=2026-11-01", "tot"),
        ("van=2025-01-01&tot=2026-11-01", "tot"),
        ("format=xlsx", "format"),
    ):
        response = await web.client.get(f"/api/rapport?{query}")
        assert response.status == 400, query
        assert (await response.json())["field"] == field
    page = await web.client.get("/rapport?van=gisteren")
    assert page.status == 400


async def test_the_page_shows_the_figures_the_charts_and_the_evaluation(web: Web) -> None:
    """In the screen's layout: the period form, the figure cells, three charts and the seed's questions."""
    await stored(web)
    await web.login("anna")
    page = await (await web.client.get("/rapport?van=2026-11-16&tot=2026-11-16")).text()
    assert 'name="van" value="2026-11-16"' in page and 'href="/rapport.css"' in page
    assert 'data-figure="spoed binnen 30 s %">50,0<' in page
    assert page.count('data-chart="') == 3
    assert "Krijgen de assistentes de lijst weggewerkt?" in page
    css = await web.client.get("/rapport.css")
    assert css.status == 200 and css.content_type == "text/css"
