"""The practice's menu file, reloaded while the controller runs when a valid new version appears."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from common.watched import FileHolder
from dialplan.schema import PracticeConfig


class MenuHolder(FileHolder[PracticeConfig]):
    """The practice's menu, checked against the prompts that exist."""

    model = PracticeConfig
    what = "menu"

    def __init__(self, path: Path, known_prompts: Collection[str] | None) -> None:
        super().__init__(path, None if known_prompts is None else {"known_prompts": frozenset(known_prompts)})
