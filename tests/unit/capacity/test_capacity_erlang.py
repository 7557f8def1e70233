"""Staffing figures: Erlang C and Erlang A against hand calculations, textbooks and independent code.

Three independent checks, none sharing code with capacity/erlang.py: the M/M/1 and M/M/2 closed forms and a
published worked example; pyworkforce's ErlangC (an independent Erlang C implementation); and, for Erlang A,
the queue's own birth-death chain, truncated, with the tagged caller's wait computed by uniformization
(no incomplete gamma function, no level-crossing argument).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyworkforce.queuing import ErlangC

from capacity.erlang import (
    ErlangAResult,
    agents_needed,
    callback_slots,
    erlang_c_wait_probability,
    mean_wait_seconds,
    service_level,
    service_level_erlang_a,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
arrivals = st.floats(min_value=0.5, max_value=300.0)
handles = st.floats(min_value=30.0, max_value=600.0)
targets = st.floats(min_value=0.0, max_value=300.0)
patiences = st.floats(min_value=10.0, max_value=3600.0)


def chain_erlang_a(
    per_hour: float, handle: float, patience: float, agents: int, target: float, extra: int = 400
) -> dict[str, float]:
    """Erlang A from the M/M/n+M birth-death chain cut off `extra` places behind the agents.

    PASTA: an arrival sees the stationary state. Mean queue length gives the mean wait (Little) and the
    abandonment (rate theta per waiter). For "answered within target" the arrival's places-ahead count is
    followed forward in time (ahead k moves on at rate n*mu + k*theta, the caller leaves at rate theta),
    by uniformization, and the mass that reaches an agent by `target` is summed.
    """
    lam, mu, theta = per_hour / 3600.0, 1.0 / handle, 1.0 / patience
    weights = [1.0]
    for i in range(1, agents + extra + 1):
        weights.append(weights[-1] * lam / (min(i, agents) * mu + max(i - agents, 0) * theta))
    total = math.fsum(weights)
    pi = [w / total for w in weights]
    assert pi[-1] < 1e-15, "cut-off too short for this case"
    queue = math.fsum((i - agents) * p for i, p in enumerate(pi) if i > agents)
    ahead = pi[agents:]
    rate = agents * mu + (extra + 1) * theta
    steps = int(rate * target + 12 * math.sqrt(rate * target) + 30)
    served_by_step, within = 0.0, 0.0
    for step in range(steps + 1):
        if target > 0:
            within += (
                math.exp(step * math.log(rate * target) - rate * target - math.lgamma(step + 1))
                * served_by_step
            )
        elif step == 0:
            within = served_by_step
        served_by_step += ahead[0] * agents * mu / rate
        ahead = [
            ahead[k] * (1.0 - (agents * mu + (k + 1) * theta) / rate)
            + (ahead[k + 1] * (agents * mu + (k + 1) * theta) / rate if k + 1 < len(ahead) else 0.0)
            for k in range(len(ahead))
        ]
    wait = math.fsum(pi[agents:])
    return {
        "answered_within_target": (1.0 - wait) + within,
        "abandoned": theta * queue / lam,
        "mean_wait_seconds": queue / lam,
        "wait_probability": wait,
    }


def log_space_erlang_c(traffic: float, agents: int) -> float:
    """Erlang C straight from its textbook definition, summed in logarithms so large teams do not overflow."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    top = agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    peak = max([*logs, top])
    below = math.fsum(math.exp(x - peak) for x in logs)
    return math.exp(top - peak) / (below + math.exp(top - peak))


@pytest.mark.parametrize(("per_hour", "handle", "target"), [(12, 180, 30), (6, 300, 120), (1, 600, 0)])
def test_one_agent_is_the_textbook_mm1_queue(per_hour: float, handle: float, target: float) -> None:
    """One agent: P(wait) = rho, mean wait = rho/(mu - lambda) and SL = 1 - rho*exp(-(mu - lambda)*t)."""
    lam, mu = per_hour / 3600, 1 / handle
    rho = lam / mu
    assert erlang_c_wait_probability(rho, 1) == pytest.approx(rho, rel=1e-12)
    assert mean_wait_seconds(per_hour, handle, 1) == pytest.approx(rho / (mu - lam), rel=1e-12)
    expected = 1 - rho * math.exp(-(mu - lam) * target)
    assert service_level(per_hour, handle, 1, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("per_hour", "handle"), [(20, 240), (50, 120), (1, 60)])
def test_two_agents_follow_the_textbook_mm2_closed_form(per_hour: float, handle: float) -> None:
    """Two agents: P(wait) = 2 rho^2/(1 + rho) and mean wait = rho^2/(mu (1 - rho^2)), rho = lambda/(2 mu)."""
    lam, mu = per_hour / 3600, 1 / handle
    rho = lam / (2 * mu)
    assert erlang_c_wait_probability(lam / mu, 2) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    assert mean_wait_seconds(per_hour, handle, 2) == pytest.approx(rho**2 / (mu * (1 - rho**2)), rel=1e-12)


def test_published_worked_example() -> None:
    """Call Centre Helper's example (100 calls/30 min, 180 s, 20 s target) gives its published figures."""
    # 11 agents: P(wait) 68.21 %, service level 39.0 %, ASA 122.8 s; 14 agents is the first to reach 80 %.
    per_hour, handle = 200, 180
    assert erlang_c_wait_probability(per_hour * handle / 3600, 11) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(per_hour, handle, 11, 20) == pytest.approx(0.390, abs=5e-4)
    assert mean_wait_seconds(per_hour, handle, 11) == pytest.approx(122.8, abs=0.05)
    assert agents_needed(per_hour, handle, 20, 0.80) == 14


@pytest.mark.parametrize(("traffic", "agents"), [(48, 55), (200, 215), (1000, 1040), (5000, 5100)])
def test_large_traffic_stays_accurate(traffic: float, agents: int) -> None:
    """Traffic far beyond where factorials overflow still matches the textbook definition summed in logs."""
    value = erlang_c_wait_probability(traffic, agents)
    assert 0 < value < 1
    assert value == pytest.approx(log_space_erlang_c(traffic, agents), rel=1e-9)


@pytest.mark.parametrize("per_hour", [4, 12, 40, 120, 400])
@pytest.mark.parametrize("aht_minutes", [2.0, 3.5, 6.0])
@pytest.mark.parametrize("asa_minutes", [0.5, 2.0])
def test_erlang_c_agrees_with_pyworkforce(per_hour: float, aht_minutes: float, asa_minutes: float) -> None:
    """P(wait) and the service level equal pyworkforce's ErlangC for every stable team size on the grid."""
    theirs = ErlangC(transactions=per_hour, aht=aht_minutes, asa=asa_minutes, interval=60)
    traffic = per_hour * aht_minutes / 60
    for agents in range(math.floor(traffic) + 1, math.floor(traffic) + 7):
        assert erlang_c_wait_probability(traffic, agents) == pytest.approx(
            theirs.waiting_probability(agents), rel=1e-9
        )
        ours = service_level(per_hour, aht_minutes * 60, agents, asa_minutes * 60)
        assert ours == pytest.approx(theirs.service_level(agents), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("per_hour", [12, 40, 120])
@pytest.mark.parametrize("share", [0.75, 0.9])
def test_agents_needed_is_minimal_by_pyworkforce(per_hour: float, share: float) -> None:
    """pyworkforce's own service level says the advised team meets the target and one agent fewer does not."""
    theirs = ErlangC(transactions=per_hour, aht=4.0, asa=0.5, interval=60)
    advised = agents_needed(per_hour, 240, 30, share)
    assert theirs.service_level(advised) >= share
    assert advised - 1 <= theirs.intensity or theirs.service_level(advised - 1) < share


@pytest.mark.parametrize(
    ("per_hour", "handle", "patience", "agents", "target"),
    [
        (60, 180, 90, 1, 30),  # one assistant, overloaded (3 erlangs)
        (60, 180, 90, 3, 30),
        (40, 150, 120, 2, 120),  # the regular line of a practice, 2-minute norm
        (720, 240, 60, 40, 15),  # 48 erlangs on 40 agents: stable only through abandonment
        (720, 240, 600, 55, 15),
        (500, 300, 3, 5, 0),  # impatient callers, target 0: answered at once
    ],
)
def test_erlang_a_agrees_with_the_birth_death_chain(
    per_hour: float, handle: float, patience: float, agents: int, target: float
) -> None:
    """Every Erlang A figure equals the truncated birth-death chain's to within rounding."""
    ours = service_level_erlang_a(per_hour, handle, patience, agents, target)
    chain = chain_erlang_a(per_hour, handle, patience, agents, target)
    for field, value in chain.items():
        assert getattr(ours, field) == pytest.approx(value, rel=1e-9, abs=1e-12), field


def test_dutch_norms_for_a_practice_morning() -> None:
    """Spoed 90 % within 30 s, regular 75 % within 2 min: the advice meets each norm, one fewer does not."""
    spoed = agents_needed(3, 300, 30, 0.90)  # 3 spoed calls/hour of 5 minutes
    assert service_level(3, 300, spoed, 30) >= 0.90
    assert spoed == 1 or service_level(3, 300, spoed - 1, 30) < 0.90

    regular_c = agents_needed(40, 150, 120, 0.75)  # 40 calls/hour of 2.5 minutes, nobody hangs up
    regular_a = agents_needed(40, 150, 120, 0.75, patience_seconds=120)  # callers hang up after 2 min
    assert service_level(40, 150, regular_c, 120) >= 0.75 > service_level(40, 150, regular_c - 1, 120)
    achieved = service_level_erlang_a(40, 150, 120, regular_a, 120).answered_within_target
    assert achieved >= 0.75
    assert (
        regular_a == 1
        or service_level_erlang_a(40, 150, 120, regular_a - 1, 120).answered_within_target < 0.75
    )
    # Hanging up shortens the queue for the others, so abandonment never asks for more staff here.
    assert regular_a <= regular_c


def test_overloaded_erlang_c_queue_answers_nobody_in_time() -> None:
    """With no more agents than traffic every caller waits, none is answered in time, the wait is endless."""
    assert erlang_c_wait_probability(3.0, 3) == 1.0
    assert service_level(60, 180, 2, 120) == 0.0
    assert mean_wait_seconds(60, 180, 3) == math.inf


def test_no_calls_means_no_waiting() -> None:
    """Without arrivals nobody waits, everybody is answered in time and one agent suffices."""
    assert erlang_c_wait_probability(0.0, 1) == 0.0
    assert service_level(0, 180, 1, 0) == 1.0
    assert mean_wait_seconds(0, 180, 1) == 0.0
    assert service_level_erlang_a(0, 180, 60, 1, 0) == ErlangAResult(1.0, 0.0, 0.0, 0.0)
    assert agents_needed(0, 180, 30, 0.9) == agents_needed(0, 180, 30, 0.9, patience_seconds=60) == 1


def test_heavy_overload_loses_the_excess_traffic() -> None:
    """Far overloaded with patient callers, the share hanging up is the traffic the agents cannot carry."""
    result = service_level_erlang_a(720, 240, 1e6, 40, 15)  # 48 erlangs on 40 agents
    assert result.abandoned == pytest.approx(1 - 40 / 48, abs=1e-4)
    assert result.wait_probability == pytest.approx(1.0, abs=1e-9)


def test_unreachable_target_names_max_agents() -> None:
    """A target no team up to max_agents meets is refused with a message naming max_agents."""
    with pytest.raises(ValueError, match="max_agents"):
        agents_needed(600, 300, 10, 0.99, max_agents=45)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: erlang_c_wait_probability(-1.0, 2), "traffic_erlangs"),
        (lambda: erlang_c_wait_probability(1.0, 0), "agents"),
        (lambda: erlang_c_wait_probability(1.0, 2.5), "agents"),
        (lambda: service_level(-5, 180, 2, 30), "arrivals_per_hour"),
        (lambda: service_level(5, 0, 2, 30), "mean_handle_seconds"),
        (lambda: service_level(5, 180, 2, -1), "target_seconds"),
        (lambda: service_level(math.nan, 180, 2, 30), "arrivals_per_hour"),
        (lambda: mean_wait_seconds(5, -180, 2), "mean_handle_seconds"),
        (lambda: service_level_erlang_a(5, 180, 0, 2, 30), "mean_patience_seconds"),
        (lambda: service_level_erlang_a(5, 180, math.inf, 2, 30), "mean_patience_seconds"),
        (lambda: agents_needed(5, 180, 30, 1.5), "target_share"),
        (lambda: agents_needed(5, 180, 30, -0.1), "target_share"),
        (lambda: agents_needed(5, 180, 30, 0.8, patience_seconds=-1), "patience_seconds"),
        (lambda: agents_needed(5, 180, 30, 0.8, max_agents=0), "max_agents"),
        (lambda: callback_slots(-1, 240, 15), "assistants"),
        (lambda: callback_slots(2, 0, 15), "mean_handle_seconds"),
        (lambda: callback_slots(2, 240, 0), "slot_minutes"),
        (lambda: callback_slots(2, 240, 15, utilisation=1.2), "utilisation"),
        (lambda: callback_slots(2, 240, 15, utilisation=0), "utilisation"),
    ],
)
def test_bad_input_names_the_argument(call: Callable[[], Any], argument: str) -> None:
    """Negative rates, zero handling times, shares outside 0..1 etc. raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=rf"^{argument} "):
        call()


@pytest.mark.parametrize(
    ("assistants", "handle", "minutes", "utilisation", "expected"),
    [
        (2, 240, 15, 1.0, 7),
        (2, 240, 15, 0.85, 6),
        (1, 153, 15, 0.85, 5),
        (0, 240, 15, 0.85, 0),
        (3, 600, 30, 1.0, 9),
        (3, 30, 15, 0.7, 63),  # 3 x 900 x 0.7 is 1889.9999999999998 in floating point
    ],
)
def test_callback_slots_by_hand(
    assistants: int, handle: float, minutes: int, utilisation: float, expected: int
) -> None:
    """A slot holds floor(assistants x minutes x 60 x utilisation / handle) callbacks (5 x 153 s is exact)."""
    assert callback_slots(assistants, handle, minutes, utilisation) == expected


@FAST
@given(arrivals, handles, targets)
def test_erlang_c_service_level_rises_with_agents(per_hour: float, handle: float, target: float) -> None:
    """The Erlang C service level lies within 0..1 and never falls when an agent is added."""
    traffic = per_hour * handle / 3600
    levels = [service_level(per_hour, handle, n, target) for n in range(1, math.floor(traffic) + 12)]
    assert all(0.0 <= level <= 1.0 for level in levels)
    assert all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(levels))


@FAST
@given(arrivals, handles, patiences, targets)
def test_erlang_a_improves_with_agents(
    per_hour: float, handle: float, patience: float, target: float
) -> None:
    """Adding an agent never lowers the share answered in time nor raises abandonment, wait or its chance."""
    traffic = per_hour * handle / 3600
    results = [
        service_level_erlang_a(per_hour, handle, patience, n, target)
        for n in range(1, math.floor(traffic) + 10)
    ]
    for result in results:
        for share in (result.answered_within_target, result.abandoned, result.wait_probability):
            assert 0.0 <= share <= 1.0
        assert result.answered_within_target <= 1.0 - result.abandoned + 1e-12
        assert result.mean_wait_seconds >= 0.0
    for fewer, more in itertools.pairwise(results):
        assert more.answered_within_target >= fewer.answered_within_target - 1e-12
        assert more.abandoned <= fewer.abandoned + 1e-12
        assert more.wait_probability <= fewer.wait_probability + 1e-12
        assert more.mean_wait_seconds <= fewer.mean_wait_seconds * (1 + 1e-9) + 1e-12


@FAST
@given(arrivals, handles, targets, st.integers(min_value=0, max_value=5))
def test_erlang_a_approaches_erlang_c_as_patience_grows(
    per_hour: float, handle: float, target: float, spare: int
) -> None:
    """With near-endless patience Erlang A gives Erlang C's waiting chance, service level and mean wait."""
    traffic = per_hour * handle / 3600
    agents = math.floor(traffic) + 1 + spare
    assume(agents - traffic >= 0.1)
    patient = service_level_erlang_a(per_hour, handle, 1e9, agents, target)
    assert patient.wait_probability == pytest.approx(erlang_c_wait_probability(traffic, agents), abs=1e-4)
    assert patient.answered_within_target == pytest.approx(
        service_level(per_hour, handle, agents, target), abs=1e-4
    )
    assert patient.mean_wait_seconds == pytest.approx(
        mean_wait_seconds(per_hour, handle, agents), rel=1e-3, abs=1e-6
    )
    assert patient.abandoned < 1e-4


@FAST
@given(arrivals, handles, targets, st.floats(min_value=0.0, max_value=0.99), st.none() | patiences)
def test_agents_needed_is_the_smallest_team_meeting_the_target(
    per_hour: float, handle: float, target: float, share: float, patience: float | None
) -> None:
    """The advised team meets the target and no smaller team does (Erlang C: no smaller stable team)."""
    advised = agents_needed(per_hour, handle, target, share, patience_seconds=patience)
    traffic = per_hour * handle / 3600
    smallest = 1 if patience is not None else math.floor(traffic) + 1
    assert advised >= smallest

    def achieved(agents: int) -> float:
        if patience is None:
            return service_level(per_hour, handle, agents, target)
        return service_level_erlang_a(per_hour, handle, patience, agents, target).answered_within_target

    assert achieved(advised) >= share
    assert all(achieved(smaller) < share for smaller in range(smallest, advised))


@FAST
@given(
    st.integers(min_value=0, max_value=20),
    st.floats(min_value=10.0, max_value=1800.0),
    st.sampled_from([5, 10, 15, 20, 30, 60]),
    st.floats(min_value=0.05, max_value=1.0),
)
def test_callback_slots_fill_but_never_overfill_the_slot(
    assistants: int, handle: float, minutes: int, utilisation: float
) -> None:
    """The promised callbacks fit in the assistants' usable time in the slot, and one more would not."""
    slots = callback_slots(assistants, handle, minutes, utilisation)
    usable = assistants * minutes * 60 * utilisation
    assert slots * handle <= usable * (1 + 1e-9)
    assert (slots + 1) * handle > usable * (1 - 1e-9)
