"""The assistants' screen in a real browser (Debian's chromium), beside real SIP calls, headsets and Asterisk.

Every wait goes through `phones.wait`, which keeps the SIP stack running while it looks at the page: a
browser wait that blocked the thread would leave the phones deaf.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pjsua2 as pj
import pytest
import yaml

from ivr import log_events as ev
from tests.e2e.helpers import add_user, always_open, book_due, demo_menu
from tests.e2e.sip import Headset, Incoming, Phones

pytestmark = pytest.mark.e2e

AMS = ZoneInfo("Europe/Amsterdam")
PASSWORD = "een lang wachtwoord"
CONFIRM = "2"


def screen_menu() -> dict[str, Any]:
    """The demo practice: one assistant doing everything, short prompts, the keep-place offer at once."""
    menu = always_open(demo_menu())
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    menu["menu"].update(prompt="kort_welkom", timeout=3, retries=1)
    menu["menu"]["options"]["4"].update(voice_note=False, timeout=4)
    menu["menu"]["options"]["5"].update(
        prompt=None, keep_place_after_seconds=0, announce_every=10, ring_seconds=20
    )
    menu["callbacks"] = {"headset_ring_seconds": 20, "patient_ring_seconds": 10, "max_attempts": 2}
    return menu


def every_quarter() -> dict[str, Any]:
    every_day = [{"start": "00:00", "end": "24:00", "assistants": 1}]
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {
        "timezone": "Europe/Amsterdam",
        "calls_per_assistant_per_hour": 8,
        "slot_minutes": 15,
        "blocks": dict.fromkeys(days, every_day),
        "closed_windows": [],
        "public_holidays": False,
        "min_lead_minutes": 0,
        "horizon_days": 2,
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (nothing is downloaded: the browser is given by its path).

    Module-scoped, not session: Playwright's sync API keeps an event loop running in this thread while it
    is up, and the asyncio tests that run after this module need the thread without one.
    """
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root, where chromium refuses its own sandbox.
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def practice(controller_factory, tmp_path: Path):
    """The controller with its screen, an assistant and an admin account."""
    data = tmp_path / "data"
    add_user(data, "anna", "assistent", PASSWORD)
    add_user(data, "beheer", "admin", PASSWORD)
    capacity = tmp_path / "capacity.yaml"
    capacity.write_text(yaml.safe_dump(every_quarter()))
    return controller_factory(screen_menu(), TERUGBEL_CAPACITY=str(capacity), TERUGBEL_DATA_DIR=str(data))


@pytest.fixture
def page(browser, practice):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=practice.web_url())
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")  # the keyboard alone: no mouse needed
    page.wait_for_url("**/")


def count(page: Any, selector: str) -> int:
    return page.locator(selector).count()


def text(page: Any, selector: str) -> str:
    return page.locator(selector).inner_text() if count(page, selector) else ""


def rung_for(account: Headset, number: str) -> list[Incoming]:
    return [i for i in account.incoming if number in i.remote_uri or number in i.local_uri]


def test_a_booked_call_appears_live_and_afgehandeld_moves_it(
    phones: Phones, practice, page, tmp_path: Path
) -> None:
    """A real call books a callback; the open screen shows the row without reloading; Afgehandeld moves it."""
    soon = dt.datetime.now(AMS) + dt.timedelta(minutes=20)  # the next quarter's slot, with time to spare
    if soon.date() != dt.datetime.now(AMS).date():
        pytest.skip(
            "after 23:40 Amsterdam time the offered slot is tomorrow's, which today's list leaves out"
        )
    log_in(page, "anna")
    phones.wait(lambda: "0 open" in text(page, "#counts"), 10, "the empty list to load")
    number = "0612000070"
    call = phones.call_practice(phones.patient(number))
    call.press("4")
    practice.wait_event(ev.CALLBACK_OFFERED, 1, 40)
    call.press(CONFIRM)
    practice.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    # Within a second of the confirmation (the stream, not a reload or the 30 s refresh).
    phones.wait(lambda: count(page, "#groups tr.row") == 1, 1.5, "the booked row to appear")
    row = page.locator("#groups tr.row").first
    assert "******70" in row.inner_text() and number not in page.content()
    assert "telefoon" in row.inner_text()
    page.screenshot(path=str(tmp_path / "screen-booked.png"))

    row.locator("button.done").click()
    phones.wait(lambda: count(page, "#finished tr.row") == 1, 3, "the row to move to afgehandeld")
    assert count(page, "#groups tr.row") == 0
    page.locator("#finished-box summary").click()
    assert "afgehandeld" in text(page, "#finished")
    call.hang_up()


def test_kept_place_bel_nu_rings_the_headset_first_and_spoed_shows_on_top(
    phones: Phones, headsets, practice, page, tmp_path: Path
) -> None:
    """A kept place waits on the screen; Bel nu rings the headset, then the patient; spoed shows on top."""
    assistant = headsets["assistent1"]
    log_in(page, "anna")
    phones.wait(lambda: count(page, "#headset-assistent1 select") == 1, 10, "the headsets to show")
    page.select_option("#headset-assistent1 select", "pauze")
    phones.wait(lambda: "pauze" in text(page, "#message"), 5, "the pause to be stored")

    number = "0612000071"
    patient = phones.patient(number)
    call = phones.call_practice(patient)
    call.press("5")
    practice.wait_event(ev.QUEUE_JOINED, 1, 20)
    phones.wait(lambda: count(page, "#waiting li") == 1, 3, "the caller in the queue on the screen")
    practice.wait_event(ev.QUEUE_ANNOUNCED, 1, 20)
    heard = call.rtp_packets_received()
    phones.wait_rtp(call, heard + 100, 10, "the announcement to play")
    call.press("5")
    practice.wait_event(ev.QUEUE_PLACE_KEPT, 1, 30)
    call.hang_up()
    phones.wait(lambda: count(page, "#kept li") == 1, 3, "the kept place on the screen")
    assert count(page, "#waiting li") == 0
    assert not rung_for(assistant, number), "a paused headset was given the kept place"

    # Spoed rings past every pause; the screen puts it on top while it rings.
    spoed_caller = phones.call_practice(phones.patient("0612000072"))
    spoed_caller.press("1")
    phones.wait(lambda: page.locator("#spoed").is_visible(), 5, "the spoed banner")
    assert "SPOED" in text(page, "#spoed") and "******72" in text(page, "#spoed")
    page.screenshot(path=str(tmp_path / "screen-spoed.png"))
    spoed_caller.hang_up()
    phones.wait(lambda: not page.locator("#spoed").is_visible(), 10, "the banner to go once spoed ends")
    phones.wait(
        lambda: all(i.call.state == "disconnected" for i in assistant.incoming), 10, "the spoed ring to stop"
    )
    assistant.incoming.clear()

    page.select_option("#my-headset", "assistent1")
    button = page.locator("#groups tr.row button.call-now").first
    phones.wait(lambda: button.is_enabled(), 3, "Bel nu to be possible for the kept place")
    button.click()
    phones.wait(lambda: rung_for(assistant, number), 20, "the assistant's headset to ring first")
    assert not patient.incoming, "the patient was dialled before the assistant answered"
    phones.wait(
        lambda: "wordt gebeld door assistent1" in text(page, "#groups"), 3, "the row to show who calls"
    )
    assistant.answer(number)
    phones.wait(lambda: patient.incoming, 30, "the patient to be dialled after the assistant answered")
    for incoming in rung_for(assistant, number):
        try:
            incoming.call.hangup(pj.CallOpParam(True))
        except pj.Error:
            pass


def test_an_assistant_cannot_open_the_admin_pages(page) -> None:
    """The menu and users pages are refused to an assistant, and her screen has no links to them."""
    log_in(page, "anna")
    assert count(page, 'nav a[href="/beheer/menu"]') == 0
    response = page.goto("/beheer/menu")
    assert response is not None and response.status == 403
    response = page.goto("/beheer/gebruikers")
    assert response is not None and response.status == 403


def test_a_broken_menu_upload_shows_the_line_and_the_running_menu_stays(
    phones: Phones, practice, page, tmp_path: Path
) -> None:
    """A menu upload with a wrong value: the page names its line; the file and the calls keep the old menu."""
    log_in(page, "beheer")
    page.goto("/beheer/menu")
    running = practice.menu_path.read_text()
    lines = running.splitlines()
    wrong = next(n for n, line in enumerate(lines, start=1) if line.strip().startswith("timeout:"))
    lines[wrong - 1] = lines[wrong - 1].split(":")[0] + ": drie seconden"
    broken = tmp_path / "nieuw-menu.yaml"
    broken.write_text("\n".join(lines) + "\n")
    page.set_input_files("#bestand", str(broken))
    page.click("text=Uploaden en controleren")
    page.wait_for_selector("#problemen li")
    problem = page.locator("#problemen li").first
    assert problem.get_attribute("data-line") == str(wrong)
    assert f"regel {wrong}:" in problem.inner_text() and "timeout" in problem.inner_text()
    page.screenshot(path=str(tmp_path / "admin-error.png"), full_page=True)
    assert practice.menu_path.read_text() == running
    # The menu that runs is still the old one: a caller still gets the callback offer behind key 4.
    call = phones.call_practice(phones.patient("0612000073"))
    call.press("4")
    practice.wait_event(ev.CALLBACK_OFFERED, 1, 40)
    call.hang_up()


def test_a_late_callback_stands_out_and_an_early_one_cannot_be_called(
    phones: Phones, headsets, practice, page, tmp_path: Path
) -> None:
    """A promise 30 minutes old is marked late and callable; one due in ten minutes has Bel nu disabled."""
    log_in(page, "anna")
    phones.wait(lambda: count(page, "#headset-assistent1 select") == 1, 10, "the headsets to show")
    page.select_option("#headset-assistent1 select", "pauze")  # nobody calls them before we look
    phones.wait(lambda: "pauze" in text(page, "#message"), 5, "the pause to be stored")
    now = dt.datetime.now(dt.UTC)
    # The screen lists today (and what is still open from earlier days): the early booking must fall on the
    # practice's today, which in the last minutes before local midnight no later time does.
    early_at = now + dt.timedelta(minutes=10)
    same_day = early_at.astimezone(AMS).date() == now.astimezone(AMS).date()
    late = book_due(tmp_path, "0612000074", now - dt.timedelta(minutes=30))
    early = book_due(tmp_path, "0612000075", early_at) if same_day else None
    page.reload()  # booked behind the controller's back (as a second controller would): no notice came
    rows = 2 if same_day else 1
    phones.wait(lambda: count(page, "#groups tr.row") == rows, 5, "the booked rows")
    late_row = page.locator(f"#row-{late}")
    assert "late" in (late_row.get_attribute("class") or "")
    assert "te laat" in late_row.inner_text()
    assert late_row.locator("button.call-now").is_enabled()
    if early is not None:
        early_row = page.locator(f"#row-{early}")
        assert "late" not in (early_row.get_attribute("class") or "")
        assert early_row.locator("button.call-now").is_disabled()
    page.screenshot(path=str(tmp_path / "screen-late.png"))
