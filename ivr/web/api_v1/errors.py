"""The intake API's refusals: every one a JSON body {error, message, field?}, whatever raised it.

Handlers raise ivr.web.errors.refuse (already JSON). aiohttp's own refusals (an unknown path, a method not
allowed, a body over the server's limit) are plain text; `as_json` turns them into the same shape, so a
client reads every 4xx the same way.
"""

from __future__ import annotations

import json

from aiohttp import web

from ivr.web.errors import refuse

# Headers of a refusal that mean something to the client and are kept when it is rewritten as JSON.
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After", "Allow")

_PLAIN: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Het verzoek is niet goed opgebouwd."),
    401: ("unauthorized", "Een geldige API-sleutel is nodig."),
    403: ("forbidden", "Deze API-sleutel mag dit niet."),
    404: ("not_found", "Dit adres bestaat niet."),
    405: ("method_not_allowed", "Deze methode kan hier niet."),
    413: ("too_large", "Het verzoek is te groot."),
    415: ("unsupported_media_type", "Stuur JSON."),
    429: ("rate_limited", "Te veel verzoeken; probeer het zo opnieuw."),
}


def as_json(exc: web.HTTPException) -> web.Response:
    """The refusal as a JSON response with the same status and meaningful headers."""
    body: dict[str, object] | None = None
    if exc.content_type == "application/json" and exc.text:
        try:
            parsed = json.loads(exc.text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed and "message" in parsed:
            body = parsed
    if body is None:
        error, message = _PLAIN.get(exc.status, ("error", exc.reason or "Dit kan niet."))
        body = {"error": error, "message": message}
    headers = {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers}
    return web.json_response(body, status=exc.status, headers=headers)


def unauthorized(message: str, *, invalid: bool) -> web.HTTPException:
    """401 with the challenge RFC 6750 asks for; `invalid` when a token was sent but is not valid."""
    refusal = refuse(401, "unauthorized", message)
    challenge = 'Bearer realm="terugbel"'
    if invalid:
        challenge += ', error="invalid_token"'
    refusal.headers["WWW-Authenticate"] = challenge
    return refusal


def server_error() -> web.Response:
    return web.json_response(
        {"error": "internal", "message": "Er ging iets mis bij de praktijk; probeer het later opnieuw."},
        status=500,
    )
