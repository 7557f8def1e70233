"""Headsets in the menu file: names that cannot be mistaken for numbers, and lists that ring someone."""

from __future__ import annotations

import pytest

from common.yamlload import ConfigError, ConfigProblem, load_model_text
from dialplan.schema import PracticeConfig


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_model_text(text, "menu.yaml", PracticeConfig)
    return caught.value.problems


@pytest.mark.parametrize("name", ["1", "5", '"5"', "0612345678", "_a1", "-a1"])
def test_headset_name_must_start_with_a_letter(base_yaml: str, line_of, name: str) -> None:
    """A headset named like a dialled number (or not starting with a letter) is refused at its line."""
    text = base_yaml.replace('  a2: {name: "Assistente 2"}', f'  {name}: {{name: "Assistente 2"}}')
    problems = problems_of(text)
    assert problems[0].line == line_of(text, f'  {name}: {{name: "Assistente 2"}}')
    assert problems[0].field == f"headsets.{name.strip(chr(34))}"
    assert "must start with a letter" in problems[0].message


def test_headset_names_with_digits_after_a_letter_are_fine(base_yaml: str) -> None:
    """Names such as assistent1 and balie-2 are valid endpoint names."""
    text = base_yaml.replace("  a2: {", "  balie-2: {").replace("[a1, a2]", "[a1, balie-2]")
    assert list(load_model_text(text, "menu.yaml", PracticeConfig).headsets) == ["a1", "balie-2"]


def test_empty_spoed_headsets_is_refused(base_yaml: str, line_of) -> None:
    """Spoed with an empty headset list would ring nobody; it is refused at its line."""
    text = base_yaml.replace("headsets: [a1, a2]", "headsets: []")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "headsets: []"), "spoed.headsets")
    assert "rings nobody" in problem.message


def test_empty_headsets_in_an_action_is_refused(base_yaml: str, line_of) -> None:
    """A headsets action with an empty list is refused at its line."""
    text = base_yaml.replace(
        "{action: headsets, group: overige}", "{action: headsets, group: overige, headsets: []}"
    )
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "headsets: []"), "menu.options.2.headsets")


def test_a_headset_named_twice_in_a_list_is_refused(base_yaml: str, line_of) -> None:
    """A list that names one headset twice is refused (it would ring her twice)."""
    text = base_yaml.replace("headsets: [a1, a2]", "headsets: [a1, a2, a1]")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "[a1, a2, a1]"), "spoed.headsets")
    assert "'a1' twice" in problem.message


def test_queue_needs_a_headset_with_live_duty(base_yaml: str, line_of) -> None:
    """A queue nobody answers (no headset has duty live) is refused at the queue."""
    text = base_yaml.replace('{name: "Assistente 1"}', '{name: "Assistente 1", duties: [callbacks]}')
    text = text.replace('{name: "Assistente 2"}', '{name: "Assistente 2", duties: [callbacks]}')
    text = text.replace("{action: headsets, group: overige}", "{action: queue, group: overige}")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "action: queue"), "menu.options.2")
    assert "duty live" in problem.message


def test_callbacks_need_a_headset_with_callbacks_duty(base_yaml: str, line_of) -> None:
    """A callback offer nobody would call back (no headset has duty callbacks) is refused at the offer."""
    text = base_yaml.replace('{name: "Assistente 1"}', '{name: "Assistente 1", duties: [live]}')
    text = text.replace('{name: "Assistente 2"}', '{name: "Assistente 2", duties: [live]}')
    text = text.replace("{action: headsets, group: overige}", "{action: callback}")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "action: callback"), "menu.options.2")
    assert "duty callbacks" in problem.message


def test_kept_places_need_a_headset_with_callbacks_duty(base_yaml: str, line_of) -> None:
    """A queue that lets callers keep their place needs someone to call them back."""
    text = base_yaml.replace('{name: "Assistente 1"}', '{name: "Assistente 1", duties: [live]}')
    text = text.replace('{name: "Assistente 2"}', '{name: "Assistente 2", duties: [live]}')
    text = text.replace("{action: headsets, group: overige}", "{action: queue, group: overige}")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "action: queue"), "menu.options.2.keep_place_key")
    assert "duty callbacks" in problem.message


@pytest.mark.parametrize("name", ['De \\"Linde\\"', "De <Linde>", "De Linde\\n2"])
def test_practice_name_cannot_break_the_caller_id(base_yaml: str, line_of, name: str) -> None:
    """A practice name with quotes, angle brackets or a line break is refused: it goes out as a caller id."""
    text = base_yaml.replace('name: "Testpraktijk"', f'name: "{name}"')
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "  name: "), "practice.name")
