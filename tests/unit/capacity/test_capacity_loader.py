"""Loading capacity YAML: the shipped demo is valid, and mistakes point at the line to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import capacity
from capacity.loader import load_capacity
from capacity.planner import Offer, earliest_slot
from common.yamlload import ConfigError

DEMO = Path(capacity.__file__).parent / "examples" / "demo-capacity.yaml"
AMS = ZoneInfo("Europe/Amsterdam")


def write(tmp_path: Path, text: str) -> Path:
    """Write `text` to a YAML file in `tmp_path` and return its path."""
    path = tmp_path / "capacity.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_config_loads_and_plans() -> None:
    """The demo loads, and a Thursday with 10:00-11:00 full offers 11:15 as its comment promises."""
    cfg = load_capacity(DEMO)
    assert cfg.horizon_days == 3 and cfg.priority_reserved_per_slot == 1
    thursday = dt.date(2027, 4, 22)
    now = dt.datetime.combine(thursday, dt.time(9, 0), tzinfo=AMS)
    first = earliest_slot(cfg, [], now)
    assert isinstance(first, Offer) and first.slot_start.strftime("%H:%M") == "10:00"
    after_block = earliest_slot(cfg, [], now, after=first.slot_start.replace(hour=10, minute=45))
    assert isinstance(after_block, Offer) and after_block.slot_start.strftime("%H:%M") == "11:15"


def test_cross_field_problem_points_at_the_block_line(tmp_path: Path) -> None:
    """An off-grid block start is reported with file, line and dotted field of that block."""
    path = write(
        tmp_path,
        'slot_minutes: 15\nblocks:\n  monday:\n    - {start: "10:00", end: "11:00", assistants: 1}\n'
        '    - start: "11:10"\n      end: "12:00"\n      assistants: 1\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_capacity(path)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 5, "blocks.monday.1.start")
    assert "15-minute slot grid" in problem.message


def test_unquoted_time_is_explained(tmp_path: Path) -> None:
    """YAML's base-60 reading of an unquoted 10:00 gets a hint to quote it, at the right line."""
    path = write(tmp_path, 'blocks:\n  friday:\n    - {start: 10:00, end: "11:00", assistants: 1}\n')
    with pytest.raises(ConfigError) as caught:
        load_capacity(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (3, "blocks.friday.0.start")
    assert "quoted" in problem.message


def test_unknown_key_is_reported(tmp_path: Path) -> None:
    """A Dutch weekday name instead of an English one is an error on its own line."""
    path = write(tmp_path, "horizon_days: 2\nblocks:\n  maandag: []\n")
    with pytest.raises(ConfigError) as caught:
        load_capacity(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (3, "blocks.maandag")
