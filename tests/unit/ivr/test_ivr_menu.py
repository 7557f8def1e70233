"""The menu walk on the fake ARI: prompts, reprompts, the default after the retries, submenus and reloads."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from dialplan.schema import PracticeConfig
from tests.fakes.practice import FakePractice, demo_menu

HEADSETS = ("assistent1", "assistent2", "assistent3")


def menu_with(**root: Any) -> dict[str, Any]:
    """The demo menu with some root-menu fields replaced (options are merged, not replaced)."""
    menu = demo_menu()
    options = root.pop("options", {})
    menu["menu"].update(root)
    menu["menu"]["options"].update(options)
    return menu


# Two misses and the call ends politely instead of waiting in the queue: the default is easy to see.
ENDS_AFTER_RETRIES = menu_with(retries=2, default={"action": "hangup", "prompt": "tot_ziens"})


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, ENDS_AFTER_RETRIES)
    await practice.start()
    yield practice
    await practice.close()


def now() -> float:
    return asyncio.get_running_loop().time()


async def welkom_count(practice: FakePractice, caller: str, count: int) -> None:
    ari = practice.ari
    await ari.until(lambda: ari.played(caller).count("welkom") >= count, 60, f"welkom {count}x")


async def test_the_caller_is_answered_and_hears_the_welcome_first(practice: FakePractice) -> None:
    """A new call is answered before anything plays, and the first prompt is the main menu's."""
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    methods = [r.method for r in practice.ari.requests if r.params.get("channel_id") == caller]
    assert methods.index("answer") < methods.index("play")
    assert practice.ari.played(caller) == ["welkom"]


async def test_a_wrong_key_reprompts_with_the_invalid_prompt(practice: FakePractice) -> None:
    """A key that is no option is answered with ongeldige_keuze, then the menu again."""
    caller = practice.calls_in()
    await practice.heard_all(caller, "welkom")
    practice.ari.press(caller, "7")
    await welkom_count(practice, caller, 2)
    assert practice.ari.played(caller) == ["welkom", "ongeldige_keuze", "welkom"]


async def test_no_key_reprompts_with_the_no_input_prompt_after_the_menus_timeout(
    practice: FakePractice,
) -> None:
    """Silence for `timeout` seconds after the welcome gives geen_keuze, then the menu again."""
    caller = practice.calls_in()
    await practice.heard_all(caller, "welkom")
    heard_at = now()
    await practice.heard(caller, "geen_keuze")
    assert now() - heard_at == pytest.approx(5.0, abs=0.01)  # the menu's timeout, not more, not less
    await welkom_count(practice, caller, 2)
    assert practice.ari.played(caller) == ["welkom", "geen_keuze", "welkom"]


async def test_after_the_retries_the_default_action_runs(practice: FakePractice) -> None:
    """A wrong key, then silence, then a wrong key again: with two retries the third miss runs the default."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard_all(caller, "welkom")
    ari.press(caller, "8")
    await welkom_count(practice, caller, 2)
    await practice.heard(caller, "geen_keuze")
    await welkom_count(practice, caller, 3)
    ari.press(caller, "9")
    await practice.heard_all(caller, "tot_ziens")
    await ari.until(lambda: ari.of("hangup", channel_id=caller), 5, "hung up")
    assert ari.played(caller) == [
        "welkom",
        "ongeldige_keuze",
        "welkom",
        "geen_keuze",
        "welkom",
        "tot_ziens",
    ]


async def test_a_default_that_returns_to_the_menu_ends_the_call_instead_of_looping(tmp_path: Path) -> None:
    """Play-then-menu as the root's default is played once after the retries, then the call ends."""
    default = {"action": "play", "prompts": ["openingstijden"], "then": "menu"}
    practice = FakePractice(tmp_path, menu_with(retries=0, default=default))
    await practice.start()
    try:
        ari = practice.ari
        caller = practice.calls_in()
        await practice.heard_all(caller, "openingstijden")
        await ari.until(lambda: ari.of("hangup", channel_id=caller), 5, "hung up")
        assert ari.played(caller) == ["welkom", "openingstijden"]
    finally:
        await practice.close()


async def test_a_key_during_the_welcome_stops_it_at_once(practice: FakePractice) -> None:
    """A caller who knows the menu presses 3 halfway through the welcome and hears the submenu right away."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    assert now() < ari.default_prompt_seconds, "the submenu came before the welcome could have ended"
    [welcome] = ari.of("play", channel_id=caller)[:1]
    assert ari.of("stop_playback", playback_id=welcome.params["playback_id"])


async def test_keys_typed_ahead_go_straight_through_the_menus(practice: FakePractice) -> None:
    """Pressing 3 and 2 at once during the welcome reaches the portal information without waiting."""
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "32")
    await practice.heard(caller, "herhaalrecepten_portaal")
    assert now() < practice.ari.default_prompt_seconds


async def test_back_returns_to_the_main_menu_and_its_options_work_again(practice: FakePractice) -> None:
    """9 in the submenu is back: the welcome plays again and its options work as before."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    ari.press(caller, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    ari.press(caller, "9")
    await welkom_count(practice, caller, 2)
    ari.press(caller, "3")
    await ari.until(lambda: ari.played(caller).count("herhaalrecepten_menu") == 2, 10, "submenu again")
    assert ari.played(caller) == ["welkom", "herhaalrecepten_menu", "welkom", "herhaalrecepten_menu"]


async def test_a_submenu_without_a_choice_falls_back_to_the_main_menu(practice: FakePractice) -> None:
    """The submenu's own retries pass in silence, then its default (back) brings the welcome again."""
    caller = practice.calls_in()
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "3")
    await welkom_count(practice, caller, 2)
    assert practice.ari.played(caller) == [
        "welkom",
        "herhaalrecepten_menu",
        "geen_keuze",
        "herhaalrecepten_menu",
        "geen_keuze",
        "herhaalrecepten_menu",
        "welkom",
    ]
    assert not practice.ari.of("hangup", channel_id=caller)


# Each way to reach a moment in the menu, then the spoed key pressed while `then` plays.
SPOED_MOMENTS = {
    "welcome": [("welkom", None)],
    "wait after the welcome": [("welkom", "wait")],
    "invalid reprompt": [("welkom", "7"), ("ongeldige_keuze", None)],
    "no-input reprompt": [("geen_keuze", None)],
    "submenu prompt": [("welkom", "3"), ("herhaalrecepten_menu", None)],
    "submenu reprompt": [("welkom", "3"), ("herhaalrecepten_menu", "6"), ("ongeldige_keuze", None)],
    "information prompt": [("welkom", "3"), ("herhaalrecepten_menu", "2"), ("herhaalrecepten_portaal", None)],
    "record instruction": [("welkom", "3"), ("herhaalrecepten_menu", "3"), ("inspreken_na_piep", None)],
    "callback offer": [("welkom", "4"), ("terugbel_aanbod", None)],
    "offered time": [("welkom", "4"), ("terugbel_tijd", None)],
    "headsets ringing": [("welkom", "6"), ("doorverbinden_assistente", None)],
}


@pytest.mark.parametrize("moment", list(SPOED_MOMENTS), ids=list(SPOED_MOMENTS))
async def test_the_spoed_key_breaks_through_everywhere(tmp_path: Path, moment: str) -> None:
    """Whatever is playing and however deep the caller is, 1 rings every spoed headset."""
    ring = {"action": "headsets", "group": "balie", "prompt": "doorverbinden_assistente", "timeout": 60}
    practice = FakePractice(tmp_path, menu_with(options={"6": ring}))
    await practice.start()
    try:
        ari = practice.ari
        caller = practice.calls_in()
        for prompt, key in SPOED_MOMENTS[moment]:
            if key == "wait":
                await practice.heard_all(caller, prompt)
                continue
            await practice.heard(caller, prompt)
            if key is not None:
                ari.press(caller, key)
        started = len(ari.of("originate"))
        ari.press(caller, "1")
        await practice.heard(caller, "spoed_doorverbinden", 10)
        spoed_legs = ari.of("originate")[started:]
        assert sorted(r.params["endpoint"] for r in spoed_legs) == [f"PJSIP/{h}" for h in HEADSETS]
        assert all(ari.ringing(h) for h in HEADSETS)
    finally:
        await practice.close()


async def test_the_spoed_key_works_in_a_submenu_that_does_not_list_it(tmp_path: Path) -> None:
    """A submenu without option 1 still treats 1 as spoed, never as a wrong key."""
    submenu = {
        "action": "submenu",
        "menu": {"prompt": "uitslagen_menu", "options": {"2": {"action": "back"}}},
    }
    practice = FakePractice(tmp_path, menu_with(options={"6": submenu}))
    await practice.start()
    try:
        ari = practice.ari
        caller = practice.calls_in()
        await practice.heard(caller, "welkom")
        ari.press(caller, "6")
        await practice.heard(caller, "uitslagen_menu")
        ari.press(caller, "1")
        await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 10, "spoed ringing")
        assert "ongeldige_keuze" not in ari.played(caller)
    finally:
        await practice.close()


async def test_a_menu_reload_applies_to_the_next_call_only(practice: FakePractice) -> None:
    """A call in progress keeps the menu it started with; a call after the change hears the new one."""
    ari = practice.ari
    first = practice.calls_in("0612000001")
    await practice.heard_all(first, "welkom")
    changed = copy.deepcopy(practice.menu_data)
    changed["menu"]["prompt"] = "welkom_vakantie"
    changed["menu"]["options"]["3"] = {"action": "hangup", "prompt": "tot_ziens"}
    practice.menu = PracticeConfig.model_validate(changed)

    second = practice.calls_in("0612000002")
    await practice.heard(second, "welkom_vakantie")
    ari.press(first, "3")
    await practice.heard(first, "herhaalrecepten_menu")
    ari.press(second, "3")
    await practice.heard(second, "tot_ziens")
    assert "welkom_vakantie" not in ari.played(first)
    assert "herhaalrecepten_menu" not in ari.played(second)
