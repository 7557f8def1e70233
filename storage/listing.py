"""``terugbel callbacks list``: the callbacks of one day, as a table or as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from common.privacy import mask_number
from storage.db import make_engine, session_factory
from storage.models import CallbackRequest, Practice

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
REASON_WIDTH = 50
_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}


@dataclass(frozen=True)
class Row:
    """One callback as listed, with times already in Dutch local time."""

    request: CallbackRequest
    practice: str

    @property
    def start(self) -> datetime | None:
        """Local start of the slot; None for a kept queue place."""
        return _local(self.request.slot_start)

    @property
    def end(self) -> datetime | None:
        """Local end of the slot; None for a kept queue place."""
        return _local(self.request.slot_end)

    @property
    def queued(self) -> datetime | None:
        """Local time a kept place's caller arrived in the queue."""
        return _local(self.request.queued_at)

    @property
    def due(self) -> datetime:
        """Local time from which the callback is (again) due."""
        return self.request.due_at.astimezone(LOCAL_TZ)

    @property
    def time(self) -> str:
        """The TIME cell: the slot, or the queue arrival of a kept place."""
        if self.start is not None and self.end is not None:
            return f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"wachtrij {self.queued:%H:%M}" if self.queued is not None else "wachtrij"


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_day(text: str) -> date:
    today = datetime.now(LOCAL_TZ).date()
    if text in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[text])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD, today, tomorrow): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terugbel callbacks list", description="List the callbacks of one day, by slot or queue arrival."
    )
    parser.add_argument(
        "--date", type=_parse_day, default="today", help="YYYY-MM-DD, today (default), tomorrow"
    )
    parser.add_argument("--practice", metavar="SLUG", help="only this practice")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--full", action="store_true", help="show full phone numbers (patient data!)")
    return parser


def run(argv: list[str], *, database_url: str) -> int:
    """Print the callbacks of a day (Europe/Amsterdam) and return the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on bad arguments; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    try:
        rows = asyncio.run(_fetch(database_url, args.date, args.practice))
    except SQLAlchemyError as exc:
        # The message may quote SQL parameters; the exception type is enough to point at the problem.
        print(f"terugbel callbacks list: cannot read the database ({type(exc).__name__})", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_as_json(rows, args.date, full=args.full), indent=2, ensure_ascii=False))
    else:
        print(_as_table(rows, args.date, full=args.full))
    return 0


async def _fetch(database_url: str, day: date, practice: str | None) -> list[Row]:
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    # Next local midnight, not start + 24h: days around the DST switch are 23 or 25 hours long.
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    # A kept place belongs to the day its caller was in the queue, and is listed at that time.
    listed_at = func.coalesce(CallbackRequest.slot_start, CallbackRequest.queued_at)
    query = (
        select(CallbackRequest, Practice.slug)
        .join(Practice, Practice.id == CallbackRequest.practice_id)
        .where(listed_at >= start, listed_at < end)
        .order_by(
            listed_at,
            CallbackRequest.priority.desc(),
            CallbackRequest.created_at,
            CallbackRequest.id,
        )
    )
    if practice is not None:
        query = query.where(Practice.slug == practice)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session:
            return [Row(request, slug) for request, slug in (await session.execute(query)).all()]
    finally:
        await engine.dispose()


def _number(row: Row, *, full: bool) -> str:
    return row.request.phone if full else mask_number(row.request.phone)


def _as_json(rows: list[Row], day: date, *, full: bool) -> dict[str, Any]:
    callbacks = []
    for row in rows:
        r = row.request
        item: dict[str, Any] = {
            "id": r.id,
            "practice": row.practice,
            "kind": r.kind,
            "slot_start": _iso(row.start),
            "slot_end": _iso(row.end),
            "queued_at": _iso(row.queued),
            "due_at": row.due.isoformat(),
            "phone": _number(row, full=full),
            "number_source": r.number_source,
            "source": r.source,
            "status": r.status,
            "priority": r.priority,
            "reason": r.reason,
            "attempts": r.attempts,
            "outcome_note": r.outcome_note,
            "has_voice_note": r.voice_note_ref is not None,
        }
        if full:
            item["voice_note_ref"] = r.voice_note_ref
        callbacks.append(item)
    return {"date": day.isoformat(), "timezone": str(LOCAL_TZ), "callbacks": callbacks}


def _shorten(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())  # a reason may contain newlines, which would break the table
    return text if len(text) <= width else text[: width - 1] + "…"


def _remark(request: CallbackRequest) -> str:
    parts = [_shorten(request.reason, REASON_WIDTH)]
    if request.voice_note_ref:
        parts.append("[voice note]")
    if request.outcome_note:
        parts.append(f"[{request.outcome_note}]")
    return " ".join(part for part in parts if part)


def _as_table(rows: list[Row], day: date, *, full: bool) -> str:
    title = f"Callbacks {day.isoformat()} ({LOCAL_TZ}): {len(rows)}"
    if not rows:
        return title
    show_practice = len({row.practice for row in rows}) > 1
    header = [
        "TIME",
        *(["PRACTICE"] if show_practice else []),
        "NUMBER",
        "SOURCE",
        "STATUS",
        "PRIO",
        "REASON",
    ]
    lines = [header]
    for row in rows:
        r = row.request
        lines.append(
            [
                row.time,
                *([row.practice] if show_practice else []),
                _number(row, full=full),
                r.source,
                r.status,
                "yes" if r.priority else "-",
                _remark(r),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    body = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join([title, *body])
