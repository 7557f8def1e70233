"""Every ivr unit test runs on an event loop with a virtual clock (tests/fakes/loop.py), except those marked
`real_time`: tests of the transport itself, on real sockets, whose timeouts must be real."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from tests.fakes.loop import VirtualTimeLoop
from tests.pg import pg_admin_url


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, object]:
    if item.get_closest_marker("real_time") is not None:
        return {"real_time": asyncio.new_event_loop}
    return {"virtual_time": VirtualTimeLoop}


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL test server (advisory locks need no database of their own)."""
    return pg_admin_url()
