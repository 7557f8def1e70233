"""Spoed reaches a person: barge-in during the welcome, at every level, and without the controller."""

from __future__ import annotations

import pytest

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
    incoming = headsets["assistent1"].incoming[0]
    assert "0612345678" in incoming.remote_uri
    print(f"\nspoed key to headset ringing: {(rang - pressed) * 1000:.0f} ms")
    call.hang_up()
