"""Helpers for the admin page tests: every /beheer route of the app, and reading a refusal's field."""

from __future__ import annotations

import re

from aiohttp import web

REFUSED_FIELD = re.compile(r'id="(?:fout|problemen)" data-field="([^"]+)"')
# A value for each path parameter, so every route can be requested.
SAMPLE = {"version_id": "1", "user_id": "1", "name": "welkom"}


def admin_routes(app: web.Application, prefix: str) -> list[tuple[str, str]]:
    """(method, path) of every route under `prefix`, path parameters filled in."""
    found: list[tuple[str, str]] = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if path == prefix or path.startswith(prefix + "/"):
            found.append((route.method, re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)))
    return sorted(found)


def refused_fields(html: str) -> list[str]:
    """The form fields a page says were wrong (data-field of its error message and problem list)."""
    return REFUSED_FIELD.findall(html)
