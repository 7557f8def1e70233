"""The live queue, kept places and headset-first callbacks, with real SIP headsets, patients and provider."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

import pjsua2 as pj
import pytest

from ivr import log_events as ev
from tests.e2e.helpers import always_open, book_due, demo_menu
from tests.e2e.sip import Headset, Incoming, Phones

pytestmark = pytest.mark.e2e


def one_assistant_menu(**callbacks: Any) -> dict[str, Any]:
    """The demo practice with one assistant (assistent1) doing live calls and callbacks."""
    menu = always_open(demo_menu())
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    menu["menu"].update(prompt="kort_welkom", timeout=3, retries=1)
    menu["menu"]["options"]["5"].update(
        prompt=None, keep_place_after_seconds=0, announce_every=10, ring_seconds=20
    )
    menu["callbacks"] = {
        "headset_ring_seconds": 15,
        "patient_ring_seconds": 6,
        "retry_after_seconds": 8,
        "max_attempts": 2,
        **callbacks,
    }
    return menu


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "terugbel.sqlite3")


def rung_for(account: Headset, number: str) -> list[Incoming]:
    """Calls that reached `account` for `number` (caller id on a headset, dialled number at the provider)."""
    return [i for i in account.incoming if number in i.remote_uri or number in i.local_uri]


def hang_up(incoming: Incoming) -> None:
    try:
        incoming.call.hangup(pj.CallOpParam(True))
    except pj.Error:
        pass


def test_kept_place_is_served_in_its_original_order_headset_first(
    phones: Phones, headsets, controller_factory
):
    """Three callers, one assistant: the second keeps its place and hangs up, and is still called second."""
    controller = controller_factory(one_assistant_menu())
    provider = phones.provider_account()
    assistant = headsets["assistent1"]
    first, second, third = "0612000050", "0612000051", "0612000052"

    calls, patients = {}, {}
    for number in (first, second, third):
        patients[number] = phones.patient(number)
        calls[number] = phones.call_practice(patients[number])
        calls[number].press("5")
        controller.wait_event(ev.QUEUE_JOINED, len(calls), 20)
    phones.wait(
        lambda: rung_for(assistant, first), 15, "the assistant's headset to ring for the first caller"
    )
    # The second caller hears the offer (keep_place_after_seconds 0), presses 5 and hangs up.
    controller.wait_event(ev.QUEUE_ANNOUNCED, 3, 20)
    # The caller presses 5 once the announcement with the offer is playing (2 s of it heard).
    heard = calls[second].rtp_packets_received()
    phones.wait_rtp(calls[second], heard + 100, 10, "the announcement to play")
    calls[second].press("5")
    controller.wait_event(ev.QUEUE_PLACE_KEPT, 1, 30)
    calls[second].hang_up()

    assistant.answer(first)
    controller.wait_event(ev.BRIDGED, 1, 10)
    hang_up(rung_for(assistant, first)[0])  # the first conversation ends

    # Next in order is the kept place (arrived before the third caller): the headset rings first...
    phones.wait(lambda: rung_for(assistant, second), 20, "the headset to ring for the kept place")
    # The practice calls back on the number the caller called from: that phone rings (pjsua routes the
    # INVITE to the account of that number).
    phone = patients[second]
    assert not phone.incoming, "the patient was dialled before an assistant was on the line"
    assert not rung_for(assistant, third), "the third caller went before the kept place"
    answered_at = time.monotonic()
    assistant.answer(second)
    # ...and only once she has heard who is called, the patient is dialled with the practice's number.
    phones.wait(lambda: phone.incoming, 40, "the patient of the kept place to be dialled")
    dialled = phone.incoming[0]
    assert dialled.at > answered_at
    assert "0201234567" in dialled.remote_uri
    controller.wait_event(ev.PATIENT_ANSWERED, 1, 10)
    hang_up(rung_for(assistant, second)[0])
    [done] = controller.wait_event(ev.DIALOUT_DONE, 1, 20)
    assert (done["outcome"], done["status"]) == ("reached", "done")

    phones.wait(lambda: rung_for(assistant, third), 20, "the third caller to reach the headset")
    assistant.answer(third)
    controller.wait_event(ev.BRIDGED, 2, 10)
    hang_up(rung_for(assistant, third)[0])
    # Everyone once, nobody twice.
    assert [len(rung_for(assistant, n)) for n in (first, second, third)] == [1, 1, 1]
    assert len(phone.incoming) == 1 and not rung_for(provider, second)
    for call in calls.values():
        call.hang_up()


def test_patient_not_reached_is_tried_again_then_marked(
    phones: Phones, headsets, controller_factory, tmp_path
):
    """No answer: a second try after the (shortened) interval, then "2x geprobeerd, pt niet bereikbaar"."""
    controller = controller_factory(one_assistant_menu())
    provider = phones.provider_account()
    provider.auto_answer = False
    headsets["assistent1"].auto_answer = True
    number = "0612000053"
    try:
        request_id = book_due(tmp_path, number, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        phones.wait(lambda: len(rung_for(provider, number)) >= 2, 90, "two attempts to reach the patient")
        first, second = rung_for(provider, number)[:2]
        assert second.at - first.at >= 8  # retry_after_seconds
        finished = controller.wait_event(ev.DIALOUT_DONE, 2, 30)
    finally:
        provider.auto_answer = True
    assert [(e["outcome"], e["status"]) for e in finished] == [
        ("not_reached", "booked"),
        ("not_reached", "not_reached"),
    ]
    with database(tmp_path) as db:
        status, note, attempts = db.execute(
            "SELECT status, outcome_note, attempts FROM callback_request WHERE id = ?", (request_id,)
        ).fetchone()
        outcomes = [o for (o,) in db.execute("SELECT outcome FROM callback_attempt ORDER BY id")]
    assert (status, note, attempts) == ("not_reached", "2x geprobeerd, pt niet bereikbaar", 2)
    assert outcomes == ["not_reached", "not_reached"]
    phones.pump(10)
    assert len(rung_for(provider, number)) == 2, "a third attempt was made"


def test_booked_callback_starts_at_its_slot_and_not_before(
    phones: Phones, headsets, controller_factory, tmp_path
):
    """A callback booked for a few seconds from now rings the headset at that moment, not earlier."""
    controller_factory(one_assistant_menu())
    number = "0612000054"
    slot = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
    book_due(tmp_path, number, slot)
    assistant = headsets["assistent1"]
    phones.wait(lambda: rung_for(assistant, number), 30, "the headset to ring for the booked callback")
    rang_at = dt.datetime.now(dt.UTC)
    assert rang_at >= slot
    assert rang_at - slot < dt.timedelta(seconds=5)  # the dispatcher looks every second
    hang_up(rung_for(assistant, number)[0])


def test_controller_restart_keeps_the_order_and_calls_nobody_twice(
    phones: Phones, headsets, controller_factory
):
    """Callers waiting while the controller restarts are served afterwards in their order, each once."""
    menu = one_assistant_menu()
    controller = controller_factory(menu)
    assistant = headsets["assistent1"]
    busy, first, second = "0612000055", "0612000056", "0612000057"
    # The assistant is in a conversation, so the next two callers have to wait.
    calls = {busy: phones.call_practice(phones.patient(busy))}
    calls[busy].press("5")
    phones.wait(lambda: rung_for(assistant, busy), 15, "the headset to ring for the first caller")
    assistant.answer(busy)
    controller.wait_event(ev.BRIDGED, 1, 10)
    for count, number in enumerate((first, second), start=2):
        calls[number] = phones.call_practice(phones.patient(number))
        calls[number].press("5")
        controller.wait_event(ev.QUEUE_JOINED, count, 20)
    controller.wait_event(ev.QUEUE_ANNOUNCED, 3, 20)

    controller.stop()
    # Stopping the controller ends the conversation in progress; the two waiting callers stay on the line.
    hang_up(rung_for(assistant, busy)[0])
    calls[busy].hang_up()
    restarted = controller_factory(menu)
    restarted.wait_event(ev.QUEUE_RESUMED, 2, 20)
    assert all(calls[n].state == "confirmed" for n in (first, second)), "a waiting caller was dropped"

    phones.wait(lambda: rung_for(assistant, first), 20, "the first waiting caller to reach the headset")
    assert not rung_for(assistant, second)
    assistant.answer(first)
    restarted.wait_event(ev.BRIDGED, 1, 10)
    hang_up(rung_for(assistant, first)[0])
    phones.wait(lambda: rung_for(assistant, second), 20, "the second waiting caller to reach the headset")
    assistant.answer(second)
    restarted.wait_event(ev.BRIDGED, 2, 10)
    hang_up(rung_for(assistant, second)[0])
    assert [len(rung_for(assistant, n)) for n in (busy, first, second)] == [1, 1, 1]
    for call in calls.values():
        call.hang_up()
