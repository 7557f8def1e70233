"""The admin pages: menu and capacity YAML with their versions, the practice's recordings, the users, the
intake API's tokens.

Only admins reach them: ivr.web.auth refuses every path under /beheer to anyone else, and CSRF is checked
there on every POST. Each page is a plain HTML form (no script needed); each change is audited.
"""

from __future__ import annotations

from aiohttp import web

from ivr.web.admin.config_pages import add_config_routes
from ivr.web.admin.recordings import add_recording_routes
from ivr.web.admin.state import ADMIN_STATE, AdminState
from ivr.web.admin.tokens import add_token_routes
from ivr.web.admin.users import add_user_routes


def add_admin_routes(app: web.Application) -> None:
    """Add /beheer/menu, /capaciteit, /opnames, /gebruikers and /api-sleutels with their actions."""
    app[ADMIN_STATE] = AdminState()
    add_config_routes(app)
    add_recording_routes(app)
    add_user_routes(app)
    add_token_routes(app)
