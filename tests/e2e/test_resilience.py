"""The practice stays reachable when parts fail: no controller, an Asterisk restart, a slow call."""

from __future__ import annotations

import pytest

from ivr import log_events as ev
from tests.e2e.helpers import always_open, demo_menu, sandbox
from tests.e2e.sip import Phones

pytestmark = pytest.mark.e2e


def test_without_controller_the_dialplan_rings_the_headsets(phones: Phones, headsets, controller_factory):
    """With the controller stopped, a call still rings every headset with the patient's number."""
    controller = controller_factory()
    controller.stop()
    call = phones.call_practice(phones.patient("0612000010"), wait_answer=False)
    phones.wait(
        lambda: all(h.call_from("0612000010") for h in headsets.values()), 10, "every headset to ring"
    )
    call.hang_up()


def test_controller_comes_back_after_asterisk_restarts(phones: Phones, headsets, controller_factory):
    """After Asterisk restarts the controller reconnects by itself and handles the next call."""
    controller = controller_factory()
    sandbox("restart")
    controller.wait_event(ev.RECONCILED, 2, 30)
    assert len(controller.events(ev.ARI_CONNECTED)) >= 2
    for headset in headsets.values():
        headset.registered = False
        headset.setRegistration(True)
    phones.wait(lambda: all(h.registered for h in headsets.values()), 10, "headsets to register again")
    call = phones.call_practice(phones.patient("0612000011"))
    call.press("1")
    phones.wait(lambda: headsets["assistent1"].call_from("0612000011"), 10, "assistent1 to ring")
    call.hang_up()


def test_a_call_on_a_long_prompt_does_not_delay_another_call(phones: Phones, headsets, controller_factory):
    """While one caller listens to a 60 s message, another caller's spoed key rings a headset at once."""
    menu = always_open(demo_menu())
    menu["menu"]["options"]["5"] = {"action": "play", "prompts": ["lang_bericht"], "then": "hangup"}
    controller = controller_factory(menu)
    slow = phones.call_practice(phones.patient("0612000012"))
    slow.press("5")
    controller.wait_event(ev.MENU_KEY, 1)
    fast = phones.call_practice(phones.patient("0612000013"))
    pressed = fast.press("1")
    rang = phones.wait(lambda: headsets["assistent1"].call_from("0612000013"), 5, "assistent1 to ring")
    print(f"\nspoed key to ringing while another call plays a long prompt: {(rang - pressed) * 1000:.0f} ms")
    before = slow.rtp_packets_received()
    phones.wait(lambda: slow.rtp_packets_received() > before + 25, 5, "the slow call still playing")
    assert slow.state == "confirmed"
    fast.hang_up()
    slow.hang_up()


def test_heartbeat_notices_a_frozen_asterisk(phones: Phones, controller_factory, asterisk_env):
    """A frozen Asterisk (no FIN, no answers) is noticed by the heartbeat within 10 s, then reconnected."""
    import os
    import signal
    import time
    from pathlib import Path

    controller = controller_factory()
    pid = int((Path(__file__).resolve().parents[2] / ".sandbox" / "asterisk.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        controller.wait_event(ev.ARI_DISCONNECTED, 1, 10)
        noticed = time.monotonic() - frozen
    finally:
        os.kill(pid, signal.SIGCONT)
    print(f"\nfrozen Asterisk noticed after {noticed:.1f} s")
    controller.wait_event(ev.RECONCILED, 2, 20)
