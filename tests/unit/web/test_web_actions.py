"""The screen's actions: each checked on the server, refused with a reason, and recorded with who and when."""

from __future__ import annotations

import asyncio

import pytest

from storage.audit import audit_entries
from storage.headsets import headset_states
from storage.requests import callback_request
from tests.unit.web.booking import book, today_at
from tests.unit.web.conftest import Web
from tests.unit.web.live import attach_live_core

ROUTES = ["call-now", "done", "not-reached", "move", "delete"]


async def _post(web: Web, csrf: str, path: str, body: object) -> tuple[int, dict]:
    response = await web.client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    return response.status, await response.json()


async def _status(web: Web, request_id: int) -> str:
    stored = await callback_request(web.ctx.db.sessions, await web.ctx.practice.id(), request_id)
    assert stored is not None
    return stored.status


@pytest.mark.parametrize("route", ROUTES)
async def test_every_action_without_the_csrf_token_changes_nothing(web: Web, route: str) -> None:
    """Each action posted without the session's CSRF token is refused with 403; the request stays booked."""
    await web.login("anna")
    request = await book(web, "10:00")
    response = await web.client.post(f"/api/callbacks/{request.id}/{route}", json={"reason": "x"})
    assert response.status == 403
    assert await _status(web, request.id) == "booked"


async def test_bel_nu_before_the_promised_time_is_refused(web: Web) -> None:
    """Calling a patient before her slot would break the promise: 409 not_due, no headset rung."""
    csrf = await web.login("anna")
    core = attach_live_core(web)
    request = await book(web, "11:00")
    status, body = await _post(web, csrf, f"/api/callbacks/{request.id}/call-now", {"headset": "assistent1"})
    assert (status, body["error"]) == (409, "not_due")
    assert core.dialled == []


async def test_bel_nu_rings_this_headset_through_the_dispatcher_and_shows_who_calls(web: Web) -> None:
    """A due request is dialled via the chosen headset; the row shows it; the number is not dialled twice."""
    csrf = await web.login("anna")
    core = attach_live_core(web)
    request = await book(web, "10:00", "0612345678")
    same_number = await book(web, "10:00", "0612345678")
    status, _ = await _post(web, csrf, f"/api/callbacks/{request.id}/call-now", {"headset": "assistent3"})
    assert status == 200
    async with asyncio.timeout(2):
        await core.dialling.wait()
    assert core.dialled == [("assistent3", request.id)]
    (row, _) = (await (await web.client.get("/api/screen")).json())["callbacks"]["groups"][0]["rows"]
    assert row["calling"] == "assistent3"
    status, body = await _post(
        web, csrf, f"/api/callbacks/{same_number.id}/call-now", {"headset": "assistent1"}
    )
    assert (status, body["error"]) == (409, "number_busy")
    assert next(e.action for e in await audit_entries(web.ctx.db.sessions)) == "bel_nu"
    core.release.set()


async def test_bel_nu_in_standby_or_with_an_unknown_headset_is_refused(web: Web) -> None:
    """Without an active controller Bel nu is 503; an unknown headset is 400 naming the field."""
    csrf = await web.login("anna")
    request = await book(web, "10:00")
    status, body = await _post(web, csrf, f"/api/callbacks/{request.id}/call-now", {"headset": "assistent1"})
    assert (status, body["error"]) == (503, "standby")
    attach_live_core(web)
    status, body = await _post(web, csrf, f"/api/callbacks/{request.id}/call-now", {"headset": "nobody"})
    assert (status, body["field"]) == (400, "headset")
    status, body = await _post(web, csrf, f"/api/callbacks/{request.id}/call-now", {})
    assert (status, body["field"]) == (400, "headset")


async def test_done_and_not_reached_end_the_request_and_record_who(web: Web) -> None:
    """Afgehandeld and Niet bereikt set the status, move the row to the finished list and are audited."""
    csrf = await web.login("anna")
    first = await book(web, "10:00")
    second = await book(web, "10:15", "0687654321")
    assert (await _post(web, csrf, f"/api/callbacks/{first.id}/done", {}))[0] == 200
    assert (await _post(web, csrf, f"/api/callbacks/{second.id}/not-reached", {}))[0] == 200
    assert (await _status(web, first.id), await _status(web, second.id)) == ("done", "not_reached")
    callbacks = (await (await web.client.get("/api/screen")).json())["callbacks"]
    assert callbacks["groups"] == []
    assert {r["id"] for r in callbacks["finished"]} == {first.id, second.id}
    entries = await audit_entries(web.ctx.db.sessions)
    assert [(e.username, e.action) for e in entries[:2]] == [
        ("anna", "niet_bereikt"),
        ("anna", "afgehandeld"),
    ]
    status, body = await _post(web, csrf, f"/api/callbacks/{first.id}/done", {})
    assert (status, body["error"]) == (409, "not_active")


async def test_delete_needs_a_reason(web: Web) -> None:
    """Verwijderen without a reason is 400 naming `reason` and keeps the request; with one it is cancelled."""
    csrf = await web.login("anna")
    request = await book(web, "10:00")
    for body in ({}, {"reason": "   "}, {"reason": "x" * 501}):
        status, answer = await _post(web, csrf, f"/api/callbacks/{request.id}/delete", body)
        assert (status, answer["field"]) == (400, "reason")
    assert await _status(web, request.id) == "booked"
    assert (await _post(web, csrf, f"/api/callbacks/{request.id}/delete", {"reason": "dubbel"}))[0] == 200
    assert await _status(web, request.id) == "cancelled"


async def test_move_only_to_a_real_slot_with_room(web: Web) -> None:
    """Moving is refused to a time that is no slot or has begun, and to a full slot; a free one takes it."""
    csrf = await web.login("anna")
    request = await book(web, "10:15")
    for _ in range(6):  # the demo's Monday slots hold 7, one of them kept for priority requests
        await book(web, "11:00", "0600000000")
    path = f"/api/callbacks/{request.id}/move"
    cases = [
        ({"slot_start": today_at(web, "11:07").isoformat()}, 400, "slot_start"),
        ({"slot_start": today_at(web, "09:45").isoformat()}, 400, "slot_start"),
        ({"slot_start": "2026-11-23T11:00:00"}, 400, "slot_start"),  # no zone
        ({}, 400, "slot_start"),
    ]
    for body, status, field in cases:
        got, answer = await _post(web, csrf, path, body)
        assert (got, answer.get("field")) == (status, field), body
    got, answer = await _post(web, csrf, path, {"slot_start": today_at(web, "11:00").isoformat()})
    assert (got, answer["error"]) == (409, "full")
    slots = await (await web.client.get(f"/api/callbacks/{request.id}/slots")).json()
    today = [s["start"] for s in slots["days"][0]["slots"]]
    assert today_at(web, "11:00").isoformat() not in today and today_at(web, "11:15").isoformat() in today
    assert (await _post(web, csrf, path, {"slot_start": today_at(web, "11:15").isoformat()}))[0] == 200
    stored = await callback_request(web.ctx.db.sessions, await web.ctx.practice.id(), request.id)
    assert stored is not None and stored.due_at == today_at(web, "11:15")


async def test_a_headset_state_is_stored_and_the_dispatcher_follows_it(web: Web) -> None:
    """Pauze is stored with who set it, and a paused headset gets no work from the dispatcher."""
    csrf = await web.login("anna")
    core = attach_live_core(web)
    status, _ = await _post(web, csrf, "/api/headsets/assistent1/state", {"state": "pauze"})
    assert status == 200
    (row,) = await headset_states(web.ctx.db.sessions, await web.ctx.practice.id())
    assert (row.headset, row.state, row.changed_by) == ("assistent1", "pauze", "anna")
    assert core.dispatcher.live_headsets() == 1  # assistent2 only; assistent3 does callbacks
    status, body = await _post(web, csrf, "/api/headsets/assistent1/state", {"state": "koffie"})
    assert (status, body["field"]) == (400, "state")
    status, _ = await _post(web, csrf, "/api/headsets/onbekend/state", {"state": "pauze"})
    assert status == 404


@pytest.mark.parametrize("raw", [b"", b"[1]", b"{not json", b'{"reason": "ok", "extra": 1}'])
async def test_a_malformed_body_is_400_naming_what_is_wrong(web: Web, raw: bytes) -> None:
    """Bodies that are not a JSON object of the expected fields are refused with the field named."""
    csrf = await web.login("anna")
    request = await book(web, "10:00")
    response = await web.client.post(
        f"/api/callbacks/{request.id}/delete",
        data=raw,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["field"] in {"body", "reason", "extra"}
    assert await _status(web, request.id) == "booked"


async def test_an_action_on_a_row_changed_meanwhile_is_refused(web: Web) -> None:
    """Afgehandeld sent with the version the screen showed is refused once another assistant moved the row."""
    csrf = await web.login("anna")
    request = await book(web, "10:15")
    (row,) = (await (await web.client.get("/api/screen")).json())["callbacks"]["groups"][0]["rows"]
    move = {"slot_start": today_at(web, "11:15").isoformat(), "seen": row["version"]}
    assert (await _post(web, csrf, f"/api/callbacks/{request.id}/move", move))[0] == 200
    status, body = await _post(web, csrf, f"/api/callbacks/{request.id}/done", {"seen": row["version"]})
    assert (status, body["error"]) == (409, "changed")
    assert await _status(web, request.id) == "booked"
