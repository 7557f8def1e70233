"""Read a practice's capacity YAML into a validated CapacityConfig."""

from __future__ import annotations

from pathlib import Path

from capacity.config import CapacityConfig
from dialplan.yamlload import load_model


def load_capacity(path: Path) -> CapacityConfig:
    """Load and validate `path`; raise dialplan.yamlload.ConfigError listing every located problem."""
    return load_model(Path(path), CapacityConfig)
