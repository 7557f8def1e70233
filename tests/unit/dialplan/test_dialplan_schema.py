"""PracticeConfig: the menu file's shape and its cross-field rules, each reported at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from common.yamlload import ConfigError, ConfigProblem, load_model, load_model_text
from dialplan.schema import (
    BackAction,
    CallbackAction,
    HangupAction,
    PracticeConfig,
    QueueAction,
    RecordAction,
    SpoedAction,
    SubmenuAction,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "dialplan" / "examples" / "demo-practice.yaml"


def only_problem(path: Path, known: set[str] | None = None) -> ConfigProblem:
    with pytest.raises(ConfigError) as caught:
        load_model(path, PracticeConfig, context=None if known is None else {"known_prompts": known})
    assert len(caught.value.problems) == 1, caught.value
    return caught.value.problems[0]


def test_base_file_is_valid(base_yaml: str, base_prompts: frozenset[str]) -> None:
    """The shared base file validates, including against the known prompts."""
    cfg = load_model_text(base_yaml, "menu.yaml", PracticeConfig, context={"known_prompts": base_prompts})
    assert cfg.practice.name == "Testpraktijk"


def test_example_practice_loads() -> None:
    """The shipped example follows the practice: spoed, intercollegiaal, herhaalrecepten, terugbellen."""
    cfg = load_model(EXAMPLE, PracticeConfig)
    options = cfg.menu.options
    assert isinstance(options["1"], SpoedAction)
    # Colleagues wait in the same queue as patients but before all of them (rank 0).
    assert isinstance(options["2"], QueueAction) and options["2"].group == "intercollegiaal"
    assert options["2"].rank == 0 and options["5"].rank == 1
    assert isinstance(options["3"], SubmenuAction)
    assert isinstance(options["3"].menu.options["3"], RecordAction)
    assert isinstance(options["4"], CallbackAction)
    # Key 1 is spoed in this practice, so the offer confirms with 2 and asks for a later time with 3.
    assert (options["4"].confirm_key, options["4"].other_key) == ("2", "3")
    assert cfg.outside_hours.huisartsenpost == "0881234567"


def test_defaults_fill_in_an_omitted_menu_setting(base_yaml: str) -> None:
    """Omitted menu settings get the documented defaults (5 s, 2 retries, hang up)."""
    cfg = load_model_text(base_yaml, "menu.yaml", PracticeConfig)
    assert (cfg.menu.timeout, cfg.menu.retries, cfg.menu.default) == (5, 2, HangupAction(action="hangup"))
    assert cfg.resolve_headsets(None) == ["a1", "a2"]


def test_submenu_inherits_the_root_reprompts(base_yaml: str) -> None:
    """A submenu without its own invalid/no-input prompt uses the root menu's."""
    text = base_yaml.replace(
        "  prompt: welkom\n", "  prompt: welkom\n  invalid_prompt: fout\n  no_input_prompt: stil\n"
    )
    sub = load_model_text(text, "m.yaml", PracticeConfig).menu.options["3"].menu
    assert (sub.invalid_prompt, sub.no_input_prompt) == ("fout", "stil")


def test_submenu_keeps_its_own_reprompt(base_yaml: str) -> None:
    """A submenu's own invalid_prompt wins over the root's."""
    text = base_yaml.replace("  prompt: welkom\n", "  prompt: welkom\n  invalid_prompt: fout\n").replace(
        "        prompt: herhaalrecepten_menu\n",
        "        prompt: herhaalrecepten_menu\n        invalid_prompt: eigen\n",
    )
    sub = load_model_text(text, "m.yaml", PracticeConfig).menu.options["3"].menu
    assert sub.invalid_prompt == "eigen"


def test_config_is_frozen(base_yaml: str) -> None:
    """A loaded config cannot be changed, so a call's menu never changes under it."""
    cfg = load_model_text(base_yaml, "menu.yaml", PracticeConfig)
    with pytest.raises(ValidationError):
        cfg.menu.timeout = 9  # type: ignore[misc]


def test_unknown_prompt_names_file_line_and_field(write_yaml, base_yaml: str, line_of, base_prompts) -> None:
    """With known prompts given, a misspelt prompt is reported at its line, with a suggestion."""
    text = base_yaml.replace("prompts: [herhaalrecepten_portaal]", "prompts: [herhaalrecepten_portal]")
    path = write_yaml(text)
    problem = only_problem(path, set(base_prompts))
    assert (problem.file, problem.line) == (str(path), line_of(text, "herhaalrecepten_portal]"))
    assert problem.field == "menu.options.3.menu.options.2.prompts.0"
    assert "did you mean 'herhaalrecepten_portaal'" in problem.message


def test_unknown_prompt_is_accepted_without_known_prompts(base_yaml: str) -> None:
    """Without a known_prompts context only the form of a prompt name is checked."""
    text = base_yaml.replace("prompt: welkom", "prompt: iets_anders")
    assert load_model_text(text, "m.yaml", PracticeConfig).menu.prompt == "iets_anders"


def test_default_reprompt_must_be_known(write_yaml, base_yaml: str, line_of, base_prompts) -> None:
    """A default prompt name that the catalog lacks is reported at each menu that relies on it."""
    with pytest.raises(ConfigError) as caught:
        load_model(
            write_yaml(base_yaml), PracticeConfig, context={"known_prompts": base_prompts - {"geen_keuze"}}
        )
    located = [(p.line, p.field) for p in caught.value.problems]
    assert located == [
        (line_of(base_yaml, "menu:"), "menu.no_input_prompt"),
        (line_of(base_yaml, "      menu:"), "menu.options.3.menu.no_input_prompt"),
    ]


def test_spoed_key_reused_in_a_submenu(write_yaml, base_yaml: str, line_of) -> None:
    """The spoed key means spoed at every level; a submenu may not use it for something else."""
    text = base_yaml.replace('"9": {action: back}', '"1": {action: back}')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (
        line_of(text, '"1": {action: back}'),
        "menu.options.3.menu.options.1",
    )
    assert "spoed key" in problem.message


def test_configured_spoed_key_is_the_reserved_one(write_yaml, base_yaml: str, line_of) -> None:
    """With spoed on key 5, the root menu must offer spoed on 5, not on 1."""
    text = base_yaml.replace("  prompt: spoed_doorverbinden\n", '  prompt: spoed_doorverbinden\n  key: "5"\n')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "  options:"), "menu.options")
    assert "must offer spoed under key 5" in problem.message


def test_root_menu_must_offer_spoed(write_yaml, base_yaml: str, line_of) -> None:
    """Leaving spoed out of the main menu is an error."""
    text = base_yaml.replace('    "1": {action: spoed}\n', "")
    problem = only_problem(write_yaml(text))
    assert problem.field == "menu.options"
    assert "main menu must offer spoed under key 1" in problem.message


def test_back_is_not_allowed_at_the_root(write_yaml, base_yaml: str, line_of) -> None:
    """`back` in the main menu has nowhere to go and is rejected at its line."""
    text = base_yaml.replace('    "2": {action: headsets, group: overige}', '    "2": {action: back}')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, '"2": {action: back}'), "menu.options.2")


def test_back_is_allowed_in_a_submenu(base_yaml: str) -> None:
    """`back` in a submenu is valid."""
    cfg = load_model_text(base_yaml, "m.yaml", PracticeConfig)
    assert cfg.menu.options["3"].menu.options["9"] == BackAction(action="back")


def test_overlapping_windows(write_yaml, base_yaml: str, line_of) -> None:
    """Two overlapping opening windows of one day are reported at that day."""
    text = base_yaml.replace('"08:00-12:00", "13:00-17:00"', '"08:00-12:00", "11:30-17:00"')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "wednesday:"), "opening_hours.wednesday")
    assert "overlap" in problem.message


@pytest.mark.parametrize("window", ["17:00-08:00", "8-17", "08:00-24:30"])
def test_malformed_window(write_yaml, base_yaml: str, line_of, window: str) -> None:
    """A window that is not HH:MM-HH:MM with start before end is rejected at its list item."""
    text = base_yaml.replace('monday: ["08:00-17:00"]', f'monday: ["{window}"]')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "monday:"), "opening_hours.monday.0")


def test_invalid_dutch_number_is_masked(write_yaml, base_yaml: str, line_of) -> None:
    """An invalid number is reported at its line without showing the number itself."""
    text = base_yaml.replace('number: "0201234567"', 'number: "020123456"')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "020123456"), "practice.number")
    assert "not a valid Dutch phone number" in problem.message
    assert "020123456" not in problem.message


def test_foreign_number_is_not_dutch(write_yaml, base_yaml: str) -> None:
    """A valid Belgian number is not a Dutch one."""
    text = base_yaml.replace('huisartsenpost: "0881234567"', 'huisartsenpost: "+3225551234"')
    assert only_problem(write_yaml(text)).field == "outside_hours.huisartsenpost"


def test_unquoted_number_asks_for_quotes(write_yaml, base_yaml: str) -> None:
    """An unquoted number (read by YAML as an integer) gets a hint to quote it."""
    text = base_yaml.replace('number: "0201234567"', "number: 0201234567")
    problem = only_problem(write_yaml(text))
    assert problem.field == "practice.number" and "quotes" in problem.message


def test_numbers_are_normalised_to_national_digits(base_yaml: str) -> None:
    """Spaces and +31 are turned into the plain national number the trunk dials."""
    text = base_yaml.replace('number: "0201234567"', 'number: "+31 20 123 45 67"')
    assert load_model_text(text, "m.yaml", PracticeConfig).practice.number == "0201234567"


def test_unknown_headset_in_spoed(write_yaml, base_yaml: str, line_of) -> None:
    """A spoed headset that is not under `headsets:` is reported at its list item."""
    text = base_yaml.replace("headsets: [a1, a2]", "headsets: [a1, a3]")
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "[a1, a3]"), "spoed.headsets.1")
    assert "unknown headset 'a3'" in problem.message


def test_unknown_headset_in_an_action(write_yaml, base_yaml: str, line_of) -> None:
    """A headsets action naming an undefined headset is reported at that item."""
    text = base_yaml.replace(
        "{action: headsets, group: overige}", "{action: headsets, group: overige, headsets: [x9]}"
    )
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "[x9]"), "menu.options.2.headsets.0")


def test_unknown_action(write_yaml, base_yaml: str, line_of) -> None:
    """A misspelt action is named, with the valid ones, at its option's line."""
    text = base_yaml.replace("{action: headsets, group: overige}", "{action: headset, group: overige}")
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "action: headset,"), "menu.options.2")
    assert "unknown action 'headset'" in problem.message


def test_invalid_dtmf_key(write_yaml, base_yaml: str, line_of) -> None:
    """An option key that is not a phone key is rejected at the key's line."""
    text = base_yaml.replace('"2": {action: headsets', '"22": {action: headsets')
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, '"22"'), "menu.options.22")


def test_unquoted_digit_key_is_accepted(base_yaml: str) -> None:
    """`2:` without quotes (an integer to YAML) is read as the key "2"."""
    text = base_yaml.replace('"2": {action: headsets', "2: {action: headsets")
    assert "2" in load_model_text(text, "m.yaml", PracticeConfig).menu.options


def test_timeout_out_of_range(write_yaml, base_yaml: str, line_of) -> None:
    """A menu timeout above 30 seconds is rejected at its line."""
    text = base_yaml.replace("  prompt: welkom\n", "  prompt: welkom\n  timeout: 31\n")
    problem = only_problem(write_yaml(text))
    assert (problem.line, problem.field) == (line_of(text, "timeout: 31"), "menu.timeout")


def test_unknown_timezone(write_yaml, base_yaml: str) -> None:
    """A time zone that zoneinfo does not know is rejected."""
    problem = only_problem(write_yaml("timezone: Europe/Amsterdm\n" + base_yaml))
    assert (problem.line, problem.field) == (1, "timezone")


def test_callback_confirm_key_may_not_be_the_spoed_key(write_yaml, base_yaml: str, line_of) -> None:
    """A callback offer confirming with the spoed key is refused: spoed must break through the offer."""
    callback = '    "2": {action: callback, confirm_key: "1", other_key: "3"}'
    text = base_yaml.replace('    "2": {action: headsets, group: overige}', callback)
    problem = only_problem(write_yaml(text))
    assert problem.line == line_of(text, '"2": {action: callback')
    assert problem.field == "menu.options.2.confirm_key"
    assert "spoed key" in problem.message


def test_callback_with_keys_apart_from_spoed_is_valid(write_yaml, base_yaml: str) -> None:
    """With confirm 2 and later 3 the callback option loads with its defaults (no voice note, 6 s)."""
    callback = '    "2": {action: callback, confirm_key: "2", other_key: "3"}'
    text = base_yaml.replace('    "2": {action: headsets, group: overige}', callback)
    cfg = load_model(write_yaml(text), PracticeConfig)
    action = cfg.menu.options["2"]
    assert isinstance(action, CallbackAction)
    assert (action.voice_note, action.timeout, action.number_attempts) == (False, 6, 2)
