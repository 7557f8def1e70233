"""A caller waiting in the queue's holding bridge is looked after by Asterisk alone, with no controller left.

The controller's side is played here with raw ARI (a websocket and REST calls of this test, under an app name
of its own), exactly as the contract in asterisk-config/extensions.conf asks: the caller enters Stasis from
[from-patients], waits in a holding bridge with Asterisk's own hold music (class `terugbel`,
musiconhold.conf) and carries a TIMEOUT(absolute) deadline. Then the ARI client goes away for good.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import struct
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pjsua2 as pj
import pytest

from tests.e2e.helpers import Ari
from tests.e2e.sip import Headset, Phones

pytestmark = pytest.mark.e2e

APP = "holding-probe"  # not "terugbel": a test's app never meets a controller's calls
NUMBER = "0612000081"
PRACTICE_NUMBER = "0201234567"
MOH_CLASS = "terugbel"
DEADLINE_SECONDS = 8  # the caller's TIMEOUT(absolute), set once and never pushed forward: the client is gone
LISTEN_SECONDS = 3.5  # the caller's audio is watched this long after the client is gone, inside the deadline
PACKETS_PER_SECOND = 50  # 20 ms RTP packets
# The generated hold music plucks once every 1.5 s (prompts/build.py) and peaks near 7,900 (16-bit): every
# 1.5 s stretch the caller hears must peak above -30 dBFS. Silence, and the silent placeholder
# (scripts/seed-hold-music), stay at 0.
STRETCH_SECONDS = 1.5
AUDIBLE_PEAK = 1000


class RawAri:
    """The controller's half of the contract, by hand: one websocket for events, REST for the rest."""

    def __init__(self, env: dict[str, str], session: aiohttp.ClientSession) -> None:
        self.url = env["TERUGBEL_ARI_URL"].rstrip("/")
        token = b64encode(f"{env['TERUGBEL_ARI_USER']}:{env['TERUGBEL_ARI_PASSWORD']}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.session = session
        self.events: list[dict[str, Any]] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, app: str) -> None:
        ws_url = self.url.replace("http", "ws", 1) + f"/events?app={app}"
        self._ws = await self.session.ws_connect(ws_url, headers=self.headers)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(message.data))

    async def disconnect(self) -> None:
        """Close the websocket: from now on no ARI client holds the app, as when the controller died."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    def started(self, channel_id: str) -> bool:
        return any(e["type"] == "StasisStart" and e["channel"]["id"] == channel_id for e in self.events)

    async def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        async with self.session.request(
            method, self.url + path, params=params, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            assert response.status < 300, f"{method} {path} {params}: {response.status} {text}"
            return json.loads(text) if text else None


async def pump_until(phones: Phones, condition: Callable[[], object], seconds: float, what: str) -> float:
    """Pump SIP events (and let the websocket reader run) until `condition()`; return when it became true."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        phones.ep.libHandleEvents(10)
        await asyncio.sleep(0)
    return time.monotonic()


def record(phones: Phones, audio: pj.AudioMedia, path: Path) -> pj.AudioMediaRecorder:
    """Record what a call's remote end sends (what its user hears) into a WAV file."""
    recorder = pj.AudioMediaRecorder()
    recorder.createRecorder(str(path))
    audio.startTransmit(recorder)
    recorder.thisown = False  # destroying a recorder pjsua still feeds aborts it (see Phones.stop)
    phones.keep(recorder)
    return recorder


def peaks(path: Path, stretch: float) -> list[int]:
    """The loudest sample of each whole stretch of a pjsua recording (16-bit mono, at the bridge's rate).

    Read past the 44-byte header by hand: pjsua writes the header's lengths only when the recorder is
    destroyed, which a running test never does."""
    with path.open("rb") as wav:
        header = wav.read(44)
        rate = struct.unpack_from("<I", header, 24)[0]
        data = wav.read()
    samples = array.array("h", data[: len(data) // 2 * 2])
    size = int(rate * stretch)
    return [max(map(abs, samples[i : i + size])) for i in range(0, len(samples) - size + 1, size)]


@pytest.fixture
async def raw_ari(asterisk_env: dict[str, str]) -> AsyncIterator[RawAri]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        client = RawAri(asterisk_env, session)
        yield client
        await client.disconnect()


def delete_quietly(ari: Ari, path: str) -> None:
    request = urllib.request.Request(f"{ari.url}{path}", method="DELETE", headers=ari.headers)
    try:
        urllib.request.urlopen(request, timeout=3).close()
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise


@pytest.mark.parametrize("moh_on", ["bridge", "channel"])
async def test_waiting_caller_hears_music_and_reaches_the_headsets_without_any_ari_client(
    moh_on: str,
    phones: Phones,
    headsets: dict[str, Headset],
    controller_factory,
    raw_ari: RawAri,
    ari: Ari,
    tmp_path: Path,
) -> None:
    """With the ARI client gone, a caller in a holding bridge keeps hearing hold music, and at the deadline
    leaves Stasis for [terugbel-fallback], which rings every headset."""
    # The controller builds the prompts at start, the hold music into the folder musiconhold.conf reads.
    controller_factory().stop()

    # Asterisk reaches the caller through the provider trunk, where the test's provider user agent answers:
    # the leg is then a patient's call in every way the dialplan and the bridge can see.
    phone = phones.provider_account()
    auto_answer, phone.auto_answer = phone.auto_answer, True
    channel_id = f"holding-{time.monotonic_ns()}"
    bridge_id = f"{channel_id}-wachtrij"
    await raw_ari.connect(APP)
    try:
        # The caller's leg runs [from-patients] as a patient's own call does; the channel variable makes its
        # Stasis() enter this test's app (extensions.conf: TERUGBEL_APP).
        await raw_ari.call(
            "POST",
            "/channels",
            {"variables": {"TERUGBEL_APP": APP}},
            endpoint=f"PJSIP/{NUMBER}@provider",
            context="from-patients",
            extension=PRACTICE_NUMBER,
            priority="1",
            callerId=NUMBER,
            channelId=channel_id,
        )
        await pump_until(phones, lambda: raw_ari.started(channel_id), 15, "the caller's StasisStart")
        answered = phone.call_from(NUMBER)
        assert answered is not None, [i.remote_uri for i in phone.incoming]

        # What the controller does for a waiting caller: holding bridge, Asterisk's hold music, a deadline.
        await raw_ari.call("POST", "/bridges", type="holding", bridgeId=bridge_id, name="terugbel-wachtrij")
        await raw_ari.call("POST", f"/bridges/{bridge_id}/addChannel", channel=channel_id, role="participant")
        target = f"/bridges/{bridge_id}" if moh_on == "bridge" else f"/channels/{channel_id}"
        await raw_ari.call("POST", f"{target}/moh", mohClass=MOH_CLASS)
        deadline = {"variable": "TIMEOUT(absolute)", "value": str(DEADLINE_SECONDS)}
        await raw_ari.call("POST", f"/channels/{channel_id}/variable", **deadline)
        deadline_set = time.monotonic()
        await raw_ari.disconnect()

        # What the caller hears, recorded at the caller's phone while no ARI client is connected.
        recording = tmp_path / "heard.wav"
        recorder = record(phones, answered.call.getAudioMedia(-1), recording)
        packets_before = answered.call.rtp_packets_received()
        await pump_until(
            phones, lambda: time.monotonic() - deadline_set >= LISTEN_SECONDS, LISTEN_SECONDS + 1, "listening"
        )
        answered.call.getAudioMedia(-1).stopTransmit(recorder)
        packets = answered.call.rtp_packets_received() - packets_before
        assert time.monotonic() - deadline_set < DEADLINE_SECONDS, "listened past the deadline"
        heard = peaks(recording, STRETCH_SECONDS)
        print(f"\n{moh_on} MoH, no ARI client: {packets} RTP packets in {LISTEN_SECONDS} s, peaks {heard}")
        assert packets >= 0.8 * PACKETS_PER_SECOND * LISTEN_SECONDS, f"{packets} RTP packets came"
        assert len(heard) >= 2 and min(heard) >= AUDIBLE_PEAK, f"the caller hears silence: peaks {heard}"

        rang = await pump_until(
            phones,
            lambda: all(h.call_from(NUMBER) for h in headsets.values()),
            DEADLINE_SECONDS + 10,
            "every headset to ring after the deadline",
        )
        assert rang - deadline_set >= DEADLINE_SECONDS - 1, "the headsets rang before the deadline"
        assert answered.call.state == "confirmed", "the caller was hung up instead of passed on"
        context = ari.get(f"/channels/{channel_id}")["dialplan"]["context"]
        assert context == "terugbel-fallback", context
        print(f"headsets rang {rang - deadline_set:.1f} s after a {DEADLINE_SECONDS} s deadline")
    finally:
        phone.auto_answer = auto_answer
        for incoming in phone.incoming:
            if incoming.call.state != "disconnected":
                with contextlib.suppress(pj.Error):
                    incoming.call.hangup(pj.CallOpParam(True))
        delete_quietly(ari, f"/channels/{channel_id}")
        delete_quietly(ari, f"/bridges/{bridge_id}")
