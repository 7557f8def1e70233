"""The practice's order for a free assistant: rank, then arrival; callbacks only when due."""

from __future__ import annotations

import datetime as dt

from ivr.queue.order import DueCallback, LiveCaller, next_work

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


BOTH = ("live", "callbacks")


def test_colleagues_go_before_patients_who_came_earlier() -> None:
    """An intercollegiaal caller (rank 0) is served before a patient who has waited longer."""
    patient, colleague = LiveCaller(1, 1, at(0)), LiveCaller(2, 0, at(5))
    assert next_work(at(6), BOTH, [patient, colleague], []) == colleague


def test_a_callback_never_jumps_ahead_of_an_earlier_live_caller() -> None:
    """A 10:15 callback waits for the live caller who arrived at 10:14, and goes before one from 10:16."""
    early, late = LiveCaller(1, 1, at(14)), LiveCaller(2, 1, at(16))
    booked = DueCallback(7, at(15), "0612345678")
    assert next_work(at(17), BOTH, [late, early], [booked]) == early
    assert next_work(at(17), BOTH, [late], [booked]) == booked


def test_a_callback_never_starts_before_it_is_due() -> None:
    """At 10:14 the 10:15 callback is not chosen, even with nobody else waiting."""
    assert next_work(at(14), BOTH, [], [DueCallback(7, at(15), "0612345678")]) is None


def test_a_kept_place_keeps_its_arrival_order() -> None:
    """A caller who left the line at 10:01 (arrived 10:00) still goes before one who arrived at 10:02."""
    kept = DueCallback(3, at(0), "0612345678")
    assert next_work(at(5), BOTH, [LiveCaller(2, 1, at(2))], [kept]) == kept


def test_duties_limit_what_an_assistant_gets() -> None:
    """A live-calls-only headset never gets a callback; a callbacks-only one never a live caller."""
    live, due = LiveCaller(1, 1, at(5)), DueCallback(3, at(0), "0612345678")
    assert next_work(at(6), ("live",), [live], [due]) == live
    assert next_work(at(6), ("callbacks",), [live], [due]) == due


def test_a_number_already_being_called_is_skipped() -> None:
    """Two requests for one number: while one is being called, the other is not handed out."""
    first, second = DueCallback(3, at(0), "0612345678"), DueCallback(4, at(1), "0687654321")
    assert next_work(at(2), BOTH, [], [first, second], busy_numbers={"0612345678"}) == second
