"""Why ivr/ari is a thin aiohttp client and not aioari: each shortfall shown against the real Asterisk.

docs/decisions/0001-thin-ari-client.md cites these tests. Each aioari test has a twin that gives our client
(ivr.ari.EventStream + ivr.core.router.Router) the same treatment. App names are probe names, never
"terugbel", so a controller running against the same sandbox is not disturbed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import aioari
import aiohttp
import pytest
from aiohttp import web

from ivr.ari import ApplicationReplaced, AriClient, AriNotFound, EventStream
from ivr.ari.client import DEFAULT_POOL_SIZE
from ivr.core.router import Router
from tests.decisions.conftest import FreezableProxy, PlainAri, shutdown_sessions, unique, websocket_sessions

pytestmark = pytest.mark.e2e

AIOARI_APP = "aioari-probe"
OUR_APP = "terugbel-probe2"
SLOW_HANDLER_SECONDS = 1.5  # the first call's handler awaits this long, like a call awaiting its prompt
EVENT_DEADLINE = 15.0
SILENT_SECONDS = 3.0  # how long a silent connection is watched for a reaction that never comes


def aioari_base_url(env: dict[str, str]) -> str:
    """aioari wants the HTTP server's root (it appends ari/api-docs/...), not the /ari URL we use."""
    return env["TERUGBEL_ARI_URL"].rstrip("/").removesuffix("/ari") + "/"


async def aioari_client(env: dict[str, str], base_url: str | None = None) -> Any:
    """aioari's own connect(), to the sandbox or to another base URL (a proxy)."""
    return await aioari.connect(
        base_url or aioari_base_url(env), env["TERUGBEL_ARI_USER"], env["TERUGBEL_ARI_PASSWORD"]
    )


def our_client(env: dict[str, str], **kwargs: Any) -> AriClient:
    return AriClient(
        env["TERUGBEL_ARI_URL"], env["TERUGBEL_ARI_USER"], env["TERUGBEL_ARI_PASSWORD"], **kwargs
    )


def asterisk_time(event: dict[str, Any]) -> float:
    """When Asterisk raised the event (its own timestamp, millisecond precision), as epoch seconds."""
    return datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


class StartLog:
    """Records when each StasisStart handler starts; the first one is slow, the second sets `second`."""

    def __init__(self) -> None:
        self.starts: list[tuple[float, dict[str, Any]]] = []
        self.slow_finished = 0
        self.slow_finished_at_second_start: int | None = None
        self.second = asyncio.Event()

    async def handle(self, event: dict[str, Any]) -> None:
        self.starts.append((time.monotonic(), event))
        if len(self.starts) == 1:
            await asyncio.sleep(SLOW_HANDLER_SECONDS)  # this sleep IS the slow handler
            self.slow_finished += 1
        else:
            self.slow_finished_at_second_start = self.slow_finished
            self.second.set()

    def gap(self) -> float:
        """Seconds between the two handlers starting."""
        return self.starts[1][0] - self.starts[0][0]

    def asterisk_gap(self) -> float:
        """Seconds between Asterisk raising the two StasisStart events."""
        return abs(asterisk_time(self.starts[1][1]) - asterisk_time(self.starts[0][1]))


async def two_calls_enter(app: str, plain_ari: PlainAri, probe_channels: list[str], log: StartLog) -> None:
    """Put two channels into `app` back to back and wait (with a deadline) for the second handler to start."""
    await plain_ari.wait_app_registered(app)
    for _ in range(2):
        channel_id = unique(app)
        probe_channels.append(channel_id)
        await plain_ari.originate_probe(app, channel_id)
    await asyncio.wait_for(log.second.wait(), EVENT_DEADLINE)


class ProbeCall:
    """The smallest Router owner: a call that keeps the events routed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def deliver(self, event: dict[str, Any]) -> None:
        self.events.append(event)


# ---- 1. event handlers: serial in aioari, one task per call in ours ----------------------------------------


async def test_aioari_awaits_event_handlers_one_after_another(
    asterisk_env: dict[str, str], plain_ari: PlainAri, probe_channels: list[str]
) -> None:
    """aioari awaits each handler in its websocket read loop, so a slow call delays the next StasisStart."""
    client = await aioari_client(asterisk_env)
    log = StartLog()
    client.on_event("StasisStart", log.handle)
    run = asyncio.create_task(client.run(apps=AIOARI_APP))
    try:
        await two_calls_enter(AIOARI_APP, plain_ari, probe_channels, log)
    finally:
        await client.close()
        await asyncio.wait_for(run, 5)

    print(f"aioari: events {log.asterisk_gap():.3f} s apart, handlers {log.gap():.3f} s apart")
    assert log.asterisk_gap() < 0.5, "Asterisk raised both StasisStarts together"
    assert log.gap() >= SLOW_HANDLER_SECONDS - 0.1, f"second handler started only {log.gap():.2f} s later"
    assert log.slow_finished_at_second_start == 1, "the second handler waited for the first to finish"


async def test_router_gives_each_call_its_own_task(
    asterisk_env: dict[str, str], plain_ari: PlainAri, probe_channels: list[str]
) -> None:
    """Our EventStream and Router give each call its own task, so a slow call never delays the next one."""
    client = our_client(asterisk_env)
    log = StartLog()
    tasks: set[asyncio.Task[None]] = set()

    def on_new_channel(event: dict[str, Any]) -> None:
        # What Controller._on_new_channel does: claim the channel, start the call's task, return at once.
        router.claim(event["channel"]["id"], ProbeCall())
        task = asyncio.create_task(log.handle(event))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def on_connected() -> None:
        return None

    router = Router(on_new_channel)
    stream = EventStream(client, OUR_APP, router.route, on_connected)
    run = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), EVENT_DEADLINE)
        await two_calls_enter(OUR_APP, plain_ari, probe_channels, log)
    finally:
        run.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(run, *tasks, return_exceptions=True)
        await client.close()

    print(f"ours: events {log.asterisk_gap():.3f} s apart, handlers {log.gap():.3f} s apart")
    assert log.asterisk_gap() < 0.5, "Asterisk raised both StasisStarts together"
    assert log.gap() < 0.5, f"second handler started {log.gap():.2f} s after the first"
    assert log.slow_finished_at_second_start == 0, "the second call started while the first still awaited"


# ---- 2. a websocket closed by Asterisk: aioari stops, ours reconnects -------------------------------------


async def test_aioari_run_returns_when_asterisk_closes_the_websocket(
    asterisk_env: dict[str, str], plain_ari: PlainAri
) -> None:
    """When Asterisk closes the event websocket, aioari's run() returns quietly and never connects again."""
    client = await aioari_client(asterisk_env)
    run = asyncio.create_task(client.run(apps=AIOARI_APP))
    try:
        await plain_ari.wait_app_registered(AIOARI_APP)
        closed = await shutdown_sessions(AIOARI_APP)  # Asterisk's CLI: ari shutdown websocket session
        assert len(closed) == 1
        await asyncio.wait_for(asyncio.shield(run), 3)
        assert run.exception() is None, "run() returned without raising: the caller is not told"
        with pytest.raises(TimeoutError):
            await plain_ari.wait_app_registered(AIOARI_APP, seconds=3)
        assert not client.websockets
    finally:
        await client.close()
        if not run.done():
            run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_event_stream_reconnects_when_asterisk_closes_the_websocket(
    asterisk_env: dict[str, str], plain_ari: PlainAri
) -> None:
    """When Asterisk closes the event websocket, our EventStream reconnects and reruns its reconcile hook."""
    client = our_client(asterisk_env)
    hooks = 0
    reconnected = asyncio.Event()

    async def on_connected() -> None:
        nonlocal hooks
        hooks += 1
        if hooks == 2:
            reconnected.set()

    stream = EventStream(client, OUR_APP, lambda event: None, on_connected)
    run = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), EVENT_DEADLINE)
        await plain_ari.wait_app_registered(OUR_APP)
        closed = await shutdown_sessions(OUR_APP)
        assert len(closed) == 1
        await asyncio.wait_for(reconnected.wait(), 5)
        assert stream.connections == 2
        assert stream.connected.is_set()
        await plain_ari.wait_app_registered(OUR_APP)
        assert set(await websocket_sessions(OUR_APP)).isdisjoint(closed), "a new session, not the old one"
        assert not run.done()
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await client.close()


async def test_event_stream_ends_when_another_client_takes_the_app_over(
    asterisk_env: dict[str, str], plain_ari: PlainAri
) -> None:
    """A second websocket for the same app makes Asterisk send ApplicationReplaced to the first: our
    EventStream ends with ApplicationReplaced instead of reconnecting and taking the app back."""
    first_client, second_client = our_client(asterisk_env), our_client(asterisk_env)
    connected = asyncio.Event()

    async def on_connected() -> None:
        connected.set()

    first = EventStream(first_client, OUR_APP, lambda event: None, on_connected)
    second = EventStream(second_client, OUR_APP, lambda event: None, on_connected)
    first_run = asyncio.create_task(first.run())
    second_run: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(first.connected.wait(), EVENT_DEADLINE)
        await plain_ari.wait_app_registered(OUR_APP)
        second_run = asyncio.create_task(second.run())
        with pytest.raises(ApplicationReplaced):
            await asyncio.wait_for(first_run, EVENT_DEADLINE)
        assert first.connections == 1, "the replaced stream did not reconnect"
        assert second.connected.is_set() and not second_run.done()
    finally:
        for task in (first_run, second_run):
            if task is not None:
                task.cancel()
        await asyncio.gather(first_run, *([second_run] if second_run else []), return_exceptions=True)
        await first_client.close()
        await second_client.close()


# ---- 3. a connection that goes silent (frozen Asterisk, unplugged cable): no heartbeat in aioari ----------


async def test_aioari_never_notices_a_silent_connection(
    asterisk_env: dict[str, str],
    plain_ari: PlainAri,
    probe_channels: list[str],
    freezable_proxy: FreezableProxy,
) -> None:
    """aioari sends no heartbeat, so over a silent connection its run() waits forever while Asterisk still
    routes new calls into the app and nobody handles them."""
    client = await aioari_client(asterisk_env, f"http://127.0.0.1:{freezable_proxy.port}/")
    seen: list[dict[str, Any]] = []
    client.on_event("StasisStart", seen.append)
    run = asyncio.create_task(client.run(apps=AIOARI_APP))
    try:
        await plain_ari.wait_app_registered(AIOARI_APP)
        connections = freezable_proxy.connections
        freezable_proxy.freeze()
        channel_id = unique(AIOARI_APP)
        probe_channels.append(channel_id)
        await plain_ari.originate_probe(AIOARI_APP, channel_id)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(run), SILENT_SECONDS)
        status, app = await plain_ari.request("GET", f"/applications/{AIOARI_APP}")
        assert status == 200 and channel_id in app["channel_ids"], "Asterisk put the call into the app"
        assert not seen, "but the client never heard of it"
        assert freezable_proxy.connections == connections, "and it never tried to connect again"
    finally:
        await client.close()
        if not run.done():
            run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_event_stream_heartbeat_replaces_a_silent_connection(
    asterisk_env: dict[str, str], freezable_proxy: FreezableProxy
) -> None:
    """Our EventStream pings every heartbeat, drops a connection that stops answering and connects again."""
    client = AriClient(
        f"http://127.0.0.1:{freezable_proxy.port}/ari",
        asterisk_env["TERUGBEL_ARI_USER"],
        asterisk_env["TERUGBEL_ARI_PASSWORD"],
    )
    reconnected = asyncio.Event()

    async def on_connected() -> None:
        if stream.connections == 2:
            reconnected.set()

    heartbeat = 0.5
    stream = EventStream(client, OUR_APP, lambda event: None, on_connected, heartbeat=heartbeat)
    run = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), EVENT_DEADLINE)
        frozen_at = time.monotonic()
        freezable_proxy.freeze()
        # Noticed within about 1.5 heartbeats, plus the first reconnect backoff (0.2 s).
        await asyncio.wait_for(reconnected.wait(), 3 * heartbeat + 1)
        print(f"ours: silent connection replaced after {time.monotonic() - frozen_at:.2f} s")
        assert stream.connections == 2 and stream.connected.is_set()
        assert freezable_proxy.connections == 2
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await client.close()


# ---- 4. credentials: a URL query parameter in aioari, a header in ours ------------------------------------


async def test_aioari_puts_the_password_in_the_url(asterisk_env: dict[str, str]) -> None:
    """aioari sends user:password as an api_key query parameter, where proxies and access logs record it."""
    password = asterisk_env["TERUGBEL_ARI_PASSWORD"]
    client = await aioari_client(asterisk_env)
    urls: list[str] = []

    async def on_headers_sent(session: Any, ctx: Any, params: aiohttp.TraceRequestHeadersSentParams) -> None:
        urls.append(str(params.url))

    # aioari takes no session of its own choosing: swap the one it made for one that records each request.
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers_sent)
    http = client.swagger.http_client
    await http.session.close()
    http.session = aiohttp.ClientSession(trace_configs=[trace])
    try:
        await client.asterisk.ping()
    finally:
        await client.close()
    assert urls and all("api_key=" in url and password in url for url in urls)


async def test_our_client_sends_the_password_in_a_header(asterisk_env: dict[str, str]) -> None:
    """Our AriClient sends Basic auth in the Authorization header and never puts the password in a URL."""
    password = asterisk_env["TERUGBEL_ARI_PASSWORD"]
    seen: list[tuple[str, str]] = []

    async def on_headers_sent(session: Any, ctx: Any, params: aiohttp.TraceRequestHeadersSentParams) -> None:
        seen.append((str(params.url), params.headers.get("Authorization", "")))

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers_sent)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = our_client(asterisk_env, session=session)
        await client.ping()
    assert seen
    for url, authorization in seen:
        assert password not in url
        assert authorization.startswith("Basic ")


# ---- 5. per-object listeners and error types ------------------------------------------------------------


async def test_aioari_keeps_per_channel_listeners_after_the_channel_is_gone(
    asterisk_env: dict[str, str],
) -> None:
    """aioari never removes a channel's on_event listener, so every past call stays in every event's path."""
    client = await aioari_client(asterisk_env)
    try:
        for n in range(50):
            channel = aioari.model.Channel(client, {"id": f"gone-{n}"})
            channel.on_event("ChannelDtmfReceived", lambda channel, event: None)
            for kind in ("StasisEnd", "ChannelDestroyed"):
                await client.process_ws({"type": kind, "channel": {"id": f"gone-{n}"}})
        assert len(client.event_listeners["ChannelDtmfReceived"]) == 50
    finally:
        await client.close()


async def test_aioari_raises_aiohttp_server_responses_for_client_errors(
    asterisk_env: dict[str, str],
) -> None:
    """Through aioswagger11, a 404 from ARI surfaces as aiohttp's *server* HTTPNotFound response class."""
    client = await aioari_client(asterisk_env)
    try:
        with pytest.raises(Exception) as caught:
            await client.channels.get(channelId=unique("no-such-channel"))
    finally:
        await client.close()
    assert isinstance(caught.value, web.HTTPNotFound)
    assert isinstance(caught.value, web.Response), "a server response object, raised in a client"
    assert not isinstance(caught.value, aiohttp.ClientError)


async def test_our_client_raises_its_own_not_found(asterisk_env: dict[str, str]) -> None:
    """Our AriClient turns a 404 into AriNotFound, which call cleanup treats as the normal case."""
    client = our_client(asterisk_env)
    try:
        with pytest.raises(AriNotFound) as caught:
            await client.channel(unique("no-such-channel"))
    finally:
        await client.close()
    assert caught.value.status == 404


# ---- 6. connection pool: Asterisk's whole session limit in aioari, a bounded pool in ours ------------------


async def test_aioari_pool_may_use_all_of_asterisks_http_sessions(asterisk_env: dict[str, str]) -> None:
    """aioari's session keeps aiohttp's default limit of 100 connections, all of http.conf's sessionlimit."""
    client = await aioari_client(asterisk_env)
    try:
        assert client.swagger.http_client.session.connector.limit == 100
    finally:
        await client.close()


async def test_our_client_queues_requests_within_a_bounded_pool(asterisk_env: dict[str, str]) -> None:
    """Our AriClient's own session is capped at 20 connections, and 200 concurrent requests still succeed."""
    client = our_client(asterisk_env)
    try:
        assert client.session.connector is not None
        assert client.session.connector.limit == DEFAULT_POOL_SIZE == 20
        results = await asyncio.gather(*(client.ping() for _ in range(200)))
    finally:
        await client.close()
    assert all(result["ping"] == "pong" for result in results)
