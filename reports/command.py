"""`terugbel report --from D --to D [--format table|csv|json|html]`: the report of a period, from the
database the controller writes. Output on stdout (redirect it to a file for the CSV or HTML); nothing
leaves the machine and no phone number is in any format.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from capacity.config import CapacityConfig
from capacity.loader import load_capacity
from common.yamlload import ConfigError
from reports.export import report_csv, report_json, report_table
from reports.html import report_document
from reports.report import Report, build_report, event_window
from storage.call_events import events_between
from storage.db import make_engine, session_factory
from storage.models import Practice

FORMATS = {"table": report_table, "csv": report_csv, "json": report_json, "html": report_document}
DEFAULT_DAYS = 14


class ReportError(Exception):
    """Why no report could be made, in words for the person at the terminal."""


def run(argv: list[str], *, database_url: str, capacity: Path | None, today: dt.date) -> int:
    """Print the report and return the exit status (2: bad arguments, 1: no database or practice)."""
    try:
        args = _parser(today).parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on bad arguments; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    if args.to < args.from_:
        print(f"terugbel report: --to ({args.to}) is before --from ({args.from_})", file=sys.stderr)
        return 2
    try:
        config = _capacity(args.capacity or capacity)
        report = asyncio.run(load_report(database_url, config, args.from_, args.to, args.practice))
    except ReportError as exc:
        print(f"terugbel report: {exc}", file=sys.stderr)
        return 1
    text = FORMATS[args.format](report)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


async def load_report(
    database_url: str, config: CapacityConfig, first_day: dt.date, last_day: dt.date, practice: str | None
) -> Report:
    """Read the practice's events of the period and compute its report."""
    start, end = event_window(config, first_day, last_day)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            practices = list(await session.scalars(select(Practice).order_by(Practice.slug)))
        chosen = _practice(practices, practice)
        events = await events_between(sessions, chosen.id, start, end)
    except SQLAlchemyError as exc:
        # The message may quote SQL parameters; the type is enough to point at the problem.
        raise ReportError(f"cannot read the database ({type(exc).__name__})") from None
    finally:
        await engine.dispose()
    return build_report(events, config, first_day, last_day)


def _practice(practices: list[Practice], slug: str | None) -> Practice:
    if slug is not None:
        for practice in practices:
            if practice.slug == slug:
                return practice
        raise ReportError(f"no practice {slug!r}; known: {', '.join(p.slug for p in practices) or 'none'}")
    if len(practices) == 1:
        return practices[0]
    if not practices:
        raise ReportError("the database has no practice yet (`terugbel run` registers it)")
    raise ReportError(
        f"several practices, choose one with --practice: {', '.join(p.slug for p in practices)}"
    )


def _capacity(path: Path | None) -> CapacityConfig:
    """The capacity file the advice compares with; without one the report still has every other figure."""
    if path is None:
        print(
            "terugbel report: no capacity file (--capacity or TERUGBEL_CAPACITY): "
            "the advice shows no assistants or slots from the file",
            file=sys.stderr,
        )
        return CapacityConfig()
    try:
        return load_capacity(path)
    except ConfigError as exc:
        raise ReportError(str(exc)) from None


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser(today: dt.date) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terugbel report",
        description="How the practice's phone performed in a period: norms, punctuality, staffing advice.",
    )
    yesterday = today - dt.timedelta(days=1)
    parser.add_argument(
        "--from",
        dest="from_",
        type=_day,
        default=yesterday - dt.timedelta(days=DEFAULT_DAYS - 1),
        help=f"first day, YYYY-MM-DD (default: {DEFAULT_DAYS} days before today)",
    )
    parser.add_argument("--to", type=_day, default=yesterday, help="last day, included (default: yesterday)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table")
    parser.add_argument(
        "--practice", metavar="SLUG", help="the practice (needed when the database has several)"
    )
    parser.add_argument("--capacity", type=Path, help="the capacity file to compare with (TERUGBEL_CAPACITY)")
    return parser
