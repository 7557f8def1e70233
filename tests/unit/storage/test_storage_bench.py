"""The booking benchmark's own overbooking check."""

from __future__ import annotations

from storage.bench_booking import run_bench


async def test_benchmark_run_reports_full_slots_and_no_overbooking(database_url: str) -> None:
    """A small run fills slots to exactly their capacity and finds every booking stored once."""
    result = await run_bench("test", database_url, bookings=40, callers=8, capacity=4, pool=4)
    assert (result.bookings, result.max_booked, result.consistent) == (40, 4, True)
    assert result.attempts >= 40
