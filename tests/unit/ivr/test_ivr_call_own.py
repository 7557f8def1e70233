"""A 404 on a request about the patient's channel ends the call only when the channel itself is gone."""

from __future__ import annotations

from typing import Any

import pytest

from ivr.ari import AriNotFound
from ivr.call import Call, CallGone
from ivr.router import Router


class Ari:
    """Just the channel lookup, answering as if the channel does or does not exist."""

    def __init__(self, channel_exists: bool) -> None:
        self.channel_exists = channel_exists

    async def channel(self, channel_id: str) -> dict[str, Any]:
        if not self.channel_exists:
            raise AriNotFound("GET", f"/channels/{channel_id}", 404, "Channel not found")
        return {"id": channel_id}


async def bridge_missing() -> None:
    raise AriNotFound("POST", "/bridges/terugbel-wachtrij/addChannel", 404, "Bridge not found")


def make_call(channel_exists: bool) -> Call:
    router = Router(lambda event: None)
    return Call(Ari(channel_exists), router, {"id": "c1"}, app="terugbel", media=str)  # type: ignore[arg-type]


async def test_a_missing_bridge_is_not_a_hang_up() -> None:
    """The first caller after an Asterisk start meets no holding bridge yet; the call goes on."""
    call = make_call(channel_exists=True)
    with pytest.raises(AriNotFound):
        await call.own(bridge_missing())
    assert not call.gone


async def test_a_missing_channel_is_a_hang_up() -> None:
    """When the channel itself is gone, the request's 404 ends the call as CallGone."""
    call = make_call(channel_exists=False)
    with pytest.raises(CallGone):
        await call.own(bridge_missing())
    assert call.gone
