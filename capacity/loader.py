"""Read a practice's capacity YAML into a validated CapacityConfig, once or kept up to date."""

from __future__ import annotations

from pathlib import Path

from capacity.config import CapacityConfig
from common.watched import FileHolder
from common.yamlload import load_model


def load_capacity(path: Path) -> CapacityConfig:
    """Load and validate `path`; raise common.yamlload.ConfigError listing every located problem."""
    return load_model(Path(path), CapacityConfig)


class CapacityHolder(FileHolder[CapacityConfig]):
    """The practice's callback capacity (blocks, assistants, closed days), reloaded when the file changes."""

    model = CapacityConfig
    what = "capacity"
