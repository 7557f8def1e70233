"""An online request through the intake API, end to end: booked by the planner, listed, dialled headset
first at its time like a phone booking, and confirmed by a text the provider receives once, also when the
provider was down at first (the booking stands, the message is retried)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.e2e.helpers import REPO
from tests.e2e.message_provider import MessageProvider
from tests.e2e.sip import Phones
from tests.e2e.test_queue import hang_up, one_assistant_menu, rung_for

pytestmark = pytest.mark.e2e
PATIENT = "0612000901"
SUMMARY = "Sinds gisteren benauwd bij traplopen, geen pijn op de borst."


def every_minute() -> dict[str, Any]:
    """A one-minute slot grid all day with one place each: the earliest slot is at most a minute away."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {
        "timezone": "Europe/Amsterdam",
        "calls_per_assistant_per_hour": 60,
        "slot_minutes": 1,
        "blocks": {day: [{"start": "00:00", "end": "24:00", "assistants": 1}] for day in days},
        "closed_windows": [],
        "public_holidays": False,
        "min_lead_minutes": 0,
        "horizon_days": 1,
    }


def post(url: str, token: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), dict(error.headers)


def outbox(tmp_path: Path) -> list[tuple[str, int, str | None]]:
    with sqlite3.connect(tmp_path / "data" / "terugbel.sqlite3") as db:
        return list(
            db.execute("SELECT status, attempts, provider_message_id FROM outbound_message ORDER BY id")
        )


@pytest.fixture
def provider():
    server = MessageProvider()
    yield server
    server.close()


def test_an_online_request_is_booked_called_headset_first_and_confirmed_by_text(
    phones: Phones, headsets, controller_factory, tmp_path: Path, provider: MessageProvider
) -> None:
    """POST books the next free minute; the headset rings at it, then the patient; the text is retried
    while the provider is down and arrives once when it is up, with the time and without the reason."""
    capacity = tmp_path / "capacity.yaml"
    capacity.write_text(yaml.safe_dump(every_minute()))
    menu = one_assistant_menu()
    menu["messages"] = {"enabled": True, "channel": "sms", "events": ["booked"]}
    controller = controller_factory(
        menu,
        TERUGBEL_CAPACITY=str(capacity),
        TERUGBEL_MESSAGES_PROVIDER="twilio",
        TERUGBEL_TWILIO_ACCOUNT_SID="AC00000000000000000000000000000001",
        TERUGBEL_TWILIO_AUTH_TOKEN="e2e-secret",
        TERUGBEL_TWILIO_FROM="+3197010000001",
        TERUGBEL_TWILIO_BASE_URL=provider.base_url,
        TERUGBEL_MESSAGES_RETRY_SECONDS="1",
        TERUGBEL_MESSAGES_POLL_SECONDS="0.5",
    )
    token = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "tokens", "add", "triageformulier", "--scopes", "create,read"],
        env={"TERUGBEL_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    url = controller.web_url().rstrip("/") + "/api/v1/callback-requests"
    body = {
        "phone": "06-12000901",
        "name": "J. de Vries",
        "urgency": "U4",
        "summary": SUMMARY,
        "answers": {"koorts": False, "sinds_dagen": 1},
    }

    status, booked, _ = post(url, token, body, key="e2e-1")
    assert status == 201, booked
    slot = dt.datetime.fromisoformat(booked["slot_start"])
    assert dt.timedelta(0) <= slot - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=61)
    again, replayed, headers = post(url, token, body, key="e2e-1")
    assert (again, replayed["id"], headers.get("Idempotent-Replayed")) == (201, booked["id"], "true")

    # The provider is down: the booking stands and the text waits for a retry.
    controller.wait(
        lambda: any(attempts >= 2 for _, attempts, _ in outbox(tmp_path)), 20, "a retried message"
    )
    [(state, _, message_id)] = outbox(tmp_path)
    assert state in ("pending", "sending") and message_id is None, "not sent while the provider is down"
    # The provider comes back; the next retry (seconds away at this point of the backoff) will deliver it.
    provider.up()

    # At its minute the booking is dialled like a phone booking: the assistant first, then the patient.
    assistant = headsets["assistent1"]
    phones.wait(lambda: rung_for(assistant, PATIENT), 75, "the headset to ring at the booked minute")
    assert dt.datetime.now(dt.UTC) >= slot, "never before the promised time"
    assert not rung_for(phones.provider_account(), PATIENT), "the assistant first, then the patient"
    assistant.answer(PATIENT)
    patient_side = phones.provider_account()
    phones.wait(lambda: rung_for(patient_side, PATIENT), 30, "the patient to be dialled after the whisper")
    hang_up(rung_for(assistant, PATIENT)[0])

    # Delivered once, with the time and without the reason for the call.
    phones.wait(lambda: len(provider.received) >= 1, 20, "the text at the provider")
    phones.pump(3)
    [text] = provider.received
    assert text.path == "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json"
    assert (text.user, text.form["To"], text.form["From"]) == (
        "AC00000000000000000000000000000001",
        "+31612000901",
        "+3197010000001",
    )
    clock = slot.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%H:%M")
    assert f"om {clock} terug" in text.form["Body"] and "benauwd" not in text.form["Body"]
    controller.wait(lambda: outbox(tmp_path)[0][0] == "sent", 10, "the message marked sent")
    assert outbox(tmp_path)[0][2] == "SM" + "1".zfill(32)
