"""The ARI event websocket against a real websocket server: order, bad input, reconnects, dead peers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from ivr import log_events as ev
from ivr.ari import ApplicationReplaced, AriClient, EventStream

pytestmark = pytest.mark.real_time

Session = Callable[[web.WebSocketResponse], Awaitable[None]]


@dataclass
class AsteriskEvents:
    """/ari/events: the n-th connection runs `sessions[n]` (default: stay open), then the server closes."""

    sessions: dict[int, Session] = field(default_factory=dict)
    deaf: set[int] = field(default_factory=set)  # connections that answer no ping
    opened_at: list[float] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # set on every connection and event
    server: TestServer | None = None

    async def until(self, condition: Callable[[], object], seconds: float, what: str) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"not within {seconds} s: {what}") from None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        number = len(self.opened_at) + 1
        ws = web.WebSocketResponse(autoping=number not in self.deaf)
        await ws.prepare(request)
        self.opened_at.append(asyncio.get_running_loop().time())
        self.queries.append(dict(request.query))
        self.changed.set()
        session = self.sessions.get(number)
        if number in self.deaf:
            await self.release.wait()  # reads nothing, so no ping is ever answered
        elif session is None:
            async for _ in ws:  # open until the client goes
                pass
        else:
            await session(ws)
        await ws.close()
        return ws


def sends(*messages: Any, then_close: bool = True, close_after: asyncio.Event | None = None) -> Session:
    async def session(ws: web.WebSocketResponse) -> None:
        for message in messages:
            await ws.send_str(message if isinstance(message, str) else json.dumps(message))
        if close_after is not None:
            await close_after.wait()
        if not then_close:
            async for msg in ws:
                if msg.type is WSMsgType.CLOSE:
                    break

    return session


@dataclass
class Controller:
    """The controller's side: the events it got and how often its (re)connect hook ran."""

    changed: asyncio.Event
    events: list[dict[str, Any]] = field(default_factory=list)
    hooks: int = 0
    reconciled: asyncio.Event = field(default_factory=asyncio.Event)

    def on_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.changed.set()
        if event.get("type") == "Boom":
            raise RuntimeError("a handler bug")

    async def on_connected(self) -> None:
        self.hooks += 1
        self.reconciled.set()
        self.changed.set()


@pytest.fixture
async def asterisk() -> AsyncIterator[AsteriskEvents]:
    fake = AsteriskEvents()
    app = web.Application()
    app.router.add_get("/ari/events", fake.handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    fake.release.set()
    await fake.server.close()


@pytest.fixture
async def client(asterisk: AsteriskEvents) -> AsyncIterator[AriClient]:
    assert asterisk.server is not None
    ari = AriClient(str(asterisk.server.make_url("/ari")), "terugbel", "geheim")
    yield ari
    await ari.close()


@pytest.fixture
async def running() -> AsyncIterator[Callable[[EventStream], asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []

    def start(stream: EventStream) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(stream.run()))
        return tasks[-1]

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_events_reach_the_controller_in_order_past_bad_input_and_a_failing_handler(
    asterisk: AsteriskEvents, client: AriClient, running: Any
) -> None:
    """Events arrive in order; a bad message is skipped and a handler error keeps the connection."""
    asterisk.sessions[1] = sends(
        {"type": "StasisStart", "n": 1},
        "{not json",
        {"type": "Boom"},
        {"type": "StasisEnd", "n": 2},
        then_close=False,
    )
    controller = Controller(asterisk.changed)
    stream = EventStream(client, "terugbel", controller.on_event, controller.on_connected)
    with capture_logs() as logs:
        running(stream)
        await asterisk.until(lambda: len(controller.events) == 3, 5, "three events")
    assert [e["type"] for e in controller.events] == ["StasisStart", "Boom", "StasisEnd"]
    assert stream.connections == 1 and stream.connected.is_set()
    assert asterisk.queries == [{"app": "terugbel", "subscribeAll": "false"}]
    logged = [line["event"] for line in logs]
    assert "ari_bad_event" in logged and "ari_event_handler_failed" in logged
    assert ev.ARI_DISCONNECTED not in logged


async def test_a_closed_websocket_is_reopened_and_reconciled_again(
    asterisk: AsteriskEvents, client: AriClient, running: Any
) -> None:
    """When Asterisk closes the websocket the stream reconnects and runs the connect hook once more."""
    controller = Controller(asterisk.changed)
    asterisk.sessions[1] = sends({"type": "StasisStart", "n": 1}, close_after=controller.reconciled)
    asterisk.sessions[2] = sends({"type": "StasisStart", "n": 2}, then_close=False)
    stream = EventStream(client, "terugbel", controller.on_event, controller.on_connected)
    with capture_logs() as logs:
        running(stream)
        await asterisk.until(
            lambda: len(controller.events) == 2 and controller.hooks == 2, 5, "the second connection"
        )
    assert [e["n"] for e in controller.events] == [1, 2]
    assert stream.connections == 2
    logged = [line["event"] for line in logs]
    assert logged.count(ev.ARI_CONNECTED) == 2 and logged.count(ev.ARI_DISCONNECTED) == 1


async def test_a_peer_that_stops_answering_pings_is_dropped_within_one_and_a_half_heartbeats(
    asterisk: AsteriskEvents, client: AriClient, running: Any
) -> None:
    """An Asterisk that is frozen (no pong, no FIN) is given up on after about 1.5 heartbeats."""
    asterisk.deaf.add(1)
    controller = Controller(asterisk.changed)
    heartbeat = 0.5
    stream = EventStream(
        client, "terugbel", controller.on_event, controller.on_connected, heartbeat=heartbeat
    )
    running(stream)
    await asterisk.until(lambda: len(asterisk.opened_at) == 2, 5, "a reconnect after the dead connection")
    # 1.5 heartbeats to notice, 0.2 s before reconnecting, and a margin for a busy machine.
    took = asterisk.opened_at[1] - asterisk.opened_at[0]
    assert heartbeat <= took <= 1.5 * heartbeat + 0.2 + 0.5
    await asterisk.until(lambda: controller.hooks == 2, 5, "reconcile after the reconnect")


async def test_an_application_taken_over_ends_the_stream_instead_of_reconnecting(
    asterisk: AsteriskEvents, client: AriClient, running: Any
) -> None:
    """ApplicationReplaced ends run() with ApplicationReplaced; nothing after it is handled, no reconnect."""
    asterisk.sessions[1] = sends(
        {"type": "StasisStart", "n": 1},
        {"type": "ApplicationReplaced", "application": "terugbel"},
        {"type": "StasisStart", "n": 2},
        then_close=False,
    )
    controller = Controller(asterisk.changed)
    stream = EventStream(client, "terugbel", controller.on_event, controller.on_connected)
    with capture_logs() as logs:
        task = running(stream)
        with pytest.raises(ApplicationReplaced):
            await asyncio.wait_for(task, 5)
    assert [e["n"] for e in controller.events] == [1]
    assert len(asterisk.opened_at) == 1 and not stream.connected.is_set()
    assert ev.ARI_APP_REPLACED in [line["event"] for line in logs]
