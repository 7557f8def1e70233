"""Spoed on the fake ARI: it reaches a person, and when nothing can be rung it never spins."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.core.fallback import FALLBACK_CONTEXT
from tests.fakes.practice import FakePractice, demo_menu

HEADSETS = ("assistent1", "assistent2", "assistent3")


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, demo_menu())
    yield practice
    await practice.close()


async def test_spoed_key_rings_every_headset_with_the_patients_number(practice: FakePractice) -> None:
    """Pressing 1 during the welcome rings all spoed headsets, showing the checked caller number."""
    await practice.start()
    caller = practice.calls_in("0612345678")
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "1")
    await practice.ari.until(lambda: all(practice.ari.ringing(h) for h in HEADSETS), 5, "headsets ringing")
    shown = {r.params["caller_id"] for r in practice.ari.of("originate")}
    assert shown == {'"0612345678" <0612345678>'}


async def test_when_nothing_can_be_rung_spoed_backs_off_and_ends_in_the_fallback(
    practice: FakePractice,
) -> None:
    """Headsets unregistered and the overflow refused: a few paced rounds, then the dialplan fallback."""
    practice.ari.register(*HEADSETS, online=False)
    practice.ari.provider(refuse=True)
    await practice.start()
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "1")
    ari = practice.ari
    # Stop looking as soon as it spins (no virtual time passes while it does): it must not.
    await ari.until(lambda: ari.of("continue_in_dialplan") or len(ari.of("originate")) > 40, 60, "fallback")
    # Three rounds of four originates (three headsets and the overflow), not hundreds.
    assert len(ari.of("originate")) == 12
    assert ari.of("continue_in_dialplan", channel_id=caller)[0].params["context"] == FALLBACK_CONTEXT


async def test_a_patient_who_hangs_up_while_nothing_can_be_rung_ends_the_spoed_loop(
    practice: FakePractice,
) -> None:
    """The pause between refused rounds still reads the call's events, so a hang-up ends it at once."""
    practice.ari.register(*HEADSETS, online=False)
    practice.ari.provider(refuse=True)
    await practice.start()
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "1")
    await practice.ari.until(lambda: len(practice.ari.of("originate")) == 4, 10, "the first round")
    practice.ari.hang_up(caller)
    await practice.ari.settle()
    originates = len(practice.ari.of("originate"))
    with pytest.raises(AssertionError):
        await practice.ari.until(lambda: len(practice.ari.of("originate")) > originates, 60, "more rounds")
    assert not practice.controller.calls.all()


async def test_a_leg_that_fails_at_once_counts_as_a_round_that_rang_nobody(practice: FakePractice) -> None:
    """An overflow whose call fails immediately (a wrong outbound template) is paced like a refusal."""
    practice.ari.register(*HEADSETS, online=False)
    practice.ari.provider()
    await practice.start()
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "1")
    ari = practice.ari

    def fail_overflow_at_once() -> bool:
        for leg in ari.ringing("provider"):
            ari.hang_up(leg, cause=1)  # unallocated number
        return bool(ari.of("continue_in_dialplan"))

    await ari.until(fail_overflow_at_once, 60, "the fallback")
    assert len(ari.of("originate", endpoint="PJSIP/0881234567@provider")) == 3


async def test_a_stop_while_headsets_are_being_dialled_leaves_none_ringing(practice: FakePractice) -> None:
    """An originate still under way when the controller stops is followed by its hang-up, not abandoned."""
    practice.ari.originate_seconds = 0.2  # Asterisk takes a moment to answer each originate
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await ari.until(lambda: len(ari.of("originate")) == 2, 5, "the second originate under way")
    await practice.stop()
    await asyncio.sleep(1)  # every originate that was under way has been carried out by now
    assert not any(ari.ringing(h) for h in HEADSETS), "a headset rings for a call nobody will bridge"


async def test_a_patient_hanging_up_while_headsets_are_being_dialled_leaves_none_ringing(
    practice: FakePractice,
) -> None:
    """The patient hangs up during the originates: every leg that still comes up is hung up."""
    practice.ari.originate_seconds = 0.2
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await ari.until(lambda: len(ari.of("originate")) == 1, 5, "the first originate under way")
    ari.hang_up(caller)
    await asyncio.sleep(2)
    assert not any(ari.ringing(h) for h in HEADSETS)
