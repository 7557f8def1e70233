"""The trace of real calls gives the report the figures the calls really had, measured on the SIP side.

A spoed call answered after a few seconds, a queue call answered, a queue caller who hangs up and a
confirmed callback, each timed by the test's own clock around the SIP actions; then `terugbel report`
(the CLI a practice manager runs) must report the same counts and times.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pjsua2 as pj
import pytest
import yaml

from ivr import log_events as ev
from tests.e2e.helpers import REPO
from tests.e2e.sip import Phones
from tests.e2e.test_callback_offer import CONFIRM, one_place_per_slot
from tests.e2e.test_queue import one_assistant_menu

pytestmark = pytest.mark.e2e
AMS = ZoneInfo("Europe/Amsterdam")
# SIP signalling and DTMF detection sit between the test's clock and the controller's stamps.
TOLERANCE_SECONDS = 1.0


def report(data_dir: Path, capacity: Path) -> dict:
    today = dt.datetime.now(AMS).date()
    first, last = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    out = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "report", "--format", "json",
         "--from", first.isoformat(), "--to", last.isoformat(), "--capacity", str(capacity)],
        env={"TERUGBEL_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def answer_after(
    phones: Phones, controller, assistant, call, number: str, since: float, seconds: float, *, bridged: int
) -> float:
    """The assistant answers `seconds` after `since`, talks a moment and hangs up; returns the wait."""
    phones.wait(lambda: assistant.call_from(number), 15, f"the headset to ring for {number}")
    phones.wait(lambda: time.monotonic() - since >= seconds, seconds + 2, f"{seconds} s of ringing")
    answered = assistant.answer(number).call
    waited = time.monotonic() - since
    phones.wait(lambda: answered.state == "confirmed", 10, "the call to connect")
    controller.wait_event(ev.BRIDGED, bridged, 10)
    answered.hangup(pj.CallOpParam(True))
    phones.wait(lambda: call.state == "disconnected", 10, "the call to end")
    return waited


def test_the_report_of_real_calls_matches_what_the_callers_lived(
    phones: Phones, headsets, controller_factory, tmp_path: Path
) -> None:
    """Spoed answered after ~3 s, a queue call answered after ~4 s, a hang-up after ~3 s, one booking."""
    capacity = tmp_path / "capacity.yaml"
    capacity.write_text(yaml.safe_dump(one_place_per_slot()))
    data_dir = tmp_path / "data"
    menu = one_assistant_menu()
    menu["menu"]["options"]["4"].update(voice_note=False, timeout=4)
    controller = controller_factory(menu, TERUGBEL_CAPACITY=str(capacity), TERUGBEL_DATA_DIR=str(data_dir))
    assistant = headsets["assistent1"]

    # Spoed: the headset rings, she answers after about 3 s.
    number = "0612000601"
    call = phones.call_practice(phones.patient(number))
    pressed = time.monotonic()
    call.press("1")
    spoed_seconds = answer_after(phones, controller, assistant, call, number, pressed, 3.0, bridged=1)

    # The queue, answered after about 4 s.
    number = "0612000602"
    call = phones.call_practice(phones.patient(number))
    call.press("5")
    controller.wait_event(ev.QUEUE_JOINED, 1, 20)
    queue_seconds = answer_after(
        phones, controller, assistant, call, number, time.monotonic(), 4.0, bridged=2
    )

    # The queue again; the caller gives up after about 3 s while the headset rings.
    number = "0612000603"
    call = phones.call_practice(phones.patient(number))
    call.press("5")
    controller.wait_event(ev.QUEUE_JOINED, 2, 20)
    joined = time.monotonic()
    phones.wait(lambda: time.monotonic() - joined >= 3.0, 5, "3 s in the queue")
    call.hangup(pj.CallOpParam(True))
    abandoned_seconds = time.monotonic() - joined
    phones.wait(lambda: call.state == "disconnected", 10, "the hang-up")

    # A callback, offered and confirmed.
    call = phones.call_practice(phones.patient("0612000604"))
    call.press("4")
    controller.wait_event(ev.CALLBACK_OFFERED, 1, 40)
    call.press(CONFIRM)
    controller.wait_event(ev.CALLBACK_CONFIRMED, 1, 20)
    controller.wait_event(ev.CALL_END, 4, 40)
    controller.stop()  # a graceful stop writes what the trace still holds

    total = report(data_dir, capacity)["total"]
    assert total["calls"] == 4
    spoed = total["spoed"]
    assert (spoed["calls"], spoed["within_norm"]["count"], spoed["not_answered"]) == (1, 1, 0)
    assert spoed["to_person"]["p50"] == pytest.approx(spoed_seconds, abs=TOLERANCE_SECONDS)
    regular = total["regular"]
    assert (regular["calls"], regular["answered"], regular["abandoned"]["count"]) == (2, 1, 1)
    assert regular["wait"]["p50"] == pytest.approx(queue_seconds, abs=TOLERANCE_SECONDS)
    assert regular["abandoned_after"]["p50"] == pytest.approx(abandoned_seconds, abs=TOLERANCE_SECONDS)
    assert regular["within_norm"] == {"count": 1, "of": 2, "percent": 50.0}
    offers = total["offers"]
    assert (offers["offered"], offers["confirmed"], offers["declined"], offers["turned_away"]) == (1, 1, 0, 0)
    assert (total["punctuality"]["bookings"], total["punctuality"]["not_called"]) == (1, 1)
    [handled] = total["assistants"]
    assert (handled["headset"], handled["handled"]) == ("assistent1", 2)
