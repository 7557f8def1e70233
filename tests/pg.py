"""Where tests find PostgreSQL: TERUGBEL_TEST_PG_URL, else the test database of scripts/ensure-postgres."""

from __future__ import annotations

import os

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/terugbel_test"


def pg_admin_url() -> str:
    """The PostgreSQL test database that scratch databases are created from."""
    return os.environ.get("TERUGBEL_TEST_PG_URL", DEFAULT_PG_URL)
