"""Reconcile on the fake ARI: lost events are replayed, what a stopped controller left is taken over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import QueueEntry
from storage.queue import join_queue
from tests.fakes.practice import FakePractice, demo_menu

HEADSETS = ("assistent1", "assistent2", "assistent3")


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, demo_menu())
    yield practice
    await practice.close()


async def test_a_lost_playback_finished_is_replayed_after_a_reconnect(practice: FakePractice) -> None:
    """The welcome's PlaybackFinished lost in an outage: after the reconnect the menu goes on at once."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.deaf = True
    await ari.until(lambda: ari.finished(caller, "welkom"), 10, "the welcome to end unseen")
    await practice.reconnect()
    await practice.heard(caller, "geen_keuze", 10)  # 5 s menu timeout, then the reprompt


async def test_a_lost_playback_finished_costs_at_most_the_prompts_length_without_a_reconnect(
    practice: FakePractice,
) -> None:
    """Even with no reconnect, a call waits for a prompt no longer than its length plus a margin."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.deaf = True
    await ari.until(lambda: ari.finished(caller, "welkom"), 10, "the welcome to end unseen")
    ari.deaf = False
    # The fake's prompts have no known length here (60 s assumed) plus the 3 s margin, then 5 s timeout.
    await practice.heard(caller, "geen_keuze", 70)


async def test_a_headset_answered_during_an_outage_is_bridged_after_the_reconnect(
    practice: FakePractice,
) -> None:
    """A StasisStart lost in an outage is replayed, so the assistant who answered is put through."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await ari.until(lambda: ari.ringing("assistent2"), 5, "spoed ringing")
    ari.deaf = True
    ari.pick_up(ari.ringing("assistent2")[0])
    await ari.settle()
    await practice.reconnect()
    await ari.until(
        lambda: any(caller in members and len(members) == 2 for members in ari.bridges.values()), 5
    )


async def test_waiting_entries_whose_caller_is_gone_are_closed_at_start(practice: FakePractice) -> None:
    """A queue entry left "waiting" by a stopped controller, its caller gone, is closed as abandoned."""
    await practice.migrate()
    practice_id = await practice.registry.id()
    await practice.db.run(
        join_queue,
        practice_id=practice_id,
        call_id="c-gone",
        channel_id="1699999999.1",
        phone="0612000099",
        group="overige",
        rank=1,
        arrived_at=practice.now() - dt.timedelta(minutes=5),
    )
    await practice.start(migrate=False)

    async def status(session):
        return (await session.scalars(select(QueueEntry.status))).one()

    assert await practice.sql(status) == "abandoned"


async def test_a_conversation_outlives_a_restart_and_ends_when_one_side_hangs_up(
    practice: FakePractice,
) -> None:
    """A patient talking with an assistant stays connected across a restart; her hang-up ends both."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await ari.until(lambda: ari.ringing("assistent1"), 5, "spoed ringing")
    leg = ari.ringing("assistent1")[0]
    ari.pick_up(leg)
    await ari.until(lambda: any(set(m) == {caller, leg} for m in ari.bridges.values()), 5, "bridged")
    await practice.restart()
    assert caller in ari.channels and leg in ari.channels, "the restart did not cut the conversation"
    ari.hang_up(leg)
    await ari.until(lambda: caller not in ari.channels, 5, "the patient's side to end too")
    assert not any(caller in m for m in ari.bridges.values())


async def test_a_waiting_caller_goes_before_a_due_callback_after_a_restart(practice: FakePractice) -> None:
    """After a restart the caller who was waiting is back in line before the dispatcher gives out work."""
    menu = demo_menu()
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    (practice.tmp_path / "one").mkdir()
    practice = FakePractice(practice.tmp_path / "one", menu)
    busy = practice.ari.busy("assistent1")
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in("0612000081")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_positie")
    await practice.book_due("0612000082")  # due now, after the caller arrived
    await practice.stop()
    ari.hang_up(busy)  # she comes free just as the new controller starts
    await practice.start(migrate=False)
    await ari.until(lambda: ari.of("originate", endpoint="PJSIP/assistent1"), 30, "the headset to be rung")
    first = ari.of("originate", endpoint="PJSIP/assistent1")[0]
    assert first.params["app_args"][0] == "leg", "the waiting caller, not the callback, gets her first"
    await practice.close()


async def test_a_recording_finished_during_an_outage_lets_the_call_go_on_after_the_reconnect(
    practice: FakePractice,
) -> None:
    """A RecordingFinished lost in an outage is replayed: the caller hears the message was received."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    ari.press(caller, "3")
    await ari.until(lambda: ari.recordings, 30, "the recording to start")
    ari.deaf = True
    ari.finish_recording(next(iter(ari.recordings)))
    await practice.reconnect()
    await practice.heard(caller, "bericht_ontvangen", 10)
