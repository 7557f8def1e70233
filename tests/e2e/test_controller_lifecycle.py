"""The controller's life on the real thing: one active per practice, a clean stop, a crash mid-queue."""

from __future__ import annotations

import pytest

from ivr import log_events as ev
from tests.e2e.helpers import always_open, demo_menu
from tests.e2e.sip import Phones

pytestmark = pytest.mark.e2e


def test_a_second_controller_stands_by_and_takes_over_when_the_first_stops(
    phones: Phones, headsets, controller_factory
):
    """Two controllers on one database: the second waits (saying why) and takes calls once the first stops."""
    first = controller_factory()
    second = controller_factory(active=False)
    second.wait_event(ev.CONTROLLER_STANDBY, 1, 10)
    assert not second.events(ev.ARI_CONNECTED), "a standby must not take the ARI app"
    first.stop()
    second.wait_event(ev.RECONCILED, 1, 15)
    call = phones.call_practice(phones.patient("0612000200"))
    call.press("1")
    phones.wait(lambda: headsets["assistent1"].call_from("0612000200"), 10, "spoed through the second")
    call.hang_up()


def test_a_graceful_stop_prints_no_traceback(phones: Phones, headsets, controller_factory):
    """SIGTERM with a call in progress ends the controller without a traceback or CancelledError."""
    controller = controller_factory()
    call = phones.call_practice(phones.patient("0612000201"))
    call.press("5")
    controller.wait_event(ev.QUEUE_JOINED, 1, 20)
    controller.stop()
    assert controller.proc is not None and controller.proc.returncode == 0
    text = controller.log_text()
    assert "Traceback" not in text and "CancelledError" not in text, text[-3000:]
    assert controller.events(ev.CONTROLLER_STOPPED)
    call.hang_up()


def test_callers_waiting_when_the_controller_dies_hear_music_then_ring_the_headsets(
    phones: Phones, headsets, controller_factory
):
    """kill -9 with a caller in the queue: Asterisk's hold music goes on, and the deadline rings everyone."""
    menu = always_open(demo_menu())
    for headset in headsets.values():  # every assistant is busy, so the caller waits
        headset.auto_answer = False
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    controller = controller_factory(menu, TERUGBEL_CALLER_DEADLINE_SECONDS="8")
    busy = phones.call_practice(phones.patient("0612000202"))
    busy.press("5")
    phones.wait(lambda: headsets["assistent1"].call_from("0612000202"), 15, "the first caller's headset")
    headsets["assistent1"].answer("0612000202")
    controller.wait_event(ev.BRIDGED, 1, 10)
    waiting = phones.call_practice(phones.patient("0612000203"))
    waiting.press("5")
    controller.wait_event(ev.QUEUE_ANNOUNCED, 2, 20)
    controller.kill()
    before = waiting.rtp_packets_received()
    phones.wait(lambda: waiting.rtp_packets_received() > before + 100, 5, "hold music without the controller")
    phones.wait(
        lambda: any(h.call_from("0612000203") for h in headsets.values()),
        15,
        "the deadline to ring the headsets",
    )
    assert waiting.state == "confirmed", "the caller was never cut off"
    waiting.hang_up()
    busy.hang_up()
