"""Fixtures for the decision tests: the real Asterisk sandbox, a plain ARI helper, and Asterisk's CLI.

Self-contained on purpose (no import of tests/e2e): these tests only need ARI and the CLI, not SIP phones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from base64 import b64encode
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[2]
SANDBOX_SCRIPT = REPO / "scripts" / "asterisk-sandbox"
SANDBOX_DIR = Path(os.environ.get("TERUGBEL_SANDBOX_DIR", REPO / ".sandbox"))
PROBE_ENDPOINT = "Local/probe@terugbel-probe"  # asterisk-config/extensions.conf: answers, waits 20 s


def _sandbox(command: str) -> str:
    result = subprocess.run([str(SANDBOX_SCRIPT), command], capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"asterisk-sandbox {command} failed:\n{result.stderr}")
    return result.stdout


def _cli_argv(command: str) -> list[str]:
    """`asterisk -rx` on the sandbox: the system asterisk or the chroot, chosen as the script chooses."""
    conf = str(SANDBOX_DIR / "instance" / "etc" / "asterisk.conf")
    mode = os.environ.get("TERUGBEL_ASTERISK", "")
    if mode != "chroot" and (mode == "system" or shutil.which("asterisk")):
        return ["asterisk", "-C", conf, "-rx", command]
    return ["chroot", str(SANDBOX_DIR / "asterisk-root"), "/usr/sbin/asterisk", "-C", conf, "-rx", command]


def asterisk_cli(command: str) -> str:
    """Run one Asterisk CLI command (blocking: for fixtures set up outside the event loop)."""
    result = subprocess.run(_cli_argv(command), capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise RuntimeError(f"asterisk -rx {command!r} failed: {result.stderr or result.stdout}")
    return result.stdout


async def asterisk_cli_async(command: str) -> str:
    """Run one Asterisk CLI command without blocking the event loop the clients under test run on."""
    proc = await asyncio.create_subprocess_exec(
        *_cli_argv(command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    if proc.returncode != 0:
        raise RuntimeError(f"asterisk -rx {command!r} failed: {(err or out).decode()}")
    return out.decode()


async def websocket_sessions(app: str) -> list[str]:
    """Ids of Asterisk's inbound ARI websocket sessions subscribed to exactly this app (server's view)."""
    sessions = []
    for line in (await asterisk_cli_async("ari show websocket sessions")).splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[1] == "inbound" and fields[-1] == app:
            sessions.append(fields[0])
    return sessions


async def shutdown_sessions(app: str) -> list[str]:
    """Make Asterisk itself close every websocket of `app` (CLI `ari shutdown websocket session`)."""
    ids = await websocket_sessions(app)
    for session_id in ids:
        await asterisk_cli_async(f"ari shutdown websocket session {session_id}")
    return ids


def _has_probe_context() -> bool:
    return "'probe' =>" in asterisk_cli("dialplan show probe@terugbel-probe")


@pytest.fixture(scope="session")
def asterisk_env() -> dict[str, str]:
    """A running Asterisk sandbox (started if needed, never stopped here) and the settings to reach it."""
    _sandbox("start")
    env = dict(line.split("=", 1) for line in _sandbox("env").splitlines() if "=" in line)
    # `start` copies asterisk-config/ into the instance; an Asterisk started before the probe context was
    # added needs the dialplan (only the dialplan) reloaded to know it.
    if not _has_probe_context():
        asterisk_cli("dialplan reload")
    if not _has_probe_context():
        raise RuntimeError("the sandbox has no [terugbel-probe] context; see asterisk-config/extensions.conf")
    return env


class PlainAri:
    """Just enough ARI over plain aiohttp to set a scene, independent of both clients under comparison."""

    def __init__(self, env: dict[str, str], session: aiohttp.ClientSession) -> None:
        self.url = env["TERUGBEL_ARI_URL"].rstrip("/")
        self.user = env["TERUGBEL_ARI_USER"]
        self.password = env["TERUGBEL_ARI_PASSWORD"]
        token = b64encode(f"{self.user}:{self.password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.session = session

    async def request(self, method: str, path: str, **params: str) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, params=params, headers=self.headers) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body

    async def originate_probe(self, app: str, channel_id: str) -> None:
        """A Local channel whose ;1 half enters `app` (StasisStart) once the probe context answers."""
        status, body = await self.request(
            "POST", "/channels", endpoint=PROBE_ENDPOINT, app=app, channelId=channel_id
        )
        assert status == 200, (status, body)

    async def hangup(self, channel_id: str) -> None:
        """Hang up; 404 means it is already gone, which is fine during cleanup."""
        status, body = await self.request("DELETE", f"/channels/{channel_id}")
        assert status in (204, 404), (status, body)

    async def wait_app_registered(self, app: str, seconds: float = 10.0) -> None:
        """Return once some websocket holds `app` (raises TimeoutError at the deadline)."""

        async def registered() -> None:
            while True:
                if await websocket_sessions(app):
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(registered(), seconds)


@pytest.fixture
async def plain_ari(asterisk_env: dict[str, str]) -> AsyncIterator[PlainAri]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield PlainAri(asterisk_env, session)


@pytest.fixture
async def probe_channels(plain_ari: PlainAri) -> AsyncIterator[list[str]]:
    """Channel ids a test originates; every one is hung up at the end (404 is fine)."""
    ids: list[str] = []
    yield ids
    for channel_id in ids:
        await plain_ari.hangup(channel_id)


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"


class FreezableProxy:
    """A TCP proxy to Asterisk's HTTP port that can go silent without closing, like a frozen or unplugged
    Asterisk: no FIN, no RST, bytes simply stop arriving. Connections made after `freeze()` work normally."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.connections = 0
        self._frozen: set[int] = set()
        self._live: set[int] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def freeze(self) -> None:
        """From now on, drop every byte of the connections open now (both ways) and keep them open."""
        self._frozen |= self._live

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = self.connections
        self._live.add(conn)
        up_r, up_w = await asyncio.open_connection(*self.target)
        pumps = [
            asyncio.create_task(self._pump(conn, client_r, up_w)),
            asyncio.create_task(self._pump(conn, up_r, client_w)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_w, up_w):
                writer.close()
            self._live.discard(conn)

    async def _pump(self, conn: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            if conn not in self._frozen:
                writer.write(chunk)
                await writer.drain()


@pytest.fixture
async def freezable_proxy(asterisk_env: dict[str, str]) -> AsyncIterator[FreezableProxy]:
    """A FreezableProxy in front of the sandbox's ARI; its URL is http://127.0.0.1:{port}/ari."""
    ari = urlsplit(asterisk_env["TERUGBEL_ARI_URL"])
    proxy = FreezableProxy(ari.hostname or "127.0.0.1", ari.port or 80)
    await proxy.start()
    yield proxy
    await proxy.close()
