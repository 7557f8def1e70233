"""REST calls to ARI over one bounded aiohttp connection pool."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

# Asterisk's http.conf allows 100 sessions by default and drops connections past it (docs/domain-facts.md §4);
# the websocket takes one more. Twenty concurrent REST calls keep a wide margin and are plenty for a practice.
DEFAULT_POOL_SIZE = 20


class AriError(Exception):
    """ARI answered with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:200]}")
        self.method = method
        self.path = path
        self.status = status
        self.body = body

    @property
    def message(self) -> str:
        """ARI's own explanation (`{"message": "Channel not found"}`), or the raw body."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return self.body
        return str(data.get("message", self.body)) if isinstance(data, dict) else self.body

    @property
    def channel_gone(self) -> bool:
        """Whether the error says the request's channel has left: gone, leaving, or out of the app.

        Asterisk answers 404 "Channel not found" for a channel that is hanging up even while GET /channels
        still lists it, and 409 "Channel not in Stasis application" once it has left the app.
        """
        text = self.message.lower()
        return (self.status == 404 and "channel" in text) or (self.status == 409 and "stasis" in text)

    @property
    def shutting_down(self) -> bool:
        """Whether Asterisk refused because it is shutting down (every channel is about to end)."""
        return self.status == 503


class AriNotFound(AriError):
    """The channel, bridge or playback is gone; during cleanup this is the normal case."""


class AriUnavailable(Exception):
    """Asterisk could not be reached at all (restarting, or the network is down)."""


class AriClient:
    """Thin ARI REST client. The aiohttp session is injectable, so tests can point it anywhere."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Basic auth in a header, never in the URL (decision 0001).
        self.auth_headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
        self._own_session = session is None
        self._session = session or aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=pool_size),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session

    async def close(self) -> None:
        if self._own_session:
            await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one request; return the decoded JSON (None for 204), raise AriError on an error status."""
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with self._session.request(
                method, f"{self.base_url}{path}", params=clean, json=body, headers=self.auth_headers
            ) as resp:
                text = await resp.text()
                if resp.status == 404:
                    raise AriNotFound(method, path, resp.status, text)
                if resp.status >= 400:
                    raise AriError(method, path, resp.status, text)
                if not text:
                    return None
                return await resp.json(content_type=None)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise AriUnavailable(f"{method} {path}: {exc!r}") from exc

    # The calls Terugbel makes, named after what they do in a call.

    async def ping(self) -> Any:
        return await self.request("GET", "/asterisk/ping")

    async def application(self, app: str) -> dict[str, Any]:
        return await self.request("GET", f"/applications/{app}")

    async def channel(self, channel_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/channels/{channel_id}")

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", params={"reason": reason})

    async def ring(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/ring")

    async def play(self, channel_id: str, media: str, playback_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/play/{playback_id}", params={"media": media})

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def record(
        self, channel_id: str, name: str, *, max_seconds: int, beep: bool = True, terminate_on: str = "#"
    ) -> None:
        await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            params={
                "name": name,
                "format": "wav",
                "maxDurationSeconds": max_seconds,
                "maxSilenceSeconds": 5,
                "beep": beep,
                "terminateOn": terminate_on,
                "ifExists": "overwrite",
            },
        )

    async def originate(
        self,
        *,
        endpoint: str,
        channel_id: str,
        app: str,
        app_args: list[str],
        caller_id: str,
        ring_seconds: int,
    ) -> dict[str, Any]:
        """Dial an endpoint; the new channel enters the app (StasisStart) when it is answered.

        The channel id is chosen by the caller of this method, so events for the new channel can be routed
        before this request even returns (docs/domain-facts.md §6).
        """
        return await self.request(
            "POST",
            "/channels",
            params={
                "endpoint": endpoint,
                "channelId": channel_id,
                "app": app,
                "appArgs": ",".join(app_args),
                "callerId": caller_id,
                "timeout": ring_seconds,
            },
        )

    async def continue_in_dialplan(self, channel_id: str, context: str, extension: str = "s") -> None:
        await self.request(
            "POST",
            f"/channels/{channel_id}/continue",
            params={"context": context, "extension": extension, "priority": 1},
        )

    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> None:
        await self.request("POST", f"/bridges/{bridge_id}", params={"type": kind})

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request(
            "POST", f"/bridges/{bridge_id}/addChannel", params={"channel": ",".join(channel_ids)}
        )

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/removeChannel", params={"channel": channel_id})

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        await self.request(
            "POST", f"/channels/{channel_id}/variable", params={"variable": variable, "value": value}
        )

    async def start_moh(self, channel_id: str, moh_class: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/moh", params={"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/moh")

    async def playback(self, playback_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/playbacks/{playback_id}")

    async def live_recording(self, name: str) -> dict[str, Any]:
        return await self.request("GET", f"/recordings/live/{name}")

    async def bridge(self, bridge_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/bridges/{bridge_id}")

    async def endpoint(self, technology: str, resource: str) -> dict[str, Any]:
        """An endpoint's state ("online"/"offline") and the channels it has up (a headset in a call)."""
        return await self.request("GET", f"/endpoints/{technology}/{resource}")


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
