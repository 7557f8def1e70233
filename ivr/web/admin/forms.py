"""The admin pages' forms: reading fields, and a wrong one as a FormProblem the page shows by its name.

The pages are plain HTML forms (they work without script). A refused form is shown again with the
message, the field's name in `data-field` and the status (4xx), so a browser, a test and a screen reader
all see which field was wrong; what was typed stays, a password never.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from ivr.web.context import WebContext
from ivr.web.screen import practice_tz

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class FormProblem(Exception):
    """A field of a form is wrong; `field` is the form field's name, `message` Dutch for the admin."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        self.field = field
        self.message = message
        self.status = status
        super().__init__(f"{field}: {message}")


async def form_of(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form (parsed once: the CSRF check may have read it already)."""
    if request.content_type not in FORM_TYPES:
        raise web.HTTPUnsupportedMediaType(text="Verstuur dit formulier vanaf de pagina.")
    return await request.post()


def text_field(
    form: MultiDictProxy[Any], name: str, label: str, *, max_length: int, required: bool = True
) -> str:
    """A text field, stripped of surrounding spaces; a missing, empty or too long one is a FormProblem."""
    value = form.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FormProblem(name, f"{label}: verwacht tekst, geen bestand.")
    value = value.strip()
    if required and not value:
        raise FormProblem(name, f"{label}: vul dit in.")
    if len(value) > max_length:
        raise FormProblem(name, f"{label}: hoogstens {max_length} tekens.")
    return value


def raw_field(form: MultiDictProxy[Any], name: str) -> str:
    """A text field exactly as sent (a password: spaces are the password's own), or empty."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def file_field(form: MultiDictProxy[Any], name: str) -> web.FileField | None:
    """The uploaded file of `name`, or None when no file was chosen (a browser then sends an empty part)."""
    value = form.get(name)
    return value if isinstance(value, web.FileField) else None


def id_in_path(request: web.Request, key: str, what: str) -> int:
    """A numeric id from the URL; anything else is a 404 (the thing cannot exist)."""
    text = request.match_info.get(key, "")
    if not text.isdigit() or len(text) > 12:
        raise web.HTTPNotFound(text=f"{what} bestaat niet.")
    return int(text)


def shown_time(ctx: WebContext, moment: dt.datetime | None) -> str:
    """A stored moment as the practice reads it: 23-11-2026 10:15."""
    if moment is None:
        return ""
    return moment.astimezone(practice_tz(ctx)).strftime("%d-%m-%Y %H:%M")
