"""POST /api/v1/callback-requests: booking by urgency, U1/U2 refused with advice, every field validated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ivr.db.door import StoreUnavailable
from storage.audit import audit_entries
from tests.unit.web.api_v1_support import COLLECTION, bearer, create, new_token, requests_in_db, valid_body
from tests.unit.web.booking import AMS, book, today_at
from tests.unit.web.conftest import Web


async def test_a_u4_request_is_booked_in_the_earliest_slot_and_answered_in_dutch(web: Web) -> None:
    """201 with the slot in the practice's time zone, a Dutch promise, and a Location to read it back."""
    token = await new_token(web)
    response = await create(web, token)
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body == {
        "id": body["id"],
        "status": "booked",
        "source": "online",
        "slot_start": "2026-11-23T10:15:00+01:00",
        "slot_end": "2026-11-23T10:30:00+01:00",
        "promised": "maandag 23 november om 10:15",
        "urgency": "U4",
    }
    assert response.headers["Location"] == f"{COLLECTION}/{body['id']}"
    assert "Idempotent-Replayed" not in response.headers


async def test_the_booking_holds_the_anamnese_and_shows_in_the_assistants_list(web: Web) -> None:
    """The row is an online request with name, urgency, summary and answers; the screen lists it at once."""
    token = await new_token(web)
    response = await create(web, token, valid_body(phone="+31 6 12345678"))
    assert response.status == 201
    [row] = await requests_in_db(web)
    assert (row.source, row.number_source, row.phone, row.priority) == (
        "online",
        "online",
        "0612345678",
        False,
    )
    assert (row.patient_name, row.urgency) == ("J. de Vries", "U4")
    assert row.reason == valid_body()["summary"]
    assert row.triage == {"answers": valid_body()["answers"]}
    await web.login("anna")
    screen = await (await web.client.get("/api/screen")).json()
    [listed] = [r for group in screen["callbacks"]["groups"] for r in group["rows"]]
    assert (listed["id"], listed["source"], listed["reason"], listed["urgency"]) == (
        row.id,
        "online",
        row.reason,
        "U4",
    )


async def test_u3_uses_the_reserved_place_that_an_ordinary_request_cannot(web: Web) -> None:
    """With 10:15 full for ordinary requests, U4 goes to 10:30 and U3 still gets 10:15 with priority."""
    assert web.ctx.capacity is not None
    config = web.ctx.capacity.current
    ordinary_places = 7 - config.priority_reserved_per_slot  # the demo's Monday 10:15 slot holds 7
    for n in range(ordinary_places):
        await book(web, "10:15", phone=f"06123450{n:02d}")
    token = await new_token(web)
    ordinary = await (await create(web, token, valid_body(urgency="U4", phone="0612340001"))).json()
    urgent = await (await create(web, token, valid_body(urgency="U3", phone="0612340002"))).json()
    assert ordinary["slot_start"] == "2026-11-23T10:30:00+01:00"
    assert urgent["slot_start"] == "2026-11-23T10:15:00+01:00"
    rows = {r.id: r for r in await requests_in_db(web)}
    assert (rows[urgent["id"]].priority, rows[ordinary["id"]].priority) == (True, False)


async def test_a_preferred_window_books_its_first_slot(web: Web) -> None:
    """The earliest slot starting inside [from, to) is booked, not the earliest of the day."""
    token = await new_token(web)
    window = {"from": today_at(web, "11:00").isoformat(), "to": today_at(web, "12:00").isoformat()}
    response = await create(web, token, valid_body(preferred_window=window))
    assert response.status == 201
    assert (await response.json())["slot_start"] == "2026-11-23T11:00:00+01:00"


async def test_no_slot_in_the_window_is_a_409_with_the_reason_and_next_day(web: Web) -> None:
    """A window that closes before the first free slot books nothing and says why, in Dutch."""
    token = await new_token(web)
    window = {"from": today_at(web, "09:00").isoformat(), "to": today_at(web, "10:10").isoformat()}
    response = await create(web, token, valid_body(preferred_window=window))
    assert response.status == 409
    body = await response.json()
    assert body["error"] == "no_slot" and body["reason"] == "outside_window"
    assert body["next_open_day"] == "2026-11-23"
    assert "tijdvak" in body["message"] and "maandag 23 november" in body["message"]
    assert await requests_in_db(web) == []


@pytest.mark.parametrize(
    ("urgency", "advice"),
    [("U1", "bel direct 112"), ("U2", "op 0201234567 en kies 1 voor spoed")],
)
async def test_u1_and_u2_are_refused_with_where_to_call_and_never_booked(
    web: Web, urgency: str, advice: str
) -> None:
    """U1 is told to call 112, U2 the practice's spoed line; even with other fields wrong; nothing booked."""
    token = await new_token(web)
    for body in (valid_body(urgency=urgency), {"urgency": urgency, "phone": "0900 1234567"}):
        response = await create(web, token, body)
        assert response.status == 422
        refusal = await response.json()
        assert (refusal["error"], refusal["field"]) == ("urgent_call_112", "urgency")
        assert advice in refusal["message"]
        assert "Er is geen terugbelverzoek gemaakt." in refusal["message"]
    assert await requests_in_db(web) == []
    actions = [e.action for e in await audit_entries(web.ctx.db.sessions, username="api:triageformulier")]
    assert actions == ["api_spoed_doorverwezen", "api_spoed_doorverwezen"]


@pytest.mark.parametrize(
    "phone",
    ["+32 470 12 34 56", "0900 1234567", "06-1234", "06 12345678 toestel 2", "bel me maar", "0669123456"],
)
async def test_a_number_that_cannot_be_called_back_is_refused_on_the_phone_field(
    web: Web, phone: str
) -> None:
    """Foreign, premium-rate, pager, malformed or with an extension: 422 naming "phone"."""
    token = await new_token(web)
    response = await create(web, token, valid_body(phone=phone))
    assert response.status == 422
    assert (await response.json())["field"] == "phone"
    assert await requests_in_db(web) == []


WINDOW = {"from": "2026-11-23T11:00:00+01:00", "to": "2026-11-23T12:00:00+01:00"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "Jan\nde Vries"}, "name"),
        ({"name": " "}, "name"),
        ({"urgency": "U6"}, "urgency"),
        ({"urgency": 4}, "urgency"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 4001}, "summary"),
        ({"summary": "nul\x00byte"}, "summary"),
        ({"phone": 612345678}, "phone"),
        ({"bsn": "123456782"}, "bsn"),
        ({"answers": {"klachten": {"keel": True}}}, "answers.klachten"),
        ({"answers": {"klachten": ["keel"]}}, "answers.klachten"),
        ({"answers": {"x": "y" * 501}}, "answers.x"),
        ({"answers": {f"vraag{n}": n for n in range(51)}}, "answers"),
        ({"answers": ["koorts"]}, "answers"),
        ({"preferred_window": {"from": "2026-11-23T11:00:00", "to": WINDOW["to"]}}, "preferred_window.from"),
        ({"preferred_window": {"from": WINDOW["to"], "to": WINDOW["from"]}}, "preferred_window"),
        ({"preferred_window": {"from": "0001-01-01T00:00:00+14:00", "to": WINDOW["to"]}}, "preferred_window"),
        ({"preferred_window": {**WINDOW, "tot": WINDOW["to"]}}, "preferred_window.tot"),
        ({"preferred_window": "morgen"}, "preferred_window"),
    ],
)
async def test_an_invalid_field_is_a_422_naming_it(web: Web, changes: dict[str, Any], field: str) -> None:
    """Wrong types, lengths, characters, extra fields, bad windows: 422, the field named, nothing booked."""
    token = await new_token(web)
    body = valid_body(**changes)
    body = {k: v for k, v in body.items() if v is not None}
    response = await create(web, token, body)
    assert response.status == 422, await response.text()
    refusal = await response.json()
    assert (refusal["error"], refusal["field"]) == ("invalid", field)
    assert refusal["message"].startswith(field)
    assert await requests_in_db(web) == []


@pytest.mark.parametrize(
    "raw", [b"{bad", b"[1, 2]", b"", b'"U4"', b'{"summary": NaN}', b'{"name": "\\ud800"}']
)
async def test_a_body_that_is_no_json_object_is_a_400_naming_the_body(web: Web, raw: bytes) -> None:
    """Malformed JSON, another JSON value, NaN or a lone surrogate: 400 with field "body", never a 5xx."""
    token = await new_token(web)
    response = await web.client.post(
        COLLECTION, data=raw, headers=bearer(token, Content_Type="application/json")
    )
    assert response.status == 400
    assert (await response.json())["field"] == "body"


async def test_a_body_over_the_limit_is_a_413(web: Web) -> None:
    """A body far larger than any triage form sends is refused before it is parsed."""
    token = await new_token(web)
    response = await create(web, token, valid_body(summary="x" * 70_000))
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"


async def test_a_practice_without_online_intake_answers_503(web: Web) -> None:
    """No IntakeService configured: the practice takes no online requests; the client is told so."""
    token = await new_token(web)
    web.ctx.intake = None
    response = await create(web, token)
    assert response.status == 503
    assert (await response.json())["error"] == "intake_unavailable"


async def test_a_database_away_during_the_booking_is_a_503(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """StoreUnavailable from the booking gives 503 database_unavailable, never a 500."""
    token = await new_token(web)

    async def away(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("test")

    assert web.ctx.intake is not None
    monkeypatch.setattr(web.ctx.intake, "book", away)
    response = await create(web, token)
    assert response.status == 503
    assert (await response.json())["error"] == "database_unavailable"


async def test_a_booking_is_audited_under_the_tokens_name_without_the_number(web: Web) -> None:
    """The trail says which client booked which request, when; the phone number is not in it."""
    token = await new_token(web)
    booked = await (await create(web, token)).json()
    [entry] = await audit_entries(web.ctx.db.sessions, username="api:triageformulier")
    assert (entry.action, entry.target_type, entry.target_id) == (
        "api_terugbelverzoek_aangemaakt",
        "callback_request",
        str(booked["id"]),
    )
    assert entry.detail["urgentie"] == "U4"
    assert dt.datetime.fromisoformat(entry.detail["tijdvak"]).astimezone(AMS).hour == 10
    assert "12345678" not in str(entry.detail)
