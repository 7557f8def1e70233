"""How many assistants a block needs to meet the Dutch answering norms: Erlang C and Erlang A.

Pure: rates, handling times and patience come in, probabilities and counts go out. No clock, no I/O, so the
report can call this for every weekday and block of a practice's history.

The model: calls arrive at random (Poisson), an assistant handles one call at a time for an exponentially
distributed time, callers wait in one queue served first come, first served.

- Erlang C (M/M/n) assumes nobody hangs up. It is the classical staffing formula and the one other tools
  report, but with `agents <= traffic` its queue grows without end.
- Erlang A (M/M/n+M, Palm 1943; Garnett, Mandelbaum & Reiman 2002) adds patience: each waiting caller hangs
  up after an exponentially distributed time with the measured mean. A GP practice's callers do hang up,
  and those who do make the wait shorter for the rest, so Erlang C overstates the staff needed.

Erlang A is computed exactly, not with a truncated queue. With n agents, rates lam (arrivals), mu = 1/handle
and theta = 1/patience, a = n*mu/theta, b = lam/theta, J(s, z) = sum_{k>=0} prod_{i=1..k} z/(s+i) and
J = J(a, b) (the stationary queue relative to "all n busy, nobody waiting"), the offered wait V of an
arrival (the wait until an assistant is free, were the caller infinitely patient) has, by level crossing,
the density
``f(v) = n*mu*pi_n*exp(-n*mu*v + b*(1 - exp(-theta*v)))`` for v > 0. A caller is answered within t when
V <= t and his patience outlasts V, so, with B the Erlang B blocking of the same traffic:

- P(wait) = J*B / (1 - B + J*B)
- P(answered | wait) = (1 - 1/J) / rho with rho = lam/(n*mu)      (Mandelbaum & Zeltyn's P(Ab | W>0) is
  1/(rho*J) + 1 - 1/rho)
- P(answered within t | wait) = P(answered | wait) - a/(a+1) * exp(b*(1-e^(-theta*t)) - (n*mu+theta)*t)
  * J(a+1, b*e^(-theta*t)) / J
- mean wait = P(abandon) * patience      (each waiting caller hangs up at rate theta: Little's law)

J(s, z) is the series of the regularized incomplete gamma function (J = e^z z^-s Gamma(s+1) P(s, z)); it is
summed directly while its terms fall from the start and taken from the continued fraction of Q(s, z)
otherwise, in logarithms throughout, so neither heavy overload nor near-infinite patience overflows. The
tests check every figure against the truncated birth-death chain of the same queue.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

__all__ = [
    "ErlangAResult",
    "agents_needed",
    "callback_slots",
    "erlang_c_wait_probability",
    "mean_wait_seconds",
    "service_level",
    "service_level_erlang_a",
]

_SECONDS_PER_HOUR = 3600.0
# Relative size at which a series term no longer changes a double.
_EPSILON = 1e-17
_TINY = 1e-300
_MAX_TERMS = 10_000_000


@dataclass(frozen=True)
class ErlangAResult:
    """What callers experience when they may hang up while waiting; every share is of all offered calls.

    A caller who hangs up counts as not answered, as the norms count him: the spoed norm asks for a person
    on the line within 30 seconds, not for a short queue.
    """

    answered_within_target: float
    abandoned: float
    mean_wait_seconds: float  # over every caller: 0 when answered at once, up to hanging up otherwise
    wait_probability: float  # the share that finds every assistant busy


def erlang_c_wait_probability(traffic_erlangs: float, agents: int) -> float:
    """Return the share of callers who find all `agents` busy (Erlang C); traffic = arrivals x handle time.

    Uses the Erlang B recursion B_k = A*B_{k-1} / (k + A*B_{k-1}) and C = n*B / (n - A*(1 - B)): factorials
    and powers overflow a double from about 170 agents, the recursion stays within 0..1 for any traffic.
    With `agents <= traffic_erlangs` the queue never empties, so every caller waits: 1.0.
    """
    traffic = _non_negative("traffic_erlangs", traffic_erlangs)
    agents = _agents("agents", agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = _erlang_b(traffic, agents)
    return min(1.0, agents * blocking / (agents - traffic * (1.0 - blocking)))


def service_level(
    arrivals_per_hour: float, mean_handle_seconds: float, agents: int, target_seconds: float
) -> float:
    """Return the share of callers answered within `target_seconds` when nobody hangs up (Erlang C).

    SL = 1 - C * exp(-(n - A) * t / handle). An overloaded queue (`agents <= traffic`) answers a vanishing
    share in time, so it gives 0.0 rather than a negative number.
    """
    traffic, handle = _traffic(arrivals_per_hour, mean_handle_seconds)
    agents = _agents("agents", agents)
    target = _non_negative("target_seconds", target_seconds)
    if agents <= traffic:
        return 0.0
    waiting = erlang_c_wait_probability(traffic, agents)
    return _share(1.0 - waiting * math.exp(-(agents - traffic) * target / handle))


def mean_wait_seconds(arrivals_per_hour: float, mean_handle_seconds: float, agents: int) -> float:
    """Return the mean time in the queue over all callers (the ASA) when nobody hangs up (Erlang C).

    ASA = C * handle / (n - A); infinite for an overloaded queue, which is what a report should show.
    """
    traffic, handle = _traffic(arrivals_per_hour, mean_handle_seconds)
    agents = _agents("agents", agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c_wait_probability(traffic, agents) * handle / (agents - traffic)


def service_level_erlang_a(
    arrivals_per_hour: float,
    mean_handle_seconds: float,
    mean_patience_seconds: float,
    agents: int,
    target_seconds: float,
) -> ErlangAResult:
    """Return what callers experience when they hang up after `mean_patience_seconds` on average (Erlang A).

    Exact M/M/n+M formulas (see the module docstring), valid for any load: with abandonment the queue is
    stable even when `agents` is below the traffic, which is exactly the overloaded block a report must show.
    """
    traffic, handle = _traffic(arrivals_per_hour, mean_handle_seconds)
    patience = _positive("mean_patience_seconds", mean_patience_seconds)
    agents = _agents("agents", agents)
    target = _non_negative("target_seconds", target_seconds)
    if traffic == 0:
        return ErlangAResult(
            answered_within_target=1.0, abandoned=0.0, mean_wait_seconds=0.0, wait_probability=0.0
        )

    arrival_rate = arrivals_per_hour / _SECONDS_PER_HOUR
    theta = 1.0 / patience
    service_rate = agents / handle  # of the whole team while everyone is busy
    a = agents * patience / handle
    b = arrival_rate * patience
    blocking = _erlang_b(traffic, agents)
    tail = _series_tail(a, b)  # J - 1, summed directly when it can be, so 1 - 1/J keeps its digits
    if math.isfinite(tail):
        log_j, not_first = math.log1p(tail), tail / (1.0 + tail)
    else:
        log_j = _log_series(a, b)
        not_first = -math.expm1(-log_j)
    wait = _wait_probability(blocking, log_j)
    answered_if_waiting = _share((a / b) * not_first)  # (1 - 1/J) / rho
    abandoned = _share(wait * (1.0 - answered_if_waiting))
    late_exponent = -b * math.expm1(-theta * target) - (service_rate + theta) * target
    log_late = late_exponent + _log_series(a + 1.0, b * math.exp(-theta * target)) - log_j
    late = (a / (a + 1.0)) * _exp(log_late)  # answered, but after the target
    within_if_waiting = _share(answered_if_waiting - late)
    return ErlangAResult(
        answered_within_target=_share((1.0 - wait) + wait * within_if_waiting),
        abandoned=abandoned,
        mean_wait_seconds=abandoned * patience,
        wait_probability=wait,
    )


def agents_needed(
    arrivals_per_hour: float,
    mean_handle_seconds: float,
    target_seconds: float,
    target_share: float,
    *,
    patience_seconds: float | None = None,
    max_agents: int = 200,
) -> int:
    """Return the fewest agents that answer `target_share` of callers within `target_seconds`.

    Erlang A when the practice's measured patience is given, else Erlang C (then at least one agent more
    than the traffic, the fewest with which the queue empties at all). At least one agent: a block with
    nobody on the phone is not staffing advice. Raises ValueError naming `max_agents` when even that many
    do not meet the target (a share of 1.0 is met only once the shortfall is below float rounding).
    """
    traffic, _ = _traffic(arrivals_per_hour, mean_handle_seconds)
    target = _non_negative("target_seconds", target_seconds)
    share = _fraction("target_share", target_share)
    limit = _agents("max_agents", max_agents)
    if patience_seconds is not None:
        _positive("patience_seconds", patience_seconds)
        start = 1
    else:
        start = max(1, math.floor(traffic) + 1)
    # Linear from the lowest candidate, so the answer is the smallest by construction, not by monotonicity.
    for agents in range(start, limit + 1):
        if patience_seconds is None:
            achieved = service_level(arrivals_per_hour, mean_handle_seconds, agents, target)
        else:
            achieved = service_level_erlang_a(
                arrivals_per_hour, mean_handle_seconds, patience_seconds, agents, target
            ).answered_within_target
        if achieved >= share:
            return agents
    raise ValueError(
        f"max_agents: {limit} agents do not answer {share:.1%} of calls within {target:g} s "
        f"({arrivals_per_hour:g} calls/hour of {mean_handle_seconds:g} s)"
    )


def callback_slots(
    assistants: int, mean_handle_seconds: float, slot_minutes: int, utilisation: float = 0.85
) -> int:
    """Return how many callbacks one slot of a block can promise at the measured handling time.

    floor(assistants x slot length x utilisation / handle). Callbacks are booked, not queued, so no queueing
    formula applies; `utilisation` below 1 keeps room for the unanswered first attempt, the note written
    afterwards and the walk-in, so the promised time is kept rather than slipping slot after slot.
    """
    count = _count("assistants", assistants)
    handle = _positive("mean_handle_seconds", mean_handle_seconds)
    minutes = _positive("slot_minutes", slot_minutes)
    share = _fraction("utilisation", utilisation)
    if share == 0:
        raise ValueError(f"utilisation must be above 0 and at most 1, got {utilisation!r}")
    # The small allowance stops 6.9999999999 (float rounding of an exact 7) from losing a callback.
    return math.floor(count * minutes * 60.0 * share / handle + 1e-9)


def _erlang_b(traffic: float, agents: int) -> float:
    """Erlang B blocking by its recursion: every step stays within 0..1, so large teams cannot overflow."""
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def _wait_probability(blocking: float, log_j: float) -> float:
    """P(wait) = J*B / (1 - B + J*B), in logarithms because J alone can exceed a double."""
    if blocking == 0:
        return 0.0
    return 1.0 / (1.0 + (1.0 - blocking) * _exp(-(log_j + math.log(blocking))))


def _series_tail(s: float, z: float) -> float:
    """Return sum_{k>=1} prod_{i<=k} z/(s+i) when its terms fall from the first one, else infinity.

    Summed directly it is exact to the last digit, which 1 - 1/J needs when J is close to 1.
    """
    if z >= s + 1.0:
        return math.inf
    term, total = 1.0, 0.0
    for i in range(1, _MAX_TERMS):
        term *= z / (s + i)
        total += term
        if term <= _EPSILON * total:
            return total
    raise ArithmeticError(f"Erlang A series did not converge (s={s!r}, z={z!r})")


def _log_series(s: float, z: float) -> float:
    """Return log sum_{k>=0} prod_{i<=k} z/(s+i), i.e. log(e^z z^-s Gamma(s+1) P(s, z)).

    Direct summation while the terms fall (z < s + 1); otherwise the terms first grow for about z - s
    steps, so P = 1 - Q with Q from its continued fraction (modified Lentz), which converges quickly there.
    """
    if z <= 0:
        return 0.0
    if z < s + 1.0:
        return math.log1p(_series_tail(s, z))
    log_q = -z + s * math.log(z) - math.lgamma(s) + math.log(_gamma_q_fraction(s, z))
    return z - s * math.log(z) + math.lgamma(s + 1.0) + math.log1p(-math.exp(log_q))


def _gamma_q_fraction(s: float, z: float) -> float:
    """The continued fraction of Q(s, z) * Gamma(s) * e^z * z^-s, for z >= s + 1 (Numerical Recipes gcf)."""
    b = z + 1.0 - s
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) <= 1e-16:
            return h
    raise ArithmeticError(f"incomplete gamma fraction did not converge (s={s!r}, z={z!r})")


def _exp(x: float) -> float:
    """exp that saturates instead of raising: the callers only need "huge" or "negligible"."""
    return math.inf if x > 709.0 else math.exp(x)


def _share(value: float) -> float:
    """Clamp rounding noise (1.0000000000000002, -1e-17) back into 0..1."""
    return min(1.0, max(0.0, value))


def _traffic(arrivals_per_hour: float, mean_handle_seconds: float) -> tuple[float, float]:
    """Return (offered traffic in erlangs, handle time) after checking both inputs."""
    arrivals = _non_negative("arrivals_per_hour", arrivals_per_hour)
    handle = _positive("mean_handle_seconds", mean_handle_seconds)
    return arrivals * handle / _SECONDS_PER_HOUR, handle


def _number(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _non_negative(name: str, value: float) -> float:
    number = _number(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return number


def _positive(name: str, value: float) -> float:
    number = _number(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be above 0, got {value!r}")
    return number


def _fraction(name: str, value: float) -> float:
    number = _number(name, value)
    if not 0 <= number <= 1:
        raise ValueError(f"{name} must lie between 0 and 1, got {value!r}")
    return number


def _count(name: str, value: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return number


def _agents(name: str, value: int) -> int:
    number = _count(name, value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}")
    return number
