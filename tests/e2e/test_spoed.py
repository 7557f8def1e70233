"""Spoed reaches a person: barge-in during the welcome, at every level, and without the controller."""

from __future__ import annotations

import pytest

from ivr import log_events as ev
from tests.e2e.helpers import always_open, demo_menu
from tests.e2e.sip import Phones

pytestmark = pytest.mark.e2e


def test_spoed_during_welcome_rings_assistent1(phones: Phones, headsets, controller_factory):
    """A patient pressing 1 during the welcome they hear rings assistent1 with the patient's number."""
    controller_factory()
    patient = phones.patient("0612345678")
    call = phones.call_practice(patient)
    phones.wait_rtp(call, 25, 5, "the welcome prompt's audio")
    pressed = call.press("1")
    rang = phones.wait(lambda: headsets["assistent1"].incoming, 10, "assistent1 to ring")
    assert headsets["assistent1"].call_from("0612345678"), headsets["assistent1"].incoming[0].remote_uri
    print(f"\nspoed key to headset ringing: {(rang - pressed) * 1000:.0f} ms")
    call.hang_up()


def test_spoed_from_a_submenu(phones: Phones, headsets, controller_factory):
    """The spoed key works one menu level down, during the submenu's prompt."""
    controller = controller_factory()
    call = phones.call_practice(phones.patient("0612000001"))
    call.press("3")
    controller.wait_event(ev.MENU_KEY, 1)
    phones.pump(0.5)  # the submenu prompt has started
    call.press("1")
    phones.wait(lambda: headsets["assistent1"].call_from("0612000001"), 10, "assistent1 to ring (submenu)")
    assert [e["depth"] for e in controller.events(ev.MENU_KEY)] == [0, 1]
    call.hang_up()


def test_answered_spoed_is_bridged_until_the_assistant_hangs_up(phones: Phones, headsets, controller_factory):
    """The first headset to answer talks with the patient; the others stop; her hang-up ends the call."""
    controller = controller_factory()
    call = phones.call_practice(phones.patient("0612000002"))
    call.press("1")
    number = "0612000002"
    phones.wait(lambda: all(h.call_from(number) for h in headsets.values()), 10, "every headset to ring")
    answered = headsets["assistent2"].answer(number).call
    phones.wait(lambda: answered.state == "confirmed", 10, "assistent2's call to connect")
    others = [headsets["assistent1"], headsets["assistent3"]]
    phones.wait(
        lambda: all(h.call_from(number).call.state == "disconnected" for h in others),
        10,
        "the other headsets to stop ringing",
    )
    controller.wait_event(ev.BRIDGED, 1)
    phones.wait(lambda: answered.rtp_packets_received() > 25, 5, "the patient's audio at the headset")
    answered.hangup(__import__("pjsua2").CallOpParam(True))
    phones.wait(lambda: call.state == "disconnected", 10, "the patient to be hung up after the assistant")


def test_ordered_spoed_overflows_to_the_configured_number(phones: Phones, headsets, controller_factory):
    """Ordered spoed rings headsets in turn, then the overflow number with the patient's caller id."""
    menu = always_open(demo_menu())
    menu["spoed"].update(
        strategy="ordered", headsets=["assistent2", "assistent1"], ring_seconds=2, overflow_after=5
    )
    controller_factory(menu)
    provider = phones.provider_account()
    provider.auto_answer = False
    call = phones.call_practice(phones.patient("0612000003"))
    pressed = call.press("1")
    number = "0612000003"
    first = phones.wait(lambda: headsets["assistent2"].call_from(number), 5, "assistent2 to ring first")
    second = phones.wait(lambda: headsets["assistent1"].call_from(number), 5, "assistent1 to ring second")
    overflow = phones.wait(lambda: provider.incoming, 10, "the overflow number to ring")
    assert first < second < overflow
    assert overflow - pressed >= 4.5, "overflow must wait overflow_after seconds"
    assert "0612000003" in provider.incoming[0].remote_uri
    assert "0881234567" in provider.incoming[0].local_uri
    call.hang_up()


def test_outside_hours_spoed_goes_to_the_huisartsenpost(phones: Phones, headsets, controller_factory):
    """Outside opening hours the spoed key rings the huisartsenpost, not the headsets."""
    menu = demo_menu()
    menu["opening_hours"] = {"public_holidays": False}  # never open
    controller = controller_factory(menu)
    provider = phones.provider_account()
    provider.auto_answer = False
    call = phones.call_practice(phones.patient("0612000004"))
    controller.wait_event(ev.OUTSIDE_HOURS, 1)
    call.press("1")
    phones.wait(lambda: provider.incoming, 10, "the huisartsenpost to ring")
    assert "0881234567" in provider.incoming[0].local_uri
    assert not any(h.call_from("0612000004") for h in headsets.values())
    call.hang_up()
