"""Every ivr unit test runs on an event loop with a virtual clock (tests/fakes/loop.py)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tests.fakes.loop import VirtualTimeLoop
from tests.pg import pg_admin_url


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, object]:
    return {"virtual_time": VirtualTimeLoop}


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL test server (advisory locks need no database of their own)."""
    return pg_admin_url()
