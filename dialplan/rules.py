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
            if action.action == "queue" and action.keep_place_key == spoed_key:
                message = f"key {spoed_key} is the spoed key and must still mean spoed while waiting"
                errors.append(((*where, "keep_place_key"), message))
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


def _unknown_headsets(defined: Collection[str], used: list[str] | None, loc: Loc) -> list[tuple[Loc, str]]:
    if used is None:
        return []
    known = ", ".join(sorted(defined))
    return [
        ((*loc, i), f"unknown headset {name!r}; the headsets are: {known}")
        for i, name in enumerate(used)
        if name not in defined
    ]
