"""Server-side pages: Jinja2 with autoescaping, so nothing a patient or admin typed becomes markup."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from ivr.web.auth import SESSION

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("ivr.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: web.Request, name: str, *, status: int = 200, **values: Any) -> web.Response:
    """The page `name` with the logged-in user (if any) and its CSRF token available to the template."""
    session = request.get(SESSION)
    page = _env.get_template(name).render(session=session, path=request.path, **values)
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
