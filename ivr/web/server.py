"""Running the web application on the configured address, with TLS when a certificate is configured."""

from __future__ import annotations

import ssl
from pathlib import Path

from aiohttp import web


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key, or None (plain HTTP, e.g. behind a proxy)."""
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


async def start(app: web.Application, host: str, port: int, tls: ssl.SSLContext | None) -> web.AppRunner:
    """Listen; the caller keeps the runner and calls `cleanup()` at the end."""
    runner = web.AppRunner(app, access_log=None)  # access logs would hold ids and addresses, not needed
    await runner.setup()
    await web.TCPSite(runner, host, port, ssl_context=tls).start()
    return runner
