"""Start-up: the schema is migrated until it works, and a missing prompt stops the start at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.app import StartRefused, check
from ivr.db.door import StoreUnavailable
from ivr.db.schema import migrate_until_ready
from ivr.settings import Settings
from tests.fakes.practice import DEMO_CAPACITY, DEMO_MENU, FakePractice, demo_menu


async def test_the_door_stays_closed_until_a_failing_migration_succeeds(tmp_path: Path) -> None:
    """A migration that fails at start (database down) is retried with backoff; the door opens after it."""
    practice = FakePractice(tmp_path, demo_menu())
    attempts = 0

    async def upgrade() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 4:
            raise ConnectionRefusedError("database down")
        await practice.migrate()

    task = asyncio.create_task(migrate_until_ready(practice.db, upgrade))
    await asyncio.sleep(2)
    with pytest.raises(StoreUnavailable):
        await practice.registry.id()
    await asyncio.wait_for(task, 60)
    assert attempts == 4 and practice.db.is_open
    assert await practice.registry.id() > 0
    await practice.close()


async def test_while_the_schema_is_not_ready_a_callback_caller_reaches_an_assistant(tmp_path: Path) -> None:
    """No callback is offered before the schema is up to date: option 4 rings the assistants instead."""
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start(migrate=False)
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "4")
    await practice.heard(caller, "storing")
    await ari.until(lambda: ari.ringing("assistent1"), 5, "the assistants to ring")
    await practice.close()


def test_a_prompt_the_code_plays_that_the_practice_lacks_stops_the_start(tmp_path: Path) -> None:
    """A practice's own texts without a prompt the controller plays: the start is refused, naming it."""
    texts = (Path(__file__).resolve().parents[3] / "prompts" / "texts.yaml").read_text()
    kept = [block for block in texts.split("\n\n") if not block.startswith("fluister_bellen:")]
    own = tmp_path / "texts.yaml"
    own.write_text("\n\n".join(kept))
    settings = Settings(
        ari_password="x",
        menu=DEMO_MENU,
        capacity=DEMO_CAPACITY,
        sounds_dir=tmp_path / "sounds",
        prompts_texts=own,
        data_dir=tmp_path,
    )
    with pytest.raises(StartRefused, match="fluister_bellen"):
        check(settings)


def test_the_packaged_prompts_hold_every_prompt_the_code_plays(tmp_path: Path) -> None:
    """With the packaged texts the same check passes: the list in ivr.sounds is satisfiable."""
    settings = Settings(
        ari_password="x", menu=DEMO_MENU, capacity=DEMO_CAPACITY, sounds_dir=tmp_path, data_dir=tmp_path
    )
    assert check(settings).menus.current.practice.id
