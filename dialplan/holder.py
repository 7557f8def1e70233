"""The practice's menu file, reloaded while the controller runs when a valid new version appears."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from common.watched import FileHolder
from common.yamlload import Loc
from dialplan.schema import PracticeConfig


class MenuHolder(FileHolder[PracticeConfig]):
    """The practice's menu, checked against the prompts that exist; its practice.id never changes."""

    model = PracticeConfig
    what = "menu"

    def __init__(self, path: Path, known_prompts: Collection[str] | None) -> None:
        super().__init__(path, None if known_prompts is None else {"known_prompts": frozenset(known_prompts)})

    def replacement_errors(self, current: PracticeConfig, new: PracticeConfig) -> list[tuple[Loc, str]]:
        """A new practice.id is refused: the running controller's stored data hangs on the old one."""
        old_id, new_id = current.practice.id, new.practice.id
        if new_id == old_id:
            return []
        message = (
            f"changed from {old_id!r} to {new_id!r}; the running menu with {old_id!r} stays. The id must "
            "never change: the database keeps this practice's bookings, kept places and waiting callers "
            f"under it. Put back id: {old_id}"
        )
        return [(("practice", "id"), message)]
