"""is_open / next_opening: windows, Dutch holidays, closed dates and time zones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from common.yamlload import load_model_text
from dialplan.hours import is_open, next_opening
from dialplan.schema import PracticeConfig

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def cfg(base_yaml: str) -> PracticeConfig:
    """Mon-Fri 08:00-17:00, Wednesday closed 12:00-13:00, closed 2026-12-24 and on Dutch holidays."""
    return load_model_text(base_yaml, "menu.yaml", PracticeConfig)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 3, 2, 7, 59), False),  # Monday, one minute early
        (local(2026, 3, 2, 8, 0), True),  # opening minute
        (local(2026, 3, 2, 16, 59, 59), True),
        (local(2026, 3, 2, 17, 0), False),  # the end time is already closed
        (local(2026, 3, 4, 12, 0), False),  # Wednesday lunch break
        (local(2026, 3, 4, 13, 0), True),
        (local(2026, 3, 7, 10, 0), False),  # Saturday, not configured
    ],
)
def test_window_boundaries(cfg: PracticeConfig, moment: datetime, expected: bool) -> None:
    """Windows include their start minute and exclude their end minute."""
    assert is_open(cfg, moment) is expected


@pytest.mark.parametrize(
    "day",
    [
        (2027, 4, 27),  # Koningsdag, a Tuesday
        (2025, 12, 26),  # Tweede Kerstdag, a Friday
        (2026, 4, 6),  # Tweede Paasdag
        (2026, 5, 14),  # Hemelvaartsdag
        (2026, 5, 25),  # Tweede Pinksterdag
    ],
)
def test_dutch_public_holidays_are_closed(cfg: PracticeConfig, day: tuple[int, int, int]) -> None:
    """A Dutch public holiday on a working day is closed during what would be opening hours."""
    moment = local(*day, 10, 0)
    assert moment.weekday() < 5
    assert is_open(cfg, moment) is False


def test_holidays_can_be_switched_off(base_yaml: str) -> None:
    """With public_holidays: false, Koningsdag (a Tuesday in 2027) is a normal working day."""
    text = base_yaml.replace("  closed_dates:", "  public_holidays: false\n  closed_dates:")
    cfg = load_model_text(text, "m.yaml", PracticeConfig)
    assert is_open(cfg, local(2027, 4, 27, 10, 0)) is True


def test_closed_dates(cfg: PracticeConfig) -> None:
    """A configured closed date (Thursday 2026-12-24) is closed all day; the day before is open."""
    assert is_open(cfg, local(2026, 12, 24, 10, 0)) is False
    assert is_open(cfg, local(2026, 12, 23, 10, 0)) is True


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 1, 5, 7, 30, tzinfo=UTC), True),  # 08:30 CET, Monday
        (datetime(2026, 1, 5, 6, 30, tzinfo=UTC), False),  # 07:30 CET
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), True),  # 08:30 CEST
        (datetime(2026, 7, 6, 15, 30, tzinfo=UTC), False),  # 17:30 CEST
    ],
)
def test_utc_is_converted_to_the_practice_zone(cfg: PracticeConfig, utc: datetime, expected: bool) -> None:
    """A UTC moment is judged by the clock in Amsterdam, in winter and in summer time."""
    assert is_open(cfg, utc) is expected


def test_naive_datetime_is_refused(cfg: PracticeConfig) -> None:
    """A naive datetime raises instead of silently assuming a zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(cfg, datetime(2026, 3, 2, 10, 0))


def test_next_opening_after_friday_close(cfg: PracticeConfig) -> None:
    """After Friday's close the next opening is Monday 08:00 local time."""
    assert next_opening(cfg, local(2026, 3, 6, 17, 30)) == local(2026, 3, 9, 8, 0)


def test_next_opening_after_lunch(cfg: PracticeConfig) -> None:
    """During Wednesday's lunch break the next opening is 13:00 the same day."""
    assert next_opening(cfg, local(2026, 3, 4, 12, 15)) == local(2026, 3, 4, 13, 0)


def test_next_opening_skips_a_holiday(cfg: PracticeConfig) -> None:
    """The evening before Koningsdag 2027 the next opening is the day after it."""
    assert next_opening(cfg, local(2027, 4, 26, 18, 0)) == local(2027, 4, 28, 8, 0)


def test_next_opening_when_open_is_now(cfg: PracticeConfig) -> None:
    """When already open, the next opening is the moment itself, in the practice zone."""
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    result = next_opening(cfg, moment)
    assert result == moment and result is not None and result.tzinfo == AMS


def test_next_opening_none_when_never_open(base_yaml: str) -> None:
    """A practice without any window does not open within 14 days."""
    lines = [
        line
        for line in base_yaml.splitlines()
        if not line.startswith(("  monday", "  tuesday", "  wed", "  thu", "  fri"))
    ]
    cfg = load_model_text("\n".join(lines) + "\n", "m.yaml", PracticeConfig)
    assert next_opening(cfg, local(2026, 3, 2, 9, 0)) is None
