"""Headers every response carries: no inline script, no framing, no caching of patient data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

# Only our own files: no inline script or style, nothing from elsewhere (the practice's network may have
# no internet, and a CDN would see who opens the screen). Voice notes play from our own URLs.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(*, tls: bool) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An on_response_prepare hook: every response gets the headers, streams and errors included."""

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        _apply(response, tls=tls)

    return add_headers


def _apply(response: web.StreamResponse, *, tls: bool) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Not "no-referrer": with it a browser sends `Origin: null` on a form post, and the Origin check
    # (ivr.web.auth) could not tell our own pages from another site. Nothing is sent to other sites.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages and data are about patients: never kept by a browser cache or a proxy.
    headers.setdefault("Cache-Control", "no-store")
    if tls:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
