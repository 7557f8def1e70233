"""Menu files that are too deep or too big are refused with a located problem, quickly and without a crash."""

from __future__ import annotations

import pytest

from common.yamlload import ConfigError, ConfigProblem, load_model_text
from dialplan.schema import PracticeConfig

OPTION_2 = '    "2": {action: headsets, group: overige}\n'


def nested_menus(submenus: int) -> str:
    """Option 2 of the main menu opens `submenus` submenus, each inside the one before (block style)."""
    lines: list[str] = []
    indent = "    "
    for _ in range(submenus):
        lines += [f'{indent}"2":', f"{indent}  action: submenu", f"{indent}  menu:"]
        lines += [f"{indent}    prompt: welkom", f"{indent}    options:"]
        indent += "      "
    lines.append(f"{indent}'2': {{action: hangup}}")
    return "\n".join(lines) + "\n"


def nested_flow_menus(submenus: int) -> str:
    """Like nested_menus, on one line (block style would make 200 levels larger than the file limit)."""
    action = "{action: hangup}"
    for _ in range(submenus):
        action = f"{{action: submenu, menu: {{prompt: welkom, options: {{'2': {action}}}}}}}"
    return f'    "2": {action}\n'


def nth_line(text: str, snippet: str, n: int) -> int:
    """The 1-based line of the n-th line (1-based) that contains `snippet`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return found[n - 1]


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_model_text(text, "menu.yaml", PracticeConfig)
    return caught.value.problems


def alias_fan_out(levels: int, fan: int = 8) -> str:
    """Menus whose options reuse the menu before them by alias: a 3 KiB file, 8**levels menus."""
    lines = ['    "3": {action: submenu, menu: &m0 {prompt: welkom, options: {"2": {action: hangup}}}}']
    for level in range(1, levels + 1):
        options = ", ".join(f'"{key}": {{action: submenu, menu: *m{level - 1}}}' for key in range(2, 2 + fan))
        menu = f"&m{level} {{prompt: welkom, options: {{{options}}}}}"
        lines.append(f'    "{level + 3}": {{action: submenu, menu: {menu}}}')
    return "\n".join(lines) + "\n"


def test_eight_menu_levels_are_fine(base_yaml: str) -> None:
    """The main menu with seven submenus below it (eight levels) loads."""
    cfg = load_model_text(base_yaml.replace(OPTION_2, nested_menus(7)), "menu.yaml", PracticeConfig)
    assert cfg.menu.options["2"].action == "submenu"


def test_a_ninth_menu_level_is_refused_at_its_line(base_yaml: str) -> None:
    """A submenu nine levels deep is one problem at that submenu's `menu:` line."""
    text = base_yaml.replace(OPTION_2, nested_menus(8))
    (problem,) = problems_of(text)
    assert problem.line == nth_line(text, "  menu:", 8)  # the eighth submenu is the ninth level
    assert problem.field == ".".join(["menu"] + ["options", "2", "menu"] * 8)
    assert "at most 8 levels" in problem.message


def test_two_hundred_nested_submenus_are_a_problem_not_a_recursion_error(base_yaml: str) -> None:
    """Absurd nesting is refused with one located problem instead of crashing the loader."""
    (problem,) = problems_of(base_yaml.replace(OPTION_2, nested_flow_menus(200)))
    assert problem.field.startswith("menu.options.2.menu.options.2.menu")
    assert "nested more than 64 levels deep" in problem.message


def test_alias_fan_out_is_refused(base_yaml: str) -> None:
    """A 3 KiB file whose aliases expand to 32768 menus is refused by the node limit instead of validated."""
    text = base_yaml.split('    "3":\n')[0] + alias_fan_out(5)
    assert len(text.encode()) < 4096
    problems = problems_of(text)
    assert len(problems) == 1 and "aliases" in problems[0].message
