"""Benchmark: confirmations per second on SQLite and PostgreSQL, checked for overbooking.

Run with ``.venv/bin/python -m storage.bench_booking``. Figures are printed, not asserted; the run
fails (exit 1) only if a slot ended up over capacity or a booking went missing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import CallbackRequest, SlotCounter
from storage.practices import ensure_practice
from storage.scratch_db import create_scratch_database, drop_database

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/terugbel_test"
FIRST_SLOT = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


@dataclass
class Result:
    """What one benchmark run measured."""

    backend: str
    bookings: int
    attempts: int
    seconds: float
    max_booked: int
    consistent: bool


async def run_bench(
    backend: str, url: str, *, bookings: int, callers: int, capacity: int, pool: int
) -> Result:
    """Make ``bookings`` bookings on the (possibly new) database at ``url`` and check the counts.

    ``callers`` confirm concurrently, each starting at the earliest slot not yet seen full and moving
    one slot on whenever the answer is "full", as the IVR does.
    """
    await upgrade(url)
    engine = make_engine(url, pool_size=pool, max_overflow=0)
    sessions = session_factory(engine)
    practice = await ensure_practice(sessions, slug="bench", name="Bench", number="0200000000")
    remaining = bookings
    attempts = 0
    # The planner offers the earliest slot it believes free; callers who find it full move on.
    earliest_free = 0

    async def caller(worker: int) -> None:
        nonlocal remaining, attempts, earliest_free
        while remaining > 0:
            remaining -= 1
            slot = earliest_free
            while True:
                attempts += 1
                start = FIRST_SLOT + slot * QUARTER
                booked = await book_callback(
                    sessions,
                    practice_id=practice.id,
                    slot_start=start,
                    slot_end=start + QUARTER,
                    capacity=capacity,
                    phone=f"06{worker:04d}{remaining:04d}",
                    number_source="caller_id",
                )
                if booked is not None:
                    break
                slot += 1
                earliest_free = max(earliest_free, slot)

    try:
        began = time.perf_counter()
        await asyncio.gather(*(caller(i) for i in range(callers)))
        seconds = time.perf_counter() - began
        max_booked, consistent = await _check(sessions, bookings)
    finally:
        await engine.dispose()
    return Result(backend, bookings, attempts, seconds, max_booked, consistent)


async def _check(sessions: async_sessionmaker[AsyncSession], bookings: int) -> tuple[int, bool]:
    taken = SlotCounter.ordinary + SlotCounter.priority
    async with sessions() as session:
        max_booked = await session.scalar(select(func.max(taken)))
        stored = await session.scalar(select(func.count()).select_from(CallbackRequest))
        counted = await session.scalar(select(func.sum(taken)))
    return int(max_booked or 0), stored == counted == bookings


async def _run(args: argparse.Namespace) -> list[Result]:
    results = []
    common = {
        "bookings": args.bookings,
        "callers": args.callers,
        "capacity": args.capacity,
        "pool": args.pool,
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        results.append(await run_bench("sqlite", url, **common))
    if not args.skip_pg:
        scratch = await create_scratch_database(args.pg_url, prefix="terugbel_bench")
        try:
            results.append(await run_bench("postgresql", scratch, **common))
        finally:
            await drop_database(args.pg_url, scratch)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per database; exit 1 if any slot was overbooked."""
    parser = argparse.ArgumentParser(prog="python -m storage.bench_booking", description=__doc__)
    parser.add_argument("--bookings", type=int, default=1000, help="bookings to make per database")
    parser.add_argument("--callers", type=int, default=100, help="concurrent callers")
    parser.add_argument("--capacity", type=int, default=10, help="places per slot")
    parser.add_argument("--pool", type=int, default=20, help="database connections")
    parser.add_argument("--pg-url", default=os.environ.get("TERUGBEL_TEST_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--skip-pg", action="store_true", help="only benchmark SQLite")
    args = parser.parse_args(argv)
    # One info line per booking would drown the figures (and cost time the benchmark is measuring).
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    ok = True
    for r in asyncio.run(_run(args)):
        overbooked = r.max_booked > args.capacity or not r.consistent
        ok = ok and not overbooked
        print(
            f"{r.backend:<10} {r.bookings} bookings ({r.attempts} confirmations incl. full slots) "
            f"by {args.callers} callers in {r.seconds:.2f}s: {r.bookings / r.seconds:.0f} bookings/s, "
            f"{r.attempts / r.seconds:.0f} confirmations/s; max per slot {r.max_booked}/{args.capacity}"
            f"{' OVERBOOKED' if overbooked else ', no overbooking'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
