"""The callback offer in a whole call on the fake ARI: what the caller hears is what gets booked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ivr.ari import AriError
from storage.models import CallbackRequest
from tests.fakes.practice import FakePractice, demo_menu


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start()
    yield practice
    await practice.close()


async def booked(practice: FakePractice) -> int:
    async def query(session):
        return await session.scalar(select(func.count()).select_from(CallbackRequest))

    return await practice.sql(query)


async def test_a_key_pressed_twice_at_the_read_back_does_not_book_an_unheard_time(
    practice: FakePractice,
) -> None:
    """The second press of the confirm key at the number read-back is forgotten before the offer plays."""
    ari = practice.ari
    caller = practice.calls_in("anonymous")
    await practice.heard(caller, "welkom")
    ari.press(caller, "4")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "0612000031#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    ari.press(caller, "22")
    await practice.heard_all(caller, "terugbel_keuze")
    assert await booked(practice) == 0, "nothing may be booked before the caller heard the time and chose"
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    assert await booked(practice) == 1


async def test_a_voice_note_that_was_not_stored_is_not_promised_to_the_assistant(
    practice: FakePractice,
) -> None:
    """When recording the question fails, the caller never hears that the assistant will hear it."""
    ari = practice.ari
    ari.fail("record", lambda: AriError("POST", "/record", 500, json.dumps({"message": "Internal error"})))
    caller = practice.calls_in("0612000032")
    await practice.heard(caller, "welkom")
    ari.press(caller, "4")
    await practice.heard(caller, "terugbel_keuze")
    ari.press(caller, "2")
    await practice.heard(caller, "tot_ziens", 120)
    assert "terugbel_vraag_ontvangen" not in ari.played(caller)
    assert await booked(practice) == 1
