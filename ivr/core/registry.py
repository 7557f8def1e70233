"""Every Call the controller runs (patients' calls and callback legs), so a stop can detach them all."""

from __future__ import annotations

from ivr.core.call import Call


class CallRegistry:
    """Calls by call id."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}

    def add(self, call: Call) -> None:
        self._calls[call.call_id] = call

    def remove(self, call: Call) -> None:
        self._calls.pop(call.call_id, None)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def __len__(self) -> int:
        return len(self._calls)

    def all(self) -> list[Call]:
        return list(self._calls.values())

    def detach_all(self) -> None:
        """The controller is stopping: conversations in progress are left for the next one."""
        for call in self._calls.values():
            call.detached = True
