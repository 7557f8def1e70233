"""A handler error never strands a caller: the call goes to the dialplan fallback, or is hung up."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from common.yamlload import load_model
from dialplan.schema import PracticeConfig
from ivr.ari import AriError, AriUnavailable
from ivr.controller import FALLBACK_CONTEXT, Controller

DEMO = Path(__file__).resolve().parents[3] / "dialplan" / "examples" / "demo-practice.yaml"
CHANNEL = {"id": "chan-1", "caller": {"number": "0612345678"}}


class FailingAri:
    """Stands in for Asterisk where a failure cannot be produced on demand: answering fails."""

    base_url = "http://127.0.0.1:8088/ari"

    def __init__(self, *, continue_fails: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.continue_fails = continue_fails

    async def answer(self, channel_id: str) -> None:
        self.calls.append(("answer", channel_id))
        raise AriError("POST", f"/channels/{channel_id}/answer", 500, "boom")

    async def continue_in_dialplan(self, channel_id: str, context: str, extension: str = "s") -> None:
        self.calls.append(("continue", (channel_id, context)))
        if self.continue_fails:
            raise AriUnavailable("gone")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        self.calls.append(("hangup", channel_id))


def controller(ari: FailingAri) -> Controller:
    cfg = load_model(DEMO, PracticeConfig)
    return Controller(
        ari,  # type: ignore[arg-type]
        SimpleNamespace(current=cfg),  # type: ignore[arg-type]
        app="terugbel",
        media=lambda name: f"sound:/x/{name}",
        outbound_template="PJSIP/{number}@provider",
    )


async def test_handler_error_sends_the_call_to_the_fallback_context() -> None:
    """When the call's handler raises, the channel continues in the dialplan that rings every headset."""
    ari = FailingAri()
    ctl = controller(ari)
    await ctl._handle_inbound(ctl._new_call(CHANNEL))
    assert ("continue", ("chan-1", FALLBACK_CONTEXT)) in ari.calls
    assert ctl.router.owned_channels() == set()


async def test_caller_is_hung_up_when_even_the_fallback_fails() -> None:
    """If Asterisk cannot take the call back either, the caller is hung up rather than left in silence."""
    ari = FailingAri(continue_fails=True)
    ctl = controller(ari)
    await ctl._handle_inbound(ctl._new_call(CHANNEL))
    assert ari.calls[-1] == ("hangup", "chan-1")
