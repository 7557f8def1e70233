"""Running the web application on the configured address, with TLS when a certificate is configured.

The screen is a convenience beside the calls, never a condition for them: if its port cannot be bound
the controller logs why and goes on answering calls.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import structlog
from aiohttp import web

from ivr import log_events as ev
from ivr.web.application import make_app
from ivr.web.context import WebContext

log = structlog.get_logger(__name__)


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key, or None (plain HTTP, e.g. behind a proxy)."""
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


async def start_web(
    ctx: WebContext, host: str, port: int, tls: ssl.SSLContext | None
) -> web.AppRunner | None:
    """Listen; the caller keeps the runner and calls `cleanup()` at the end. None if it could not start."""
    runner = web.AppRunner(make_app(ctx, tls=tls is not None), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls)
    try:
        await site.start()
    except OSError as exc:
        log.error(ev.WEB_NOT_STARTED, host=host, port=port, error=exc.strerror or str(exc))
        await runner.cleanup()
        return None
    for address in runner.addresses:
        log.info(ev.WEB_LISTENING, address=f"{'https' if tls else 'http'}://{address[0]}:{address[1]}/")
    return runner
