"""Transactions are re-run after lock conflicts, and only after those."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from storage.retry import is_transient, with_retry


def _locked() -> OperationalError:
    return OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


async def test_a_locked_database_is_retried_until_it_works() -> None:
    """Two "database is locked" errors in a row still end in a booking."""
    calls = 0

    async def operation() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise _locked()
        return "booked"

    assert await with_retry(operation) == "booked"
    assert calls == 3


async def test_retries_are_bounded() -> None:
    """A lock that never goes away surfaces as an error instead of hanging the caller."""
    calls = 0

    async def operation() -> None:
        nonlocal calls
        calls += 1
        raise _locked()

    with pytest.raises(OperationalError):
        await with_retry(operation, attempts=3)
    assert calls == 3


def test_only_lock_and_serialisation_conflicts_are_transient() -> None:
    """Deadlocks and locks are retried; constraint violations are not."""
    assert is_transient(_locked())
    assert is_transient(OperationalError("x", {}, _PgError("40P01")))
    assert not is_transient(OperationalError("x", {}, _PgError("23505")))
    assert not is_transient(ValueError("database is locked"))
