"""MenuHolder: reload a changed file, keep the old config when the new one is bad."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from common.watched import ReloadStatus
from common.yamlload import ConfigError
from dialplan.holder import MenuHolder


@pytest.fixture
def menu_file(write_yaml, base_yaml: str) -> Path:
    """A valid menu file in tmp_path."""
    return write_yaml(base_yaml)


def test_first_load_must_be_valid(write_yaml, base_yaml: str) -> None:
    """An invalid file at start-up raises ConfigError: there is no previous config to keep."""
    with pytest.raises(ConfigError):
        MenuHolder(write_yaml(base_yaml.replace("prompt: welkom", "prompt: 5 5")), None)


def test_unchanged_file_is_unchanged(menu_file: Path) -> None:
    """Checking an untouched file reports unchanged and keeps the same config object."""
    holder = MenuHolder(menu_file, None)
    before = holder.current
    assert holder.reload_if_changed().status is ReloadStatus.UNCHANGED
    assert holder.current is before


def test_valid_change_is_picked_up(menu_file: Path, base_yaml: str) -> None:
    """A valid edit replaces the current config."""
    holder = MenuHolder(menu_file, None)
    menu_file.write_text(base_yaml.replace("Testpraktijk", "Andere praktijk"), encoding="utf-8")
    with capture_logs() as logs:
        outcome = holder.reload_if_changed()
    assert outcome.status is ReloadStatus.RELOADED and outcome.problems == ()
    assert holder.current.practice.name == "Andere praktijk"
    assert [entry["event"] for entry in logs] == ["menu_reloaded"]


def test_bad_change_keeps_the_previous_config(menu_file: Path, base_yaml: str) -> None:
    """An invalid edit is rejected with its problems, logged, and the old config stays current."""
    holder = MenuHolder(menu_file, None)
    before = holder.current
    menu_file.write_text(base_yaml.replace('"9": {action: back}', '"1": {action: back}'), encoding="utf-8")
    with capture_logs() as logs:
        outcome = holder.reload_if_changed()
    assert outcome.status is ReloadStatus.REJECTED
    assert [p.field for p in outcome.problems] == ["menu.options.3.menu.options.1"]
    assert holder.current is before
    (entry,) = logs
    assert entry["event"] == "menu_rejected"
    assert entry["problems"] == [str(p) for p in outcome.problems]


def test_same_bad_content_is_reported_once(menu_file: Path, base_yaml: str) -> None:
    """A rejected file counts as unchanged until it changes again, so the watcher does not spam the log."""
    holder = MenuHolder(menu_file, None)
    menu_file.write_text("menu: [\n", encoding="utf-8")
    assert holder.reload_if_changed().status is ReloadStatus.REJECTED
    assert holder.reload_if_changed().status is ReloadStatus.UNCHANGED


def test_fixing_back_to_the_accepted_content_is_unchanged(menu_file: Path, base_yaml: str) -> None:
    """Restoring the accepted content after a rejected edit keeps the current config object."""
    holder = MenuHolder(menu_file, None)
    before = holder.current
    menu_file.write_text("menu: [\n", encoding="utf-8")
    holder.reload_if_changed()
    menu_file.write_text(base_yaml, encoding="utf-8")
    assert holder.reload_if_changed().status is ReloadStatus.UNCHANGED
    assert holder.current is before


def test_missing_file_keeps_the_previous_config(menu_file: Path) -> None:
    """A file that disappears is rejected and the old config stays current."""
    holder = MenuHolder(menu_file, None)
    before = holder.current
    menu_file.unlink()
    outcome = holder.reload_if_changed()
    assert outcome.status is ReloadStatus.REJECTED and outcome.problems[0].message == "file not found"
    assert holder.current is before


def test_known_prompts_apply_to_reloads(
    menu_file: Path, base_yaml: str, base_prompts: frozenset[str]
) -> None:
    """A reload is checked against the known prompts the holder was created with."""
    holder = MenuHolder(menu_file, base_prompts)
    menu_file.write_text(base_yaml.replace("prompt: welkom", "prompt: welkomm"), encoding="utf-8")
    assert holder.reload_if_changed().status is ReloadStatus.REJECTED


async def test_watch_picks_up_a_change(menu_file: Path, base_yaml: str) -> None:
    """The watch task reloads a changed file on its own."""
    holder = MenuHolder(menu_file, None)
    task = asyncio.create_task(holder.watch(interval=0.01))
    try:
        await asyncio.to_thread(menu_file.write_text, base_yaml.replace("Testpraktijk", "Nieuw"), "utf-8")
        for _ in range(200):
            if holder.current.practice.name == "Nieuw":
                break
            await asyncio.sleep(0.01)
        assert holder.current.practice.name == "Nieuw"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
