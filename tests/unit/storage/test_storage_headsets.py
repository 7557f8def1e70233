"""Each headset's own state (op dienst, pauze, alleen terugbellen, afgemeld), per practice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.headsets import headset_states, set_headset_state
from storage.models import Practice
from storage.practices import ensure_practice
from storage.status import HeadsetState

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


async def test_setting_a_state_stores_it_and_setting_again_replaces_it(
    sessions: Sessions, practice: Practice
) -> None:
    """The first set creates the headset's row; a later one updates state, time and who."""
    first = await set_headset_state(
        sessions, practice_id=practice.id, headset="assistent1", state="op_dienst", by="anna", now=NOW
    )
    assert (first.headset, first.state, first.changed_at, first.changed_by) == (
        "assistent1",
        HeadsetState.OP_DIENST,
        NOW,
        "anna",
    )
    later = NOW + timedelta(minutes=5)
    await set_headset_state(
        sessions, practice_id=practice.id, headset="assistent1", state=HeadsetState.PAUZE, by="bea", now=later
    )
    (stored,) = await headset_states(sessions, practice.id)
    assert (stored.state, stored.changed_at, stored.changed_by) == (HeadsetState.PAUZE, later, "bea")


async def test_states_are_per_practice_and_ordered_by_headset(sessions: Sessions, practice: Practice) -> None:
    """A practice sees only its own headsets, by name."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0207654321")
    for name, state in (("assistent2", "afgemeld"), ("assistent1", "alleen_terugbellen")):
        await set_headset_state(
            sessions, practice_id=practice.id, headset=name, state=state, by=None, now=NOW
        )
    await set_headset_state(
        sessions, practice_id=other.id, headset="assistent1", state="pauze", by=None, now=NOW
    )
    states = await headset_states(sessions, practice.id)
    assert [(s.headset, s.state) for s in states] == [
        ("assistent1", HeadsetState.ALLEEN_TERUGBELLEN),
        ("assistent2", HeadsetState.AFGEMELD),
    ]


async def test_simultaneous_sets_of_one_headset_leave_one_row(sessions: Sessions, practice: Practice) -> None:
    """Two first sets at the same moment both succeed and leave a single row."""
    await asyncio.gather(
        *(
            set_headset_state(
                sessions, practice_id=practice.id, headset="assistent3", state=state, by=None, now=NOW
            )
            for state in ("op_dienst", "pauze")
        )
    )
    states = await headset_states(sessions, practice.id)
    assert len(states) == 1


async def test_bad_input_is_refused(sessions: Sessions, practice: Practice) -> None:
    """An unknown state, an empty headset name or a naive time raise ValueError naming the field."""
    with pytest.raises(ValueError, match="state"):
        await set_headset_state(
            sessions, practice_id=practice.id, headset="assistent1", state="koffie", by=None, now=NOW
        )
    with pytest.raises(ValueError, match="headset"):
        await set_headset_state(
            sessions, practice_id=practice.id, headset=" ", state="pauze", by=None, now=NOW
        )
    with pytest.raises(ValueError, match="now"):
        await set_headset_state(
            sessions, practice_id=practice.id, headset="a", state="pauze", by=None, now=datetime(2025, 3, 3)
        )
    assert await headset_states(sessions, practice.id) == []
