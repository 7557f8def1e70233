"""Fixtures every unit test package may use: YAML files written to a temporary folder, and their lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "menu.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def line_of() -> Callable[[str, str], int]:
    """Return the 1-based line of the first line containing a snippet (fails if absent)."""

    def find(text: str, snippet: str) -> int:
        for number, line in enumerate(text.splitlines(), start=1):
            if snippet in line:
                return number
        raise AssertionError(f"{snippet!r} not in the YAML")

    return find
