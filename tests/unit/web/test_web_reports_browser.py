"""The report page in a real browser (Debian's chromium through Playwright): the charts render with the
report's own values, the norms light up, and every figure on the page is the CLI's for the same period."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from reports.charts import format_value
from reports.command import run as report_command
from reports.report import build_report
from tests.unit.web.conftest import PASSWORD, Web
from tests.unit.web.test_web_reports_page import MONDAY, stored

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


async def cli_csv(tmp_path: Path, capacity: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """`terugbel report --format csv` for Monday, on the web fixture's database: the "totaal" row."""
    args = ["--from", str(MONDAY), "--to", str(MONDAY), "--format", "csv", "--capacity", str(capacity)]
    # The command runs its own event loop, as from a terminal: in a thread of its own here.
    status = await asyncio.to_thread(
        report_command,
        args,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}",
        capacity=None,
        today=MONDAY,
    )
    out = capsys.readouterr().out
    assert status == 0, out
    # The tests' log lines share stdout with it: the CSV is what follows its byte order mark.
    rows = list(csv.DictReader(io.StringIO(out[out.index("\ufeff") + 1 :]), delimiter=";"))
    return rows[0]


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup does)"
)
async def test_the_report_page_renders_its_charts_and_matches_the_cli(
    web: Web, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Log in through the form, open Monday's report: charts, lights and figures as the report and CLI say."""
    written = await stored(web)
    await web.login("anna")  # creates the user; the browser logs in with its own session below
    report = build_report(written, web.ctx.capacity.current, MONDAY, MONDAY)
    base = str(web.client.make_url("/")).rstrip("/")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{base}/login")
            await page.fill("input[name=username]", "anna")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/")
            await page.goto(f"{base}/rapport?van={MONDAY}&tot={MONDAY}")
            await page.wait_for_selector("svg[data-chart]")

            for chart in await page.query_selector_all("svg[data-chart]"):
                box = await chart.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50
            arrivals = page.locator('svg[data-chart="bar-line"] rect.bar')
            assert await arrivals.count() == len(report.profile.quarters)
            values = [
                await arrivals.nth(i).get_attribute("data-value") for i in range(await arrivals.count())
            ]
            assert values == [format_value(v) for v in report.profile.arrivals]
            punctual = page.locator('svg[data-chart="histogram"][aria-label^="Afwijking"] rect.bar')
            shown = [await punctual.nth(i).get_attribute("data-value") for i in range(await punctual.count())]
            assert shown == [str(count) for _, count in report.total.punctuality.buckets]
            lights = {
                await li.get_attribute("data-norm"): await li.get_attribute("data-light")
                for li in await page.query_selector_all("li[data-norm]")
            }
            assert lights["Spoed binnen 30 seconden"] == "rood"  # 1 of 2
            assert lights["Terugbellen op tijd"] == "rood"  # 20 minutes late

            cells = {
                await cell.get_attribute("data-figure"): (await cell.inner_text()).strip()
                for cell in await page.query_selector_all("td[data-figure]")
            }
        finally:
            await browser.close()
    row = await cli_csv(tmp_path, web.capacity_path, capsys)
    assert cells, "the page shows the figures"
    for name, shown_value in cells.items():
        assert shown_value == (row[name] or "-"), name
    assert cells["gesprekken"] == "5" and cells["spoed binnen 30 s %"] == "50,0"
