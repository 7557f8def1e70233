"""A small valid menu file that the dialplan tests change one line at a time."""

from __future__ import annotations

import pytest

BASE_YAML = """\
practice:
  id: testpraktijk
  name: "Testpraktijk"
  number: "0201234567"
headsets:
  a1: {name: "Assistente 1"}
  a2: {name: "Assistente 2"}
opening_hours:
  monday: ["08:00-17:00"]
  tuesday: ["08:00-17:00"]
  wednesday: ["08:00-12:00", "13:00-17:00"]
  thursday: ["08:00-17:00"]
  friday: ["08:00-17:00"]
  closed_dates: ["2026-12-24"]
outside_hours:
  prompt: buiten_openingstijden
  spoed_prompt: doorverbinden_huisartsenpost
  huisartsenpost: "0881234567"
spoed:
  prompt: spoed_doorverbinden
  headsets: [a1, a2]
  overflow_number: "0881234567"
menu:
  prompt: welkom
  options:
    "1": {action: spoed}
    "2": {action: headsets, group: overige}
    "3":
      action: submenu
      menu:
        prompt: herhaalrecepten_menu
        options:
          "2": {action: play, prompts: [herhaalrecepten_portaal]}
          "9": {action: back}
"""


# Every prompt the base file names: what a practice's prompt catalog must know for it to validate.
BASE_PROMPTS = frozenset(
    {
        "welkom",
        "ongeldige_keuze",
        "geen_keuze",
        "spoed_doorverbinden",
        "buiten_openingstijden",
        "doorverbinden_huisartsenpost",
        "herhaalrecepten_menu",
        "herhaalrecepten_portaal",
    }
)


@pytest.fixture
def base_prompts() -> frozenset[str]:
    """The prompt names the base file uses."""
    return BASE_PROMPTS


@pytest.fixture
def base_yaml() -> str:
    """The valid base menu file as text."""
    return BASE_YAML
