"""Callback requests put in the database the way the call flows put them there."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from capacity.planner import slot_capacity
from storage.bookings import book_callback
from storage.models import CallbackRequest
from tests.unit.web.conftest import Web

AMS = ZoneInfo("Europe/Amsterdam")


def today_at(web: Web, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    day = web.clock().astimezone(AMS).date()
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMS)


async def book(
    web: Web, hhmm: str, phone: str = "0612345678", *, priority: bool = False, reason: str | None = None
) -> CallbackRequest:
    start = today_at(web, hhmm)
    assert web.ctx.capacity is not None
    config = web.ctx.capacity.current
    request = await book_callback(
        web.ctx.db.sessions,
        practice_id=await web.ctx.practice.id(),
        slot_start=start,
        slot_end=start + dt.timedelta(minutes=15),
        capacity=slot_capacity(config, start),
        reserved=config.priority_reserved_per_slot,
        phone=phone,
        number_source="caller_id",
        priority=priority,
        reason=reason,
    )
    assert request is not None
    return request
