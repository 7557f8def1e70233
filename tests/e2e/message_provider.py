"""A local stand-in for the message provider's HTTP API (Twilio's Messages resource), for the e2e tests.

It listens on 127.0.0.1 in a thread of its own, records every message it accepts as the provider would see
it (path, basic-auth user, form fields) and answers with a message id. `down()` stops listening, so the
controller's worker meets a refused connection, as when the provider is unreachable; `up()` starts it again
on the same port.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    path: str
    user: str
    form: dict[str, str]


class MessageProvider:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[Received] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="message-provider", daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def down(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._message)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _message(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        user = base64.b64decode(auth.removeprefix("Basic ")).decode().split(":")[0] if auth else ""
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.received.append(Received(request.path, user, form))
        body: dict[str, Any] = {"sid": f"SM{len(self.received):032d}", "status": "queued"}
        return web.json_response(body, status=201)
