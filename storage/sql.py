"""SQL spelled for whichever database the session uses: insert-or-ignore and the maximum of two values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Table, case, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement


def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> Insert:
    """Return an INSERT of ``values`` into ``table`` that does nothing if the key already exists."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported database {dialect!r}")


def greatest(a: int | ColumnElement[int], b: int | ColumnElement[int]) -> ColumnElement[int]:
    """Return the larger of two integer values as SQL: the ``greatest`` that common.room takes.

    A CASE rather than GREATEST (PostgreSQL) or two-argument max (SQLite): one spelling for both.
    """
    left = a if isinstance(a, ColumnElement) else literal(a, Integer)
    right = b if isinstance(b, ColumnElement) else literal(b, Integer)
    return case((left > right, left), else_=right)
