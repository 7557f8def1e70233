"""GET and DELETE /api/v1/callback-requests/{id}: an online request's status (number masked), its cancel."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from storage.audit import audit_entries
from storage.models import CallbackRequest
from tests.unit.web.api_v1_support import COLLECTION, bearer, create, new_token, requests_in_db
from tests.unit.web.booking import book
from tests.unit.web.conftest import Web


async def booked_id(web: Web, token: str) -> int:
    response = await create(web, token)
    assert response.status == 201
    return int((await response.json())["id"])


async def set_status(web: Web, request_id: int, status: str) -> None:
    async with web.ctx.db.sessions() as session, session.begin():
        await session.execute(
            update(CallbackRequest).where(CallbackRequest.id == request_id).values(status=status)
        )


async def test_reading_a_request_gives_its_status_and_slot_with_the_number_masked(web: Web) -> None:
    """200 with status, slot, attempts, source and urgency; only the last two digits of the number."""
    token = await new_token(web)
    request_id = await booked_id(web, token)
    response = await web.client.get(f"{COLLECTION}/{request_id}", headers=bearer(token))
    assert response.status == 200
    assert await response.json() == {
        "id": request_id,
        "status": "booked",
        "slot_start": "2026-11-23T10:15:00+01:00",
        "slot_end": "2026-11-23T10:30:00+01:00",
        "attempts": 0,
        "source": "online",
        "urgency": "U4",
        "phone": "********78",
    }
    [entry] = await audit_entries(web.ctx.db.sessions, username="api:triageformulier", limit=1)
    assert (entry.action, entry.target_id) == ("api_terugbelverzoek_bekeken", str(request_id))


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_an_unknown_id_or_a_phone_booking_is_404(web: Web, method: str) -> None:
    """Ids that are no online request of this practice do not exist for a client, whatever their form."""
    token = await new_token(web)
    by_phone = await book(web, "10:15")
    for request_id in ("999", str(by_phone.id), "abc", "0", "-1", "99999999999", "2147483648", "1.0"):
        response = await web.client.request(method, f"{COLLECTION}/{request_id}", headers=bearer(token))
        assert response.status == 404, request_id
        assert (await response.json())["error"] == "not_found"
    [row] = await requests_in_db(web)
    assert row.status == "booked"


async def test_cancelling_a_booked_request_frees_its_place_and_is_audited(web: Web) -> None:
    """200 cancelled; the row is cancelled, the slot's place given back, and the trail names the client."""
    token = await new_token(web)
    request_id = await booked_id(web, token)
    response = await web.client.delete(f"{COLLECTION}/{request_id}", headers=bearer(token))
    assert response.status == 200
    assert await response.json() == {"id": request_id, "status": "cancelled"}
    [row] = await requests_in_db(web)
    assert row.status == "cancelled"
    actions = [e.action for e in await audit_entries(web.ctx.db.sessions, username="api:triageformulier")]
    assert actions[0] == "api_terugbelverzoek_geannuleerd"
    # The place is free again: the next request gets the same slot.
    again = await create(web, token)
    assert (await again.json())["slot_start"] == "2026-11-23T10:15:00+01:00"


async def test_cancelling_twice_answers_cancelled_both_times(web: Web) -> None:
    """A client retrying its cancel gets the same answer, not an error."""
    token = await new_token(web)
    request_id = await booked_id(web, token)
    for _ in range(2):
        response = await web.client.delete(f"{COLLECTION}/{request_id}", headers=bearer(token))
        assert (response.status, (await response.json())["status"]) == (200, "cancelled")


@pytest.mark.parametrize("status", ["in_progress", "done", "not_reached"])
async def test_a_request_being_called_or_ended_cannot_be_cancelled(web: Web, status: str) -> None:
    """409 too_late; the request keeps its status."""
    token = await new_token(web)
    request_id = await booked_id(web, token)
    await set_status(web, request_id, status)
    response = await web.client.delete(f"{COLLECTION}/{request_id}", headers=bearer(token))
    assert response.status == 409
    assert (await response.json())["error"] == "too_late"
    [row] = await requests_in_db(web)
    assert row.status == status
    read = await web.client.get(f"{COLLECTION}/{request_id}", headers=bearer(token))
    assert (await read.json())["status"] == status
