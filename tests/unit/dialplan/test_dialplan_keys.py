"""Phone keys in the menu file: read as written, apart from spoed, and matching the packaged prompt texts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from common.yamlload import ConfigError, ConfigProblem, load_model_text
from dialplan.schema import CallbackAction, CallbackDialing, PracticeConfig, QueueAction

TEXTS = Path(__file__).resolve().parents[3] / "prompts" / "texts.yaml"
OPTION_2 = '    "2": {action: headsets, group: overige}'


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_model_text(text, "menu.yaml", PracticeConfig)
    return caught.value.problems


def prompt_text(name: str) -> str:
    return " ".join(yaml.safe_load(TEXTS.read_text(encoding="utf-8"))[name].split())


def test_option_key_01_is_refused_at_its_line(base_yaml: str, line_of) -> None:
    """`01:` is not read as key 1 (YAML's integer): it is refused as no phone key at its line."""
    text = base_yaml.replace(OPTION_2, "    01: {action: headsets, group: overige}")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "    01:"), "menu.options.01")
    assert "'01' is not a phone key" in problem.message


def test_keys_01_and_1_do_not_collapse_into_one(base_yaml: str, line_of) -> None:
    """With both `01:` and `1:` the menu is refused instead of one option silently replacing the other."""
    text = base_yaml.replace('    "1": {action: spoed}', '    "1": {action: spoed}\n    01: {action: hangup}')
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "    01:"), "menu.options.01")


def test_callback_key_defaults_are_what_the_packaged_prompt_says() -> None:
    """By default the offer confirms with 2 and asks for a later time with 3, as terugbel_keuze says."""
    action = CallbackAction(action="callback")
    said = prompt_text("terugbel_keuze")
    assert (action.confirm_key, action.other_key) == ("2", "3")
    assert f"Toets {action.confirm_key} om deze tijd te bevestigen." in said
    assert f"Toets {action.other_key} voor een later tijdstip." in said


def test_callback_with_default_keys_is_valid_next_to_spoed_on_1(base_yaml: str) -> None:
    """A bare `{action: callback}` loads in a practice whose spoed key is 1."""
    text = base_yaml.replace(OPTION_2, '    "2": {action: callback}')
    assert isinstance(load_model_text(text, "menu.yaml", PracticeConfig).menu.options["2"], CallbackAction)


def test_queue_number_keys_default_to_what_the_packaged_prompt_says() -> None:
    """A kept place's typed number is confirmed with 2, typed again with 3, as terugbel_nummer_keuze says."""
    queue = QueueAction(action="queue", group="overige")
    said = prompt_text("terugbel_nummer_keuze")
    assert (queue.number_confirm_key, queue.number_again_key) == ("2", "3")
    assert f"Toets {queue.number_confirm_key} als dit nummer klopt." in said
    assert f"Toets {queue.number_again_key} om het opnieuw in te toetsen." in said


@pytest.mark.parametrize("field", ["number_confirm_key", "number_again_key"])
def test_queue_number_key_may_not_be_the_spoed_key(base_yaml: str, line_of, field: str) -> None:
    """A queue's number-entry key equal to the spoed key is refused at the queue's line."""
    text = base_yaml.replace(OPTION_2, f'    "2": {{action: queue, group: overige, {field}: "1"}}')
    problems = problems_of(text)
    assert [(p.line, p.field) for p in problems] == [
        (line_of(text, "action: queue"), f"menu.options.2.{field}")
    ]
    assert "spoed key" in problems[0].message


def test_queue_number_keys_must_differ(base_yaml: str, line_of) -> None:
    """Confirming and typing again on the same key is refused."""
    text = base_yaml.replace(OPTION_2, '    "2": {action: queue, group: overige, number_again_key: "2"}')
    (problem,) = problems_of(text)
    assert problem.field == "menu.options.2.number_again_key"
    assert "must differ from number_confirm_key" in problem.message


def test_queue_without_keep_place_does_not_check_number_keys(base_yaml: str) -> None:
    """A queue where callers cannot keep their place never asks for a number, so its number keys are free."""
    queue = '    "2": {action: queue, group: overige, keep_place_key: null, number_confirm_key: "1"}'
    cfg = load_model_text(base_yaml.replace(OPTION_2, queue), "menu.yaml", PracticeConfig)
    assert cfg.menu.options["2"].keep_place_key is None


def test_assistant_done_and_not_reached_keys_must_differ(base_yaml: str, line_of) -> None:
    """The assistant's two keys after a callback cannot be the same key."""
    text = base_yaml + 'callbacks:\n  done_key: "2"\n'
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "callbacks:"), "callbacks.not_reached_key")
    assert "must differ from done_key" in problem.message
    assert (CallbackDialing().done_key, CallbackDialing().not_reached_key) == ("1", "2")
