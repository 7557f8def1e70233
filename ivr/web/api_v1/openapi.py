"""The OpenAPI 3.1 document of /api/v1: the bodies from the pydantic models, the paths written here.

The schemas are the models the handlers validate and answer with (model_json_schema), so they cannot say
something else than the code does; the paths are short and written out, and a test compares them with
the router's routes. Every refusal an operation can give is listed with the error body's schema.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ivr.web.api_v1.idempotency import KEY_HEADER, KEY_PATTERN, REPLAYED_HEADER
from ivr.web.api_v1.models import (
    ApiError,
    CallbackCancelled,
    CallbackCreated,
    CallbackRequestIn,
    CallbackStatus,
    NoSlotError,
)
from storage.models_intake import IDEMPOTENCY_KEY_LENGTH

VERSION = "1.0.0"
COLLECTION = "/api/v1/callback-requests"
ITEM = "/api/v1/callback-requests/{request_id}"
DOCUMENT = "/api/v1/openapi.json"
SECURITY = "bearer"

_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (CallbackRequestIn, "validation"),
    (CallbackCreated, "serialization"),
    (CallbackStatus, "serialization"),
    (CallbackCancelled, "serialization"),
    (ApiError, "serialization"),
    (NoSlotError, "serialization"),
]

DESCRIPTION = """\
Callback requests made online, e.g. by a triage form (NTS urgency U3-U5), booked by the practice's own
callback planner. U1 and U2 are never booked: the answer (422, error "urgent_call_112") tells the patient
to call 112 or the practice's spoed line. Send an `Idempotency-Key` with every create: a retry with the
same key and body gets the first answer again (header `Idempotent-Replayed: true`) and never books twice.
Every refusal is a JSON body {error, message, field?}; `message` is Dutch, for the patient or assistant.
"""


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _refusal(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": _json(_ref(ApiError))}
    if headers:
        response["headers"] = headers
    return response


def _header(description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


_REPLAYED = _header("`true` when this is the stored answer to an earlier request with the same key.", {
    "type": "string", "enum": ["true"]
})  # fmt: skip

# The refusals every authenticated operation can give.
_COMMON: dict[str, Any] = {
    "401": _refusal(
        "No token, or one that is unknown or revoked.",
        {"WWW-Authenticate": _header("The Bearer challenge.", {"type": "string"}, required=True)},
    ),
    "403": _refusal("The token lacks this operation's scope."),
    "429": _refusal(
        "Too many requests with this token.",
        {
            "Retry-After": _header(
                "Seconds to wait.", {"type": "string", "pattern": "^[0-9]+$"}, required=True
            )
        },
    ),
    "503": _refusal("The database is not reachable, or the practice takes no online requests."),
}

_REQUEST_ID = {
    "name": "request_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "The id from the create answer; an id that is no online request of this practice is 404.",
}


def _paths() -> dict[str, Any]:
    create = {
        "operationId": "createCallbackRequest",
        "summary": "Book a callback (U3 with priority, U4/U5 ordinary); U1/U2 are refused with advice",
        "parameters": [
            {
                "name": KEY_HEADER,
                "in": "header",
                "required": False,
                "description": "Makes retries safe: one booking per key (per token), kept for a day.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": IDEMPOTENCY_KEY_LENGTH,
                    "pattern": KEY_PATTERN,
                },
            }
        ],
        "requestBody": {"required": True, "content": _json(_ref(CallbackRequestIn))},
        "responses": {
            "201": {
                "description": "Booked: the answer says when the practice will call.",
                "headers": {
                    "Location": _header("The request's URL.", {"type": "string"}),
                    REPLAYED_HEADER: _REPLAYED,
                },
                "content": _json(_ref(CallbackCreated)),
            },
            "400": _refusal("The body is no JSON object, or the Idempotency-Key is malformed."),
            "409": {
                "description": (
                    "No slot could be booked (error no_slot: why, and the next day with slots), or a "
                    "request with this Idempotency-Key is still being handled."
                ),
                "headers": {REPLAYED_HEADER: _REPLAYED},
                "content": _json({"anyOf": [_ref(NoSlotError), _ref(ApiError)]}),
            },
            "413": _refusal("The body is too large."),
            "422": _refusal(
                "A field is invalid (named in `field`), the urgency is U1/U2 (error urgent_call_112), "
                "or the Idempotency-Key was used for another request."
            ),
            **_COMMON,
        },
    }
    read = {
        "operationId": "getCallbackRequest",
        "summary": "Where an online request stands (the number masked)",
        "responses": {
            "200": {"description": "The request.", "content": _json(_ref(CallbackStatus))},
            "404": _refusal("No online request of this practice has this id."),
            **_COMMON,
        },
    }
    cancel = {
        "operationId": "cancelCallbackRequest",
        "summary": "Cancel an online request; its place is given back",
        "responses": {
            "200": {
                "description": "Cancelled (also when it already was).",
                "content": _json(_ref(CallbackCancelled)),
            },
            "404": _refusal("No online request of this practice has this id."),
            "409": _refusal("It is being called or has already ended (error too_late)."),
            **_COMMON,
        },
    }
    openapi = {
        "operationId": "getOpenApiDocument",
        "summary": "This document",
        "security": [],
        "responses": {
            "200": {"description": "The OpenAPI 3.1 document.", "content": _json({"type": "object"})}
        },
    }
    return {
        COLLECTION: {"post": create},
        ITEM: {"parameters": [_REQUEST_ID], "get": read, "delete": cancel},
        DOCUMENT: {"get": openapi},
    }


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once; the same object every time: do not change it)."""
    _, top = models_json_schema(_MODELS, ref_template="#/components/schemas/{model}")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Terugbel intake API", "version": VERSION, "description": DESCRIPTION},
        "security": [{SECURITY: []}],
        "paths": _paths(),
        "components": {
            "schemas": top["$defs"],
            "securitySchemes": {
                SECURITY: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (tbk_...) from the practice's admin, scoped to operations.",
                }
            },
        },
    }
