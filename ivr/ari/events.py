"""The ARI event websocket: heartbeat, reconnect, and a hook to reconcile after every (re)connect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import structlog

from ivr import log_events as ev
from ivr.ari.client import AriClient

log = structlog.get_logger(__name__)

EventHandler = Callable[[dict[str, Any]], None]
ConnectedHook = Callable[[], Awaitable[None]]


class ApplicationReplaced(Exception):
    """Another client took the app over (Asterisk keeps one websocket per app): this one must stand by."""


class EventStream:
    """Keeps one websocket to /ari/events for an app open for as long as it runs.

    Asterisk never pings its clients, and a frozen or unplugged Asterisk sends no FIN, so the stream pings
    every `heartbeat` seconds and drops the connection when no pong comes back (aiohttp closes after
    half a heartbeat), which bounds the time to notice a dead connection to about 1.5 heartbeats.
    `on_event` must not block: it only hands the event to the call it belongs to.
    """

    def __init__(
        self,
        client: AriClient,
        app: str,
        on_event: EventHandler,
        on_connected: ConnectedHook,
        *,
        heartbeat: float = 4.0,
        max_backoff: float = 2.0,
    ) -> None:
        self._client = client
        self._app = app
        self._on_event = on_event
        self._on_connected = on_connected
        self._heartbeat = heartbeat
        self._max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.connections = 0
        self._reconcile: asyncio.Task[None] | None = None
        self._replaced = False

    def _url(self) -> str:
        base = self._client.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{base}/events"

    async def run(self) -> None:
        """Connect, read, and reconnect until cancelled; ApplicationReplaced when another client took over.

        Reconnecting after a takeover would only take the app back and forth between two controllers, so
        the stream ends instead and the caller decides (ivr.core.activation stands by).
        """
        backoff = 0.2
        while True:
            try:
                await self._session_once()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("ari_connect_failed", error=repr(exc), retry_in=backoff)
            finally:
                self.connected.clear()
            if self._replaced:
                raise ApplicationReplaced(self._app)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _session_once(self) -> None:
        async with self._client.session.ws_connect(
            self._url(),
            params={"app": self._app, "subscribeAll": "false"},
            headers=self._client.auth_headers,
            heartbeat=self._heartbeat,
            # A prompt-heavy burst can be large; never let the reader be the bottleneck.
            max_msg_size=16 * 1024 * 1024,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
        ) as ws:
            self.connections += 1
            log.info(ev.ARI_CONNECTED, app=self._app, connection=self.connections)
            self.connected.set()
            # Reconcile in its own task: the websocket must keep being read while it runs, or Asterisk's
            # 100 ms write timeout closes the connection under load.
            self._reconcile = asyncio.create_task(self._on_connected(), name="ari-reconcile")
            try:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        self._dispatch(msg.data)
                        if self._replaced:
                            break
                    elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                        break
            finally:
                self._reconcile.cancel()
            log.warning(
                ev.ARI_DISCONNECTED, app=self._app, close_code=ws.close_code, error=repr(ws.exception())
            )

    def _dispatch(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("ari_bad_event", size=len(data))
            return
        if event.get("type") == "ApplicationReplaced":
            log.error(
                ev.ARI_APP_REPLACED,
                app=self._app,
                why="another client connected with the same app name; this controller stands by",
            )
            self._replaced = True
            return
        try:
            self._on_event(event)
        except Exception:
            # One bad event must not take down the connection every call depends on.
            log.exception("ari_event_handler_failed", event_type=event.get("type"))
