"""A wrong key and no input: the reprompt first, then the menu's configured default."""

from __future__ import annotations

import pytest

from ivr import log_events as ev
from tests.e2e.helpers import always_open, demo_menu
from tests.e2e.sip import Phones

pytestmark = pytest.mark.e2e


def short_menu() -> dict:
    menu = always_open(demo_menu())
    menu["menu"].update(prompt="kort_welkom", timeout=2, retries=1)
    return menu


def test_wrong_key_reprompts_then_default(phones: Phones, headsets, controller_factory):
    """The first wrong key gets the reprompt; the second one leads to the default (ringing the headsets)."""
    controller = controller_factory(short_menu())
    number = "0612000020"
    call = phones.call_practice(phones.patient(number))
    phones.wait_rtp(call, 10, 5, "the welcome")
    call.press("7")
    controller.wait_event(ev.MENU_MISS, 1)
    phones.wait_rtp(call, 60, 5, "the reprompt")
    assert not any(h.call_from(number) for h in headsets.values()), "default taken after one miss"
    call.press("7")
    phones.wait(lambda: headsets["assistent1"].call_from(number), 10, "the default to ring")
    assert [e["key"] for e in controller.events(ev.MENU_MISS)] == ["7", "7"]
    call.hang_up()


def test_no_input_reprompts_then_default(phones: Phones, headsets, controller_factory):
    """Silence gets the no-input reprompt, and after the retries the default rings the headsets."""
    controller = controller_factory(short_menu())
    number = "0612000021"
    call = phones.call_practice(phones.patient(number))
    answered = call.confirmed_at
    rang = phones.wait(lambda: headsets["assistent1"].call_from(number), 20, "the default to ring")
    misses = controller.events(ev.MENU_MISS)
    assert [e["key"] for e in misses] == [None, None]
    # Two waits of 2 s after the prompts before the default: never earlier.
    assert rang - answered >= 4.0
    call.hang_up()
