"""The ARI REST client against a real HTTP server on 127.0.0.1: auth, parameters, answers, errors, pool."""

from __future__ import annotations

import asyncio
import json
import socket
from base64 import b64encode
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ivr.ari import AriClient, AriError, AriNotFound, AriUnavailable

pytestmark = pytest.mark.real_time

USER, PASSWORD = "terugbel", "geheim-wachtwoord"
NOT_IN_STASIS = "Channel not in Stasis application"
ALREADY_BRIDGED = "Channel is already bridged"


@dataclass
class Seen:
    method: str
    path_qs: str
    query: dict[str, str]
    authorization: str | None
    peer_port: int


@dataclass
class AsteriskHttp:
    """Answers every path from `answers` (status, body); records what it was asked."""

    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    hold: asyncio.Event = field(default_factory=asyncio.Event)  # set: held requests may answer
    held_paths: set[str] = field(default_factory=set)
    in_flight: int = 0
    most_in_flight: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append(
            Seen(
                request.method,
                request.path_qs,
                dict(request.query),
                request.headers.get("Authorization"),
                peer[1] if peer else 0,
            )
        )
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.arrived.set()
        try:
            if request.path in self.held_paths:
                await self.hold.wait()
            status, body = self.answers.get(request.path, (200, json.dumps({"ok": True})))
            return web.Response(status=status, text=body, content_type="application/json")
        finally:
            self.in_flight -= 1

    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/ari"))


@pytest.fixture
async def asterisk() -> AsyncIterator[AsteriskHttp]:
    fake = AsteriskHttp()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    fake.hold.set()
    await fake.server.close()


@pytest.fixture
async def client(asterisk: AsteriskHttp) -> AsyncIterator[AriClient]:
    ari = AriClient(asterisk.url(), USER, PASSWORD, timeout=5)
    yield ari
    await ari.close()


async def test_basic_auth_goes_in_the_header_and_never_in_the_url(
    asterisk: AsteriskHttp, client: AriClient
) -> None:
    """Every request carries the Basic auth header; the password never appears in the request line."""
    await client.answer("1700000000.1")
    [seen] = asterisk.seen
    assert seen.method == "POST" and seen.path_qs == "/ari/channels/1700000000.1/answer"
    assert seen.authorization == "Basic " + b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in seen.path_qs and USER not in seen.path_qs


async def test_parameters_are_encoded_as_asterisk_expects(asterisk: AsteriskHttp, client: AriClient) -> None:
    """Booleans become true/false, numbers text, and parameters left None are not sent at all."""
    await client.request(
        "POST", "/probe", params={"beep": True, "quiet": False, "seconds": 20, "absent": None, "name": "a b"}
    )
    await client.record("1700000000.2", "terugbelverzoek/x", max_seconds=20, beep=False)
    probe, record = asterisk.seen
    assert probe.query == {"beep": "true", "quiet": "false", "seconds": "20", "name": "a b"}
    assert record.query["beep"] == "false" and record.query["maxDurationSeconds"] == "20"
    assert record.query["name"] == "terugbelverzoek/x" and record.query["ifExists"] == "overwrite"


async def test_no_content_is_none_and_json_is_decoded(asterisk: AsteriskHttp, client: AriClient) -> None:
    """A 204 answer returns None; a JSON answer comes back decoded."""
    asterisk.answers["/ari/channels/c1/ring"] = (204, "")
    asterisk.answers["/ari/channels/c1"] = (200, json.dumps({"id": "c1", "state": "Up"}))
    assert await client.request("POST", "/channels/c1/ring") is None
    assert await client.channel("c1") == {"id": "c1", "state": "Up"}


@pytest.mark.parametrize(
    ("status", "body", "kind", "message", "channel_gone", "shutting_down"),
    [
        (404, {"message": "Channel not found"}, AriNotFound, "Channel not found", True, False),
        (404, {"message": "Playback not found"}, AriNotFound, "Playback not found", False, False),
        (409, {"message": "Channel not in Stasis application"}, AriError, NOT_IN_STASIS, True, False),
        (409, {"message": ALREADY_BRIDGED}, AriError, ALREADY_BRIDGED, False, False),
        (503, {"message": "Shutdown in progress"}, AriError, "Shutdown in progress", False, True),
        (500, "Internal Server Error", AriError, "Internal Server Error", False, False),
    ],
)
async def test_error_answers_say_what_happened(
    asterisk: AsteriskHttp,
    client: AriClient,
    status: int,
    body: Any,
    kind: type[AriError],
    message: str,
    channel_gone: bool,
    shutting_down: bool,
) -> None:
    """An error status raises with ARI's own message and flags a channel that left or a stopping Asterisk."""
    text = body if isinstance(body, str) else json.dumps(body)
    asterisk.answers["/ari/channels/c9/play/p1"] = (status, text)
    with pytest.raises(AriError) as raised:
        await client.play("c9", "sound:welkom", "p1")
    error = raised.value
    assert type(error) is kind
    assert (error.status, error.message) == (status, message)
    assert (error.channel_gone, error.shutting_down) == (channel_gone, shutting_down)


async def test_a_refused_connection_is_unavailable() -> None:
    """Nothing listening on the ARI port raises AriUnavailable, not a transport error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ari = AriClient(f"http://127.0.0.1:{port}/ari", USER, PASSWORD, timeout=2)
    try:
        with pytest.raises(AriUnavailable):
            await ari.ping()
    finally:
        await ari.close()


async def test_an_asterisk_that_does_not_answer_in_time_is_unavailable(asterisk: AsteriskHttp) -> None:
    """A request that gets no answer within the client's timeout raises AriUnavailable."""
    asterisk.held_paths.add("/ari/asterisk/ping")
    ari = AriClient(asterisk.url(), USER, PASSWORD, timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with pytest.raises(AriUnavailable):
            await ari.ping()
    finally:
        await ari.close()
    assert loop.time() - started < 2.0


async def test_concurrent_requests_never_use_more_connections_than_the_pool(asterisk: AsteriskHttp) -> None:
    """Twelve requests at once on a pool of three: at most three reach Asterisk at once, on three sockets."""
    asterisk.held_paths.add("/ari/channels/c1")
    ari = AriClient(asterisk.url(), USER, PASSWORD, pool_size=3, timeout=10)
    try:
        requests = [asyncio.create_task(ari.channel("c1")) for _ in range(12)]
        async with asyncio.timeout(5):
            while asterisk.in_flight < 3:
                asterisk.arrived.clear()
                await asterisk.arrived.wait()
        await asyncio.sleep(0.1)  # give a fourth request every chance to get through, were the pool open
        assert asterisk.in_flight == 3
        asterisk.hold.set()
        assert await asyncio.gather(*requests) == [{"ok": True}] * 12
    finally:
        await ari.close()
    assert asterisk.most_in_flight == 3
    assert len({seen.peer_port for seen in asterisk.seen}) <= 3
