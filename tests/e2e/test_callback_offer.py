"""The callback offer over real SIP calls: a concrete time, confirmed by a key, stored, and listed."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from ivr import log_events as ev
from tests.e2e.helpers import REPO, always_open, demo_menu
from tests.e2e.sip import Phones

pytestmark = pytest.mark.e2e

AMS = ZoneInfo("Europe/Amsterdam")
CONFIRM, LATER = "2", "3"  # the demo practice's keys: 1 is spoed everywhere


def callback_menu(*, voice_note: bool = False) -> dict[str, Any]:
    menu = always_open(demo_menu())
    menu["menu"].update(prompt="kort_welkom", timeout=3, retries=1)
    menu["menu"]["options"]["4"].update(voice_note=voice_note, timeout=4)
    return menu


def one_place_per_slot(**changes: Any) -> dict[str, Any]:
    """Every quarter of every day is a slot with exactly one place, so the tests control who gets what."""
    every_day = [{"start": "00:00", "end": "24:00", "assistants": 1}]
    config: dict[str, Any] = {
        "timezone": "Europe/Amsterdam",
        "calls_per_assistant_per_hour": 4,
        "slot_minutes": 15,
        "blocks": {day: every_day for day in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                               "saturday", "sunday")},
        "closed_windows": [],
        "public_holidays": False,
        "min_lead_minutes": 0,
        "horizon_days": 2,
    }  # fmt: skip
    config.update(changes)
    return config


@pytest.fixture
def start(controller_factory, tmp_path: Path):
    """Start the controller with the callback menu, a capacity file and its own SQLite database."""

    def start(menu: dict[str, Any] | None = None, capacity: dict[str, Any] | None = None, **env: str):
        capacity_path = tmp_path / "capacity.yaml"
        capacity_path.write_text(yaml.safe_dump(capacity or one_place_per_slot()))
        data_dir = tmp_path / "data"
        return controller_factory(
            menu or callback_menu(),
            TERUGBEL_CAPACITY=str(capacity_path),
            TERUGBEL_DATA_DIR=str(data_dir),
            **env,
        )

    return start


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "terugbel.sqlite3")


def requests(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(phone, number_source, slot_start as UTC ISO) of every stored callback request."""
    with database(tmp_path) as db:
        rows = db.execute(
            "SELECT phone, number_source, slot_start FROM callback_request ORDER BY id"
        ).fetchall()
    return [(phone, source, as_utc(slot)) for phone, source, slot in rows]


def event_kinds(tmp_path: Path) -> list[str]:
    with database(tmp_path) as db:
        return [kind for (kind,) in db.execute("SELECT kind FROM call_event ORDER BY id")]


def traced(controller, tmp_path: Path, kind: str) -> list[str]:
    """The call's stored events once `kind` is among them (the trace writes beside the call, not in it)."""
    controller.wait(lambda: kind in event_kinds(tmp_path), 10, f"call event {kind!r} to be stored")
    return event_kinds(tmp_path)


def as_utc(text: str) -> str:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:  # SQLite keeps the UTC value without an offset
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def offered(controller, count: int) -> list[str]:
    """The slots offered so far (UTC ISO), waiting until there are `count`."""
    return [as_utc(e["slot"]) for e in controller.wait_event(ev.CALLBACK_OFFERED, count, 40)]


def test_caller_confirms_the_offered_time_and_it_is_stored_and_listed(phones: Phones, start, tmp_path):
    """4, the offer, the confirm key: the booking holds the caller id and the offered slot, and is listed."""
    controller = start()
    number = "0612000030"
    call = phones.call_practice(phones.patient(number))
    call.press("4")
    [slot] = offered(controller, 1)
    spoken = controller.events(ev.CALLBACK_OFFERED)[0]["spoken"]
    local = dt.datetime.fromisoformat(slot).astimezone(AMS)
    assert f"tijd_uur_{local.hour}" in spoken
    call.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    assert requests(tmp_path) == [(number, "caller_id", slot)]
    controller.wait_event(ev.CALL_END, 1, 40)  # heard "genoteerd" and "tot ziens", then hung up

    listing = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "callbacks", "list", "--date", local.date().isoformat(), "--json"],
        env={"TERUGBEL_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    [listed] = json.loads(listing.stdout)["callbacks"]
    assert listed["phone"] == "********30"  # masked unless --full
    assert dt.datetime.fromisoformat(listed["slot_start"]) == dt.datetime.fromisoformat(slot)
    traced(controller, tmp_path, "callback_booked")


def test_withheld_caller_types_the_number_and_confirms_the_read_back(phones: Phones, start, tmp_path):
    """Without a caller id the number is typed with #, read back, confirmed, and stored as typed."""
    controller = start()
    call = phones.call_practice(phones.patient("anonymous"))
    call.press("4")
    controller.wait_event(ev.TYPED_NUMBER_WAITING, 1, 30)
    call.press("0612000031#")
    controller.wait_event(ev.TYPED_NUMBER_READ_BACK, 1, 20)
    call.press(CONFIRM)
    [slot] = offered(controller, 1)
    call.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    assert requests(tmp_path) == [("0612000031", "typed", slot)]
    call.hang_up()


def test_invalid_typed_number_is_asked_again_then_nothing_is_stored(phones: Phones, start, tmp_path):
    """Two invalid numbers end the call with advice to call again; no request is half-stored."""
    controller = start()
    call = phones.call_practice(phones.patient("anonymous"))
    call.press("4")
    controller.wait_event(ev.TYPED_NUMBER_WAITING, 1, 30)
    call.press("0900#")
    controller.wait_event(ev.TYPED_NUMBER_WAITING, 2, 30)
    call.press("12345#")
    controller.wait_event(ev.CALL_END, 1, 60)
    assert [e["attempt"] for e in controller.events(ev.TYPED_NUMBER_INVALID)] == [1, 2]
    assert requests(tmp_path) == []
    traced(controller, tmp_path, "callback_number_failed")


def test_two_callers_compete_for_the_last_place(phones: Phones, start, tmp_path):
    """Both hear the same last place; the first to confirm gets it, the other is offered the next slot."""
    controller = start()
    first = phones.call_practice(phones.patient("0612000032"))
    second = phones.call_practice(phones.patient("0612000033"))
    first.press("4")
    second.press("4")
    slot_a, slot_b = offered(controller, 2)
    assert slot_a == slot_b  # one place, offered to both while neither has confirmed
    first.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    second.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_SLOT_TAKEN, 1, 20)
    next_slot = offered(controller, 3)[2]
    assert dt.datetime.fromisoformat(next_slot) - dt.datetime.fromisoformat(slot_a) == dt.timedelta(
        minutes=15
    )
    second.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 2, 20)
    assert requests(tmp_path) == [("0612000032", "caller_id", slot_a), ("0612000033", "caller_id", next_slot)]
    first.hang_up()
    second.hang_up()


def test_a_later_time_on_request(phones: Phones, start, tmp_path):
    """The other key offers the next slot, and confirming then books that later one."""
    controller = start()
    call = phones.call_practice(phones.patient("0612000034"))
    call.press("4")
    [first] = offered(controller, 1)
    call.press(LATER)
    later = offered(controller, 2)[1]
    assert dt.datetime.fromisoformat(later) > dt.datetime.fromisoformat(first)
    call.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    assert requests(tmp_path) == [("0612000034", "caller_id", later)]
    call.hang_up()


def test_hanging_up_during_the_offer_books_nothing(phones: Phones, start, tmp_path):
    """A caller who hangs up while the time is offered has no booking, and the abandoned offer is logged."""
    controller = start()
    call = phones.call_practice(phones.patient("0612000035"))
    call.press("4")
    offered(controller, 1)
    call.hang_up()
    controller.wait_event(ev.CALL_END, 1, 20)
    assert requests(tmp_path) == []
    kinds = traced(controller, tmp_path, "call_ended")
    assert kinds[-2:] == ["callback_abandoned", "call_ended"]


def test_no_input_repeats_the_offer_once_then_ends(phones: Phones, start, tmp_path):
    """Silence after the offer: it is repeated once, then the call ends politely with nothing booked."""
    controller = start()
    call = phones.call_practice(phones.patient("0612000036"))
    call.press("4")
    offered(controller, 2)
    controller.wait_event(ev.CALL_END, 1, 60)
    assert [e["silences"] for e in controller.events(ev.CALLBACK_OFFER_MISS)] == [1, 2]
    assert requests(tmp_path) == []
    traced(controller, tmp_path, "callback_declined")


def test_spoed_breaks_through_the_offer(phones: Phones, headsets, start, tmp_path):
    """The spoed key during the offer rings the headsets as spoed, and nothing is booked."""
    controller = start()
    number = "0612000037"
    call = phones.call_practice(phones.patient(number))
    call.press("4")
    offered(controller, 1)
    call.press("1")
    phones.wait(lambda: headsets["assistent1"].call_from(number), 10, "spoed to ring the headsets")
    assert requests(tmp_path) == []
    assert controller.events(ev.CALLBACK_SPOED)[0]["stage"] == "offer"
    call.hang_up()


def test_no_slot_in_the_horizon_turns_the_caller_away_and_counts_it(phones: Phones, start, tmp_path):
    """With every day of the horizon closed the caller hears so, and the call is stored as turned away."""
    today = dt.datetime.now(AMS).date()
    closed = [today + dt.timedelta(days=n) for n in range(3)]
    controller = start(capacity=one_place_per_slot(closed_dates=[d.isoformat() for d in closed]))
    call = phones.call_practice(phones.patient("0612000038"))
    call.press("4")
    [away] = controller.wait_event(ev.CALLBACK_TURNED_AWAY, 1, 20)
    assert away["reason"] == "full_horizon"
    controller.wait_event(ev.CALL_END, 1, 60)
    assert requests(tmp_path) == []
    traced(controller, tmp_path, "callback_turned_away")


def test_voice_note_is_stored_with_the_request(phones: Phones, start, tmp_path, asterisk_env):
    """After "genoteerd" the caller's question is recorded and its name stored with the booking."""
    question = tmp_path / "vraag.wav"
    # A 3 s tone stands in for speech: Asterisk throws a recording of nothing but silence away.
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(question), "synth", "3", "sine", "300"],
        check=True,
    )
    controller = start(callback_menu(voice_note=True))
    call = phones.call_practice(phones.patient("0612000039"))
    call.press("4")
    offered(controller, 1)
    call.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    controller.wait_event(ev.VOICE_NOTE_RECORDING, 1, 30)
    call.say(str(question))
    phones.pump(3.5)
    call.press("#")
    [stored] = controller.wait_event(ev.VOICE_NOTE_STORED, 1, 30)
    assert stored["ended_by"] == "key_or_silence"
    with database(tmp_path) as db:
        [(ref,)] = db.execute("SELECT voice_note_ref FROM callback_request").fetchall()
    assert ref.startswith("terugbelverzoek/")
    assert (Path(asterisk_env["TERUGBEL_RECORDINGS_DIR"]) / f"{ref}.wav").is_file()
    call.hang_up()


def test_database_down_sends_the_caller_to_an_assistant(phones: Phones, headsets, start, tmp_path):
    """When bookings cannot be stored, option 4 rings the assistants instead of promising anything."""
    controller = start(database=False, TERUGBEL_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:9/none")
    number = "0612000040"
    call = phones.call_practice(phones.patient(number))
    call.press("4")
    phones.wait(lambda: headsets["assistent1"].call_from(number), 30, "the assistants to ring")
    assert controller.events(ev.CALLBACK_UNAVAILABLE)
    call.hang_up()
