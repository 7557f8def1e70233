"""The intake API's routes: book, read and cancel a callback request, and the OpenAPI document.

The decisions are ivr.intake.service's; this validates, refuses U1/U2 with advice, makes retries safe
(ivr.web.api_v1.idempotency), and writes every action to the audit trail under the token's name. A request
made by phone is not the API's to read or cancel: to a client it does not exist.
"""

from __future__ import annotations

import re
from typing import Any

import pydantic_core
import structlog
from aiohttp import web
from pydantic import ValidationError

from common.phone import callback_number
from ivr.db.door import StoreUnavailable
from ivr.intake.service import Booked, Intake, IntakeService
from ivr.web.api_v1.answers import cancelled_body, created_body, no_slot_body, status_body, urgent_message
from ivr.web.api_v1.auth import RATE_LIMITS, TokenBuckets, audit_username, client_of
from ivr.web.api_v1.idempotency import Answer, key_of, once, request_hash
from ivr.web.api_v1.models import CallbackRequestIn
from ivr.web.api_v1.openapi import document
from ivr.web.auth import API_V1_DOCUMENT
from ivr.web.context import WebContext, context_of
from ivr.web.errors import refuse
from ivr.web.screen import practice_tz
from storage.api_tokens import TokenInfo
from storage.audit import record_audit
from storage.models import CallbackRequest
from storage.status import RequestSource, Urgency

log = structlog.get_logger(__name__)

COLLECTION = "/api/v1/callback-requests"
ITEM = "/api/v1/callback-requests/{request_id}"
# A triage summary of 4000 characters, answers and a window fit many times over.
MAX_BODY = 64 * 1024
# callback_request.id is a 32-bit integer on PostgreSQL: a larger id is no request, not a database error.
MAX_ID = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")
AUDIT_TARGET = "callback_request"
URGENT = (Urgency.U1.value, Urgency.U2.value)


def add_api_routes(app: web.Application) -> None:
    """Mount /api/v1; the OpenAPI document there describes exactly these routes (a test holds it to it)."""
    app[RATE_LIMITS] = TokenBuckets()
    app.router.add_post(COLLECTION, create)
    app.router.add_get(ITEM, read, allow_head=False)
    app.router.add_delete(ITEM, cancel)
    app.router.add_get(API_V1_DOCUMENT, openapi_document, allow_head=False)


async def openapi_document(request: web.Request) -> web.StreamResponse:
    return web.json_response(document())


async def create(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    client = client_of(request, "create")
    raw = await _json_object(request)
    if raw.get("urgency") in URGENT:
        # Before any other check: whatever else is wrong, this patient must hear where to go now.
        urgency = Urgency(raw["urgency"])
        await _audit_quietly(ctx, client, "api_spoed_doorverwezen", None, urgentie=urgency.value)
        message = urgent_message(urgency, ctx.menus.current)
        raise refuse(422, "urgent_call_112", message, field="urgency")
    key = key_of(request)
    body = _validated(raw)
    phone = callback_number(body.phone)
    if phone is None:
        message = (
            "phone: geef een Nederlands nummer waarop de praktijk kan terugbellen (geen 0900 of buitenland)."
        )
        raise refuse(422, "invalid", message, field="phone")
    service = _service(ctx)
    window = body.preferred_window
    intake = Intake(
        phone=phone,
        name=body.name,
        urgency=body.urgency,
        summary=body.summary,
        answers=dict(body.answers),
        window_from=window.start if window else None,
        window_to=window.end if window else None,
    )
    asked = body.model_dump(mode="json", by_alias=True) | {"phone": phone}

    async def work() -> Answer:
        result = await service.book(intake, client=audit_username(client))
        if isinstance(result, Booked):
            booked = result.request
            await _audit_quietly(
                ctx,
                client,
                "api_terugbelverzoek_aangemaakt",
                booked.id,
                urgentie=intake.urgency.value,
                tijdvak=booked.slot_start.isoformat() if booked.slot_start else None,
            )
            answer = created_body(booked, practice_tz(ctx))
            return Answer(201, answer, _headers_of(201, answer))
        await _audit_quietly(
            ctx,
            client,
            "api_terugbelverzoek_niet_geboekt",
            None,
            urgentie=intake.urgency.value,
            reden=result.reason,
        )
        return Answer(409, no_slot_body(result))

    return await once(ctx, client, key, request_hash("POST", COLLECTION, asked), work, _headers_of)


async def read(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    client = client_of(request, "read")
    found = await _online_request(ctx, _request_id(request))
    # Audited before it is shown: a read the trail cannot record is not answered.
    await _audit(ctx, client, "api_terugbelverzoek_bekeken", found.id)
    return web.json_response(status_body(found, practice_tz(ctx)))


async def cancel(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    client = client_of(request, "cancel")
    found = await _online_request(ctx, _request_id(request))
    result = await _service(ctx).cancel(found.id, client=audit_username(client))
    if result == "not_found":
        raise _not_found()
    if result == "too_late":
        await _audit_quietly(ctx, client, "api_annuleren_geweigerd", found.id, status=found.status)
        message = "Dit verzoek wordt nu gebeld of is al afgehandeld; het kan niet meer geannuleerd worden."
        raise refuse(409, "too_late", message)
    await _audit_quietly(ctx, client, "api_terugbelverzoek_geannuleerd", found.id)
    return web.json_response(cancelled_body(found.id))


def _headers_of(status: int, body: dict[str, Any]) -> dict[str, str]:
    if status == 201 and isinstance(body.get("id"), int):
        return {"Location": f"{COLLECTION}/{body['id']}"}
    return {}


def _service(ctx: WebContext) -> IntakeService:
    if ctx.intake is None:
        message = "Deze praktijk neemt geen terugbelverzoeken aan via internet; bel de praktijk."
        raise refuse(503, "intake_unavailable", message)
    return ctx.intake


async def _json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; 413 if too large, 400 naming "body" if it is no JSON object."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise refuse(413, "too_large", "Het verzoek is te groot.", field="body")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise refuse(413, "too_large", "Het verzoek is te groot.", field="body")
    try:
        # Strict JSON: no NaN or Infinity, no lone surrogates (they could not be stored).
        data = pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError:
        raise refuse(400, "invalid_json", "Het verzoek is geen geldige JSON (UTF-8).", field="body") from None
    if not isinstance(data, dict):
        raise refuse(400, "invalid_json", "Het verzoek moet een JSON-object zijn.", field="body")
    return data


def _validated(raw: dict[str, Any]) -> CallbackRequestIn:
    try:
        return CallbackRequestIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        # An answer's value is a union: its last part names the member tried, not a field.
        field = ".".join(loc[:2] if loc[:1] == ["answers"] else loc) or "body"
        raise refuse(422, "invalid", f"{field}: {first['msg']}", field=field) from None


def _request_id(request: web.Request) -> int:
    text = request.match_info.get("request_id", "")
    if _ID.fullmatch(text) is None or not 0 < int(text) <= MAX_ID:
        raise _not_found()
    return int(text)


def _not_found() -> web.HTTPException:
    return refuse(404, "not_found", "Dit terugbelverzoek bestaat niet.")


async def _online_request(ctx: WebContext, request_id: int) -> CallbackRequest:
    found = await _service(ctx).status(request_id)
    if found is None or found.source != RequestSource.ONLINE:
        raise _not_found()
    return found


async def _audit(ctx: WebContext, client: TokenInfo, action: str, target: int | None, **detail: Any) -> None:
    await ctx.db.run(
        record_audit,
        username=audit_username(client),
        action=action,
        target_type=AUDIT_TARGET if target is not None else None,
        target_id=target,
        detail={"sleutel": client.prefix, **detail},
        at=ctx.clock(),
    )


async def _audit_quietly(
    ctx: WebContext, client: TokenInfo, action: str, target: int | None, **detail: Any
) -> None:
    """Audit what already happened: a trail that cannot be written never undoes it (nor repeats it)."""
    try:
        await _audit(ctx, client, action, target, **detail)
    except StoreUnavailable:
        log.warning("api_audit_not_written", action=action, token_id=client.id)
