"""The screen's data: callbacks in dispatch order, masked numbers, lateness, the live queue, events."""

from __future__ import annotations

import asyncio

from storage.audit import audit_entries
from storage.queue import join_queue
from tests.unit.web.booking import book, today_at
from tests.unit.web.conftest import Web
from tests.unit.web.live import attach_live_core


async def _screen(web: Web) -> dict:
    response = await web.client.get("/api/screen")
    assert response.status == 200, await response.text()
    return await response.json()


async def test_callbacks_are_grouped_by_block_in_dispatch_order_with_masked_numbers(web: Web) -> None:
    """Priority first, then by time, in the block's group; numbers masked, never whole."""
    await web.login("anna")
    later = await book(web, "11:00", "0611111111", reason="recept verlengen")
    early = await book(web, "10:15", "0622222222")
    urgent = await book(web, "11:30", "0633333333", priority=True)
    body = await _screen(web)
    (group,) = body["callbacks"]["groups"]
    assert group["title"] == "Terugbelblok 10:00–12:00"
    assert [r["id"] for r in group["rows"]] == [urgent.id, early.id, later.id]
    first = group["rows"][2]
    assert first["number"] != "0611111111" and first["number"].endswith("11")
    assert first["source"] == "telefoon" and first["reason"] == "recept verlengen"
    assert "0611111111" not in await (await web.client.get("/api/screen")).text()


async def test_a_callback_past_its_quarter_hour_is_late_and_a_future_one_not_due(web: Web) -> None:
    """At 10:40 the 10:15 promise is late (by 25 min); the 11:00 one is not due yet."""
    await web.login("anna")
    late = await book(web, "10:15")
    future = await book(web, "11:00", "0699999999")
    web.clock.now = today_at(web, "10:40")
    rows = {r["id"]: r for r in (await _screen(web))["callbacks"]["groups"][0]["rows"]}
    assert rows[late.id]["late"] and rows[late.id]["late_minutes"] == 25 and rows[late.id]["due"]
    assert not rows[future.id]["late"] and not rows[future.id]["due"]
    assert (await _screen(web))["callbacks"]["counts"]["late"] == 1


async def test_the_full_number_is_given_on_post_and_audited(web: Web) -> None:
    """Asking for the full number answers it and records who saw which request's number."""
    csrf = await web.login("anna")
    request = await book(web, "10:15", "0612345678")
    assert (await web.client.get(f"/api/callbacks/{request.id}/number")).status == 405
    response = await web.client.post(f"/api/callbacks/{request.id}/number", headers={"X-CSRF-Token": csrf})
    assert (await response.json()) == {"number": "0612345678"}
    (entry, *_) = await audit_entries(web.ctx.db.sessions)
    assert (entry.username, entry.action, entry.target_id) == ("anna", "nummer_bekeken", str(request.id))


async def test_an_unknown_or_malformed_request_id_is_404(web: Web) -> None:
    """Ids that do not exist, or are not numbers, get 404 naming request_id."""
    csrf = await web.login("anna")
    for request_id in ("999", "abc", "1%2F..%2F2"):
        response = await web.client.post(
            f"/api/callbacks/{request_id}/number", headers={"X-CSRF-Token": csrf}
        )
        assert response.status == 404


async def test_a_voice_note_is_streamed_and_audited(web: Web) -> None:
    """The recorded question plays from our own URL; the listen is in the audit trail."""
    from storage.requests import attach_voice_note

    await web.login("anna")
    request = await book(web, "10:15")
    assert web.ctx.recordings_dir is not None
    (web.ctx.recordings_dir / "voicenotes").mkdir()
    (web.ctx.recordings_dir / "voicenotes" / "q1.wav").write_bytes(b"RIFF0000WAVE")
    await attach_voice_note(web.ctx.db.sessions, request.id, "voicenotes/q1")
    response = await web.client.get(f"/api/callbacks/{request.id}/voice-note")
    assert response.status == 200 and await response.read() == b"RIFF0000WAVE"
    assert response.headers["Content-Type"] == "audio/wav"
    assert next(e.action for e in await audit_entries(web.ctx.db.sessions)) == "spraakbericht_beluisterd"


async def test_a_voice_note_outside_the_recordings_folder_is_never_served(web: Web) -> None:
    """A reference that climbs out of the recordings folder gives 404, not the file."""
    from storage.requests import attach_voice_note

    await web.login("anna")
    request = await book(web, "10:15")
    await attach_voice_note(web.ctx.db.sessions, request.id, "../web")
    assert (await web.client.get(f"/api/callbacks/{request.id}/voice-note")).status == 404


async def test_standby_says_so_and_an_active_controller_shows_queue_and_headsets(web: Web) -> None:
    """Without an active controller the live part says standby; with one it shows who waits, masked."""
    await web.login("anna")
    assert (await _screen(web))["live"]["active"] is False
    core = attach_live_core(web)
    entry = await join_queue(
        web.ctx.db.sessions,
        practice_id=await web.ctx.practice.id(),
        call_id="c1",
        channel_id="ch1",
        phone="0687654321",
        group="patient",
        rank=1,
        arrived_at=web.clock(),
    )
    core.dispatcher.join(entry.id, 1, web.clock())
    web.clock.advance(seconds=90)
    live = (await _screen(web))["live"]
    assert live["active"] is True
    (waiting,) = live["waiting"]
    assert waiting["position"] == 1 and waiting["waiting_seconds"] == 90
    assert waiting["number"].endswith("21") and "0687654321" not in waiting["number"]
    assert [h["name"] for h in live["headsets"]] == ["assistent1", "assistent2", "assistent3"]


async def test_the_event_stream_says_what_changed_within_a_second(web: Web) -> None:
    """A change notice (a booking by a call) reaches an open stream as a `changed` event."""
    await web.login("anna")
    response = await web.client.get("/api/events")
    assert response.headers["Content-Type"].startswith("text/event-stream")

    async def next_event() -> str:
        lines = []
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line == "" and lines:
                return "\n".join(lines)
            if line and not line.startswith(":"):
                lines.append(line)

    async with asyncio.timeout(5):
        assert (await next_event()).startswith("retry:")
        assert (await next_event()).startswith("event: ready")
        web.ctx.notifier.publish("callbacks")
    async with asyncio.timeout(1):
        assert await next_event() == 'event: changed\ndata: {"topics": ["callbacks"]}'
    response.close()
