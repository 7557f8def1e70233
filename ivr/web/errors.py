"""Refusals the web layer gives: a 4xx with the field named (JSON for the API, the page for forms)."""

from __future__ import annotations

import json

from aiohttp import web


def refuse(status: int, error: str, message: str, *, field: str | None = None) -> web.HTTPException:
    """A JSON error: `error` a stable code, `message` Dutch for the screen, `field` what was wrong."""
    body: dict[str, str] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    return _make(status, json.dumps(body))


# Each refusal is raised as aiohttp's own class for its status.
_CLASSES: dict[int, type[web.HTTPException]] = {
    cls.status_code: cls
    for cls in (
        web.HTTPBadRequest,
        web.HTTPUnauthorized,
        web.HTTPForbidden,
        web.HTTPNotFound,
        web.HTTPConflict,
        web.HTTPUnsupportedMediaType,
        web.HTTPUnprocessableEntity,
        web.HTTPTooManyRequests,
        web.HTTPServiceUnavailable,
    )
}


def _make(status: int, text: str) -> web.HTTPException:
    if status == 413:  # its class wants the sizes; the message says what matters
        return web.HTTPRequestEntityTooLarge(0, 0, text=text, content_type="application/json")
    return _CLASSES[status](text=text, content_type="application/json")


def bad_field(field: str, message: str) -> web.HTTPException:
    return refuse(400, "invalid", message, field=field)


def unavailable() -> web.HTTPException:
    return refuse(503, "database_unavailable", "De database is nu niet bereikbaar; probeer het zo opnieuw.")
