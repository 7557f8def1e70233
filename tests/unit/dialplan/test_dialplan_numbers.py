"""Phone numbers in the menu file: only plain Dutch numbers, an extension is refused at its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from common.yamlload import ConfigError, load_model
from dialplan.schema import PracticeConfig


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('  huisartsenpost: "0881234567"', "outside_hours.huisartsenpost"),
        ('  overflow_number: "0881234567"', "spoed.overflow_number"),
        ('  number: "0201234567"', "practice.number"),
    ],
)
@pytest.mark.parametrize("extension", [" x 2", ";ext=2", " ext. 2", "#2"])
def test_number_with_an_extension_is_refused_at_its_line(
    base_yaml: str,
    write_yaml: Callable[[str], Path],
    line_of: Callable[[str, str], int],
    line: str,
    field: str,
    extension: str,
) -> None:
    """A configured number with an extension is a problem at its line, never dialled with it glued on."""
    number = line.split('"')[1]
    with_extension = line.replace(f'"{number}"', f'"{number[:3]} {number[3:6]} {number[6:]}{extension}"')
    text = base_yaml.replace(line, with_extension, 1)
    assert text != base_yaml
    with pytest.raises(ConfigError) as caught:
        load_model(write_yaml(text), PracticeConfig)
    at_line = [p for p in caught.value.problems if p.line == line_of(text, with_extension)]
    assert [p.field for p in at_line] == [field], caught.value


def test_same_number_without_the_extension_is_accepted(
    base_yaml: str, write_yaml: Callable[[str], Path]
) -> None:
    """The spaced spelling itself is fine and becomes the national digits."""
    text = base_yaml.replace('  huisartsenpost: "0881234567"', '  huisartsenpost: "088 123 4567"', 1)
    cfg = load_model(write_yaml(text), PracticeConfig)
    assert cfg.outside_hours.huisartsenpost == "0881234567"
