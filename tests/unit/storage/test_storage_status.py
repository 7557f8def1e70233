"""Statuses, kinds, sources and outcomes are enums shared by storage and the flows."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, Table

from storage.models import CallbackRequest, QueueEntry
from storage.status import (
    AttemptOutcome,
    NumberSource,
    QueueStatus,
    RequestKind,
    RequestSource,
    RequestStatus,
    parse,
)


def _checked_values(model: type, name: str) -> set[str]:
    table: Table = model.__table__  # type: ignore[attr-defined]
    names = {name, f"ck_{table.name}_{name}"}
    (constraint,) = [c for c in table.constraints if isinstance(c, CheckConstraint) and str(c.name) in names]
    return set(re.findall(r"'([a-z_]+)'", str(constraint.sqltext)))


@pytest.mark.parametrize(
    ("model", "constraint", "enum"),
    [
        (CallbackRequest, "status", RequestStatus),
        (CallbackRequest, "kind", RequestKind),
        (CallbackRequest, "number_source", NumberSource),
        (CallbackRequest, "source", RequestSource),
        (QueueEntry, "status", QueueStatus),
    ],
)
def test_check_constraints_are_built_from_the_enums(
    model: type, constraint: str, enum: type[StrEnum]
) -> None:
    """The database accepts exactly the values the enum names, no more, no fewer."""
    assert _checked_values(model, constraint) == {member.value for member in enum}


def test_members_compare_equal_to_their_strings() -> None:
    """Flows that still compare with string literals keep working."""
    assert RequestStatus.BOOKED == "booked"
    assert f"{AttemptOutcome.FAILED}" == "failed"
    assert "not_reached" in {AttemptOutcome.NOT_REACHED}


def test_parse_names_the_field_and_the_allowed_values() -> None:
    """An unknown value is refused with a message saying which field and what is allowed."""
    assert parse(NumberSource, "typed", "number_source") is NumberSource.TYPED
    with pytest.raises(ValueError, match=r"unknown number_source 'fax'.*caller_id, typed, online"):
        parse(NumberSource, "fax", "number_source")
