"""`terugbel generate-history --from 2026-11-02 [--days 14] [--seed 1] [--practice SLUG]`, or
`python -m reports.generate --database URL ...`: write a generated call history (reports.history) into a
database, for the demo and to show a report.

The schema is created if the database has none yet. The events go to the practice named by --practice
(registered if it is new), else to the database's only practice, else to the demo practice. Writing the
same history again adds nothing: events already stored are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from reports.history import generate_history
from storage.call_events import NewCallEvent, Sessions, record_call_events
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Practice
from storage.practices import ensure_practice, practice_by_slug

# The demo practice of dialplan/examples/demo-practice.yaml, so `scripts/demo` shows the history.
DEMO_SLUG = "huisartsenpraktijk-de-linde"
DEMO_NAME = "Huisartsenpraktijk De Linde"
DEMO_NUMBER = "0201234567"


class GenerateError(Exception):
    """Why nothing was written, in words for the person at the terminal."""


def main(argv: Sequence[str] | None = None, *, database_url: str | None = None) -> int:
    """Generate and store the history; prints how many events were written. 2: bad arguments, 1: failed."""
    try:
        args = _parser(database_url).parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on bad arguments; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    if args.days < 1:
        print("reports.generate: --days must be at least 1", file=sys.stderr)
        return 2
    history = generate_history(args.from_, args.days, seed=args.seed)
    try:
        slug, written = asyncio.run(store(args.database, args.practice, history.events))
    except GenerateError as exc:
        print(f"reports.generate: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        # The message may quote SQL parameters; the type is enough to point at the problem.
        print(f"reports.generate: cannot write the database ({type(exc).__name__})", file=sys.stderr)
        return 1
    last = args.from_ + dt.timedelta(days=args.days - 1)
    print(
        f"{written} events written ({len(history.events)} generated, {history.truth.calls} calls) "
        f"for practice {slug}, {args.from_} .. {last}, seed {args.seed}"
    )
    return 0


async def store(database_url: str, practice: str | None, events: Sequence[NewCallEvent]) -> tuple[str, int]:
    """Write `events` for the practice; returns its slug and how many events were new."""
    await upgrade(database_url)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        sessions = session_factory(engine)
        chosen = await _practice(sessions, practice)
        written = 0
        # One transaction per call's arrival day keeps each batch small; a call's events stay together.
        for _, day_events in groupby(sorted(events, key=_arrival_day), key=_arrival_day):
            batch = sorted(day_events, key=lambda event: event.at)
            written += await record_call_events(sessions, chosen.id, batch, skip_existing=True)
        return chosen.slug, written
    finally:
        await engine.dispose()


def _arrival_day(event: NewCallEvent) -> str:
    # Call ids are "gen-<day>-<n>": the day the call arrived, also for its callbacks on later days.
    return event.call_id.removeprefix("gen-")[:10]


async def _practice(sessions: Sessions, slug: str | None) -> Practice:
    if slug is not None:
        found = await practice_by_slug(sessions, slug)
        return found or await ensure_practice(sessions, slug=slug, name=slug, number="")
    async with sessions() as session:
        practices = list(await session.scalars(select(Practice).order_by(Practice.slug)))
    if len(practices) == 1:
        return practices[0]
    if practices:
        known = ", ".join(p.slug for p in practices)
        raise GenerateError(f"several practices, choose one with --practice: {known}")
    return await ensure_practice(sessions, slug=DEMO_SLUG, name=DEMO_NAME, number=DEMO_NUMBER)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser(database_url: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terugbel generate-history",
        description="Write a generated, realistic call history of a practice into the database.",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default=database_url,
        required=database_url is None,
        help="e.g. sqlite+aiosqlite:///var/t.db (`terugbel generate-history`: the controller's database)",
    )
    parser.add_argument("--from", dest="from_", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=14, help="how many days (default 14)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same history")
    parser.add_argument(
        "--practice", metavar="SLUG", help="the practice's id (default: the only one, else the demo practice)"
    )
    return parser


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
