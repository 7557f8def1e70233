"""One active controller per practice: the lease, the standby, and stepping down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ivr import log_events as ev
from ivr.ari import ApplicationReplaced
from ivr.core.activation import Supervisor
from ivr.core.lease import FileLease, LeaseState, advisory_key


class Acting:
    """An activation that records when it runs, and can be told to fail like a taken-over ARI app."""

    def __init__(self) -> None:
        self.runs = 0
        self.running = asyncio.Event()
        self.replace = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.running.set()
        try:
            await self.replace.wait()
            raise ApplicationReplaced("terugbel")
        finally:
            self.running.clear()


async def test_a_second_controller_stands_by_until_the_first_stops(tmp_path: Path) -> None:
    """With one lock file, only one supervisor acts; the other takes over when the first stops."""
    first, second = Acting(), Acting()
    one = Supervisor(FileLease(tmp_path / "controller-x.lock"), first, poll_seconds=1)
    two = Supervisor(FileLease(tmp_path / "controller-x.lock"), second, poll_seconds=1)
    with capture_logs() as logs:
        running_one = asyncio.create_task(one.run())
        await asyncio.wait_for(first.running.wait(), 5)
        running_two = asyncio.create_task(two.run())
        await asyncio.sleep(10)
        assert second.runs == 0
        assert any(e["event"] == ev.CONTROLLER_STANDBY for e in logs)
        running_one.cancel()
        await asyncio.gather(running_one, return_exceptions=True)
        await asyncio.wait_for(second.running.wait(), 5)
    running_two.cancel()
    await asyncio.gather(running_two, return_exceptions=True)


async def test_an_app_taken_over_makes_the_controller_stand_by_for_a_while(tmp_path: Path) -> None:
    """ApplicationReplaced ends the active period and the lease is let go before acting again."""
    acting = Acting()
    lease = FileLease(tmp_path / "controller-x.lock")
    supervisor = Supervisor(lease, acting, poll_seconds=1, replaced_pause=30)
    task = asyncio.create_task(supervisor.run())
    await asyncio.wait_for(acting.running.wait(), 5)
    acting.replace.set()
    await asyncio.sleep(1)
    assert not acting.running.is_set()
    other = FileLease(tmp_path / "controller-x.lock")
    assert await other.acquire() is LeaseState.HELD, "the taken-over controller released the lease"
    await other.release()
    acting.replace = asyncio.Event()
    await asyncio.wait_for(acting.running.wait(), 40)
    assert acting.runs == 2
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_controller_steps_down_when_another_holds_the_lease() -> None:
    """The watch finds the lease busy (the database came back and another got there first): step down."""

    class Flaky:
        what = "test lease"

        def __init__(self) -> None:
            self.state = LeaseState.HELD

        async def acquire(self) -> LeaseState:
            return self.state

        async def check(self) -> LeaseState:
            return self.state

        async def release(self) -> None:
            pass

    lease, acting = Flaky(), Acting()
    supervisor = Supervisor(lease, acting, poll_seconds=1)
    with capture_logs() as logs:
        task = asyncio.create_task(supervisor.run())
        await asyncio.wait_for(acting.running.wait(), 5)
        lease.state = LeaseState.BUSY
        await asyncio.sleep(3)
        assert not acting.running.is_set()
        assert any(e["event"] == ev.LEASE_LOST for e in logs)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_with_the_database_unreachable_the_controller_acts_after_a_short_wait() -> None:
    """Spoed must work with the database down: an unverifiable lease is acted on after `unverified_after`."""

    class Unreachable:
        what = "test lease"

        async def acquire(self) -> LeaseState:
            return LeaseState.UNKNOWN

        async def check(self) -> LeaseState:
            return LeaseState.UNKNOWN

        async def release(self) -> None:
            pass

    acting = Acting()
    supervisor = Supervisor(Unreachable(), acting, poll_seconds=1, unverified_after=10)
    task = asyncio.create_task(supervisor.run())
    await asyncio.sleep(5)
    assert acting.runs == 0
    await asyncio.wait_for(acting.running.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_the_advisory_key_is_stable_and_per_practice() -> None:
    """The PostgreSQL lock key depends only on the practice's id."""
    assert advisory_key("de-linde") == advisory_key("de-linde")
    assert advisory_key("de-linde") != advisory_key("de-eik")
    assert -(2**63) <= advisory_key("de-linde") < 2**63


@pytest.mark.postgres
async def test_the_postgresql_lease_is_held_by_one_session_at_a_time(pg_url: str) -> None:
    """Two advisory leases on one server: the second is busy until the first lets go."""
    from ivr.core.lease import PgAdvisoryLease
    from tests.fakes.loop import current

    one, two = PgAdvisoryLease(pg_url, "de-linde"), PgAdvisoryLease(pg_url, "de-linde")
    with current().real_work():
        assert await one.acquire() is LeaseState.HELD
        assert await two.acquire() is LeaseState.BUSY
        assert await one.check() is LeaseState.HELD
        await one.release()
        assert await two.acquire() is LeaseState.HELD
        await two.release()
