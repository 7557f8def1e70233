"""Rules of the menu file that span several fields; used by PracticeConfig's validators.

Works on attribute names and the `action` tag rather than importing the models, so schema.py can
import this module without a cycle.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from prompts.names import is_valid_prompt_name

if TYPE_CHECKING:
    from dialplan.schema import Menu, PracticeConfig

Loc = tuple[str | int, ...]

_REPROMPT_FIELDS = ("invalid_prompt", "no_input_prompt")

# The main menu is level 1. Callers get lost long before this; the limit keeps every recursive step
# (inheriting prompts, pydantic, the cross-field rules, the menu runner) far from Python's own.
MAX_MENU_LEVELS = 8


def menu_depth_errors(data: Any) -> list[tuple[Loc, str]]:
    """A problem at every submenu deeper than MAX_MENU_LEVELS, found on the raw data without recursing."""
    if not isinstance(data, dict):
        return []
    errors: list[tuple[Loc, str]] = []
    stack: list[tuple[Any, Loc, int]] = [(data.get("menu"), ("menu",), 1)]
    while stack:
        menu, loc, level = stack.pop()
        if not isinstance(menu, dict):
            continue
        options = menu.get("options")
        actions = list(options.items()) if isinstance(options, dict) else []
        wheres: list[tuple[Loc, Any]] = [((*loc, "options", key), action) for key, action in actions]
        wheres.append(((*loc, "default"), menu.get("default")))
        for where, action in wheres:
            if not (isinstance(action, dict) and action.get("action") == "submenu"):
                continue
            if level == MAX_MENU_LEVELS:
                message = (
                    f"menus may be nested at most {MAX_MENU_LEVELS} levels deep (the main menu is level 1); "
                    "this submenu is one level deeper"
                )
                errors.append(((*where, "menu"), message))
            else:
                stack.append((action.get("menu"), (*where, "menu"), level + 1))
    return errors


def inherit_reprompts(data: Any, known_prompts: Collection[str] | None) -> Any:
    """Copy the root menu's invalid/no-input prompts into submenus that do not set their own.

    Works on the raw (unvalidated) data and returns a new dict, leaving the caller's data alone.
    A root value that is itself wrong is not copied, so its error is reported once, at the root.
    """
    if not isinstance(data, dict) or not isinstance(data.get("menu"), dict):
        return data
    root = data["menu"]
    inherited = {
        field: root[field]
        for field in _REPROMPT_FIELDS
        if isinstance(root.get(field), str)
        and is_valid_prompt_name(root[field])
        and (known_prompts is None or root[field] in known_prompts)
    }
    if not inherited:
        return data
    return {**data, "menu": _fill_submenus(root, inherited)}


def _fill_submenus(menu: dict[str, Any], inherited: dict[str, str]) -> dict[str, Any]:
    out = dict(menu)
    if isinstance(menu.get("options"), dict):
        out["options"] = {key: _fill_action(action, inherited) for key, action in menu["options"].items()}
    if "default" in menu:
        out["default"] = _fill_action(menu["default"], inherited)
    return out


def _fill_action(action: Any, inherited: dict[str, str]) -> Any:
    if not (isinstance(action, dict) and action.get("action") == "submenu"):
        return action
    if not isinstance(action.get("menu"), dict):
        return action
    return {**action, "menu": _fill_submenus({**inherited, **action["menu"]}, inherited)}


def iter_menus(menu: Menu, loc: Loc = ("menu",)) -> Iterator[tuple[Menu, Loc]]:
    """Every menu in the tree, depth first, with its location in the file (the root first)."""
    yield menu, loc
    for where, action in _actions(menu, loc):
        if action.action == "submenu":
            yield from iter_menus(action.menu, (*where, "menu"))


def _actions(menu: Menu, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    for key, action in menu.options.items():
        yield (*loc, "options", key), action
    yield (*loc, "default"), menu.default


def uses_callbacks(cfg: PracticeConfig) -> bool:
    """Whether any menu offers the callback flow (which needs a capacity file)."""
    return any(
        action.action == "callback" for menu, loc in iter_menus(cfg.menu) for _, action in _actions(menu, loc)
    )


def cross_field_errors(cfg: PracticeConfig) -> list[tuple[Loc, str]]:
    """Everything wrong that no single field can see; each error with the location it is about."""
    errors = _unknown_headsets(cfg.headsets, cfg.spoed.headsets, ("spoed", "headsets"))
    spoed_key = cfg.spoed.key
    for menu, loc in iter_menus(cfg.menu):
        is_root = loc == ("menu",)
        for where, action in _actions(menu, loc):
            if where[-1] == spoed_key and where[-2] == "options" and action.action != "spoed":
                errors.append(
                    (
                        where,
                        f"key {spoed_key} is the spoed key: it means spoed at every menu level, "
                        "so it can only be {action: spoed}",
                    )
                )
            if action.action == "back" and is_root:
                errors.append((where, "`back` is not possible in the main menu: it has no parent menu"))
            if action.action == "headsets":
                errors += _unknown_headsets(cfg.headsets, action.headsets, (*where, "headsets"))
            if action.action == "callback":
                errors += _callback_key_errors(action, spoed_key, where)
            if action.action == "queue":
                errors += _queue_key_errors(action, spoed_key, where)
            errors += _duty_errors(cfg, action, where)
    root_spoed = cfg.menu.options.get(spoed_key)
    if root_spoed is None:
        errors.append(
            (("menu", "options"), f"the main menu must offer spoed under key {spoed_key}: {{action: spoed}}")
        )
    return errors


def _callback_key_errors(action: Any, spoed_key: str, loc: Loc) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    for field in ("confirm_key", "other_key"):
        if getattr(action, field) == spoed_key:
            message = (
                f"key {spoed_key} is the spoed key and must still mean spoed during the callback offer; "
                "choose another key (and say it in the prompt)"
            )
            errors.append(((*loc, field), message))
    if action.confirm_key == action.other_key:
        errors.append(((*loc, "other_key"), "must differ from confirm_key"))
    return errors


def _queue_key_errors(action: Any, spoed_key: str, loc: Loc) -> list[tuple[Loc, str]]:
    if action.keep_place_key is None:
        return []  # nobody keeps a place here, so nobody is asked for a number either
    errors: list[tuple[Loc, str]] = []
    if action.keep_place_key == spoed_key:
        message = f"key {spoed_key} is the spoed key and must still mean spoed while waiting"
        errors.append(((*loc, "keep_place_key"), message))
    for field in ("number_confirm_key", "number_again_key"):
        if getattr(action, field) == spoed_key:
            message = (
                f"key {spoed_key} is the spoed key and must still mean spoed while a typed number is read "
                "back; choose another key (and say it in the prompt terugbel_nummer_keuze)"
            )
            errors.append(((*loc, field), message))
    if action.number_confirm_key == action.number_again_key:
        errors.append(((*loc, "number_again_key"), "must differ from number_confirm_key"))
    return errors


def _duty_errors(cfg: PracticeConfig, action: Any, loc: Loc) -> list[tuple[Loc, str]]:
    """An action that waits for the dispatcher needs a headset whose duties include that work."""
    duties = {duty for headset in cfg.headsets.values() for duty in headset.duties}
    if action.action == "queue" and "live" not in duties:
        return [
            (loc, "callers wait here for a headset with duty live, and no headset has it (headsets: duties)")
        ]
    if action.action == "callback" and "callbacks" not in duties:
        message = "booked callbacks are made by headsets with duty callbacks, and no headset has it"
        return [(loc, f"{message} (headsets: duties)")]
    if action.action == "queue" and action.keep_place_key is not None and "callbacks" not in duties:
        message = "kept places are called back by headsets with duty callbacks, and no headset has it"
        return [
            ((*loc, "keep_place_key"), f"{message}; set keep_place_key: null or give a headset that duty")
        ]
    return []


def _unknown_headsets(defined: Collection[str], used: list[str] | None, loc: Loc) -> list[tuple[Loc, str]]:
    if used is None:
        return []
    known = ", ".join(sorted(defined))
    return [
        ((*loc, i), f"unknown headset {name!r}; the headsets are: {known}")
        for i, name in enumerate(used)
        if name not in defined
    ]
