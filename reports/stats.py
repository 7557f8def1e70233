"""Counts, shares and distributions: the small arithmetic every figure of the report shares."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    """`count` out of `of`; the percentage is None when there is nothing to count (no data, not 0%)."""

    count: int
    of: int

    @property
    def percent(self) -> float | None:
        return None if self.of == 0 else 100.0 * self.count / self.of


@dataclass(frozen=True)
class Distribution:
    """Summary of measured values (seconds or minutes, as the figure says): nearest-rank percentiles."""

    count: int
    p50: float | None
    p90: float | None
    mean: float | None
    maximum: float | None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Distribution:
        data = sorted(v for v in values if v is not None and math.isfinite(v))
        if not data:
            return cls(0, None, None, None, None)
        return cls(len(data), percentile(data, 50), percentile(data, 90), sum(data) / len(data), data[-1])


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of an ascending sequence: a value that really occurred, never a blend."""
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError(f"p must be in (0, 100], got {p}")
    rank = math.ceil(p / 100.0 * len(ordered))
    return ordered[max(rank, 1) - 1]


def buckets(values: Iterable[float], edges: Sequence[float]) -> list[int]:
    """Count values per bucket: below edges[0], [edges[i], edges[i+1]) ..., and from edges[-1] on.

    Returns len(edges) + 1 counts. The bounds are half-open so every value lands in exactly one bucket.
    """
    counts = [0] * (len(edges) + 1)
    for value in values:
        index = 0
        while index < len(edges) and value >= edges[index]:
            index += 1
        counts[index] += 1
    return counts
