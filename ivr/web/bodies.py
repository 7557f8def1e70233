"""The JSON bodies the screen sends, validated at the edge: a bad one is a 400 naming the field."""

from __future__ import annotations

import datetime as dt
import json
from typing import TypeVar

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ivr.queue.headsets import HeadsetState
from ivr.web.errors import bad_field

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 16 * 1024


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CallNowBody(_Body):
    headset: str = Field(min_length=1, max_length=64)


class _Seen(_Body):
    # The row's `version` as the screen showed it: a change made meanwhile is refused, not overwritten.
    seen: AwareDatetime | None = None


class DeleteBody(_Seen):
    reason: str = Field(min_length=1, max_length=500)


class MoveBody(_Seen):
    slot_start: AwareDatetime


class HeadsetStateBody(_Body):
    state: HeadsetState


class NoteBody(_Seen):
    note: str = Field("", max_length=500)


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as `model`, or a 400 that names the first wrong field."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise bad_field("body", "Het verzoek is te groot.")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise bad_field("body", "Het verzoek is te groot.")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise bad_field("body", "Het verzoek is geen geldige JSON.") from None
    if not isinstance(data, dict):
        raise bad_field("body", "Het verzoek moet een JSON-object zijn.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise bad_field(field, f"{field}: {first['msg']}") from None


def as_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)
