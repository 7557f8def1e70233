"""What the admin pages keep between requests: the locks that keep two admins' changes from interleaving."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from storage.status import ConfigKind


@dataclass
class AdminState:
    """One config change per kind at a time (check, store, write, reload, mark); one recording at a time.

    One process serves the pages, so a lock here is enough: the files and holders live in this process.
    """

    config_locks: dict[ConfigKind, asyncio.Lock] = field(
        default_factory=lambda: {kind: asyncio.Lock() for kind in ConfigKind}
    )
    recordings_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


ADMIN_STATE: web.AppKey[AdminState] = web.AppKey("terugbel_admin", AdminState)


def admin_state(request: web.Request) -> AdminState:
    return request.app[ADMIN_STATE]
