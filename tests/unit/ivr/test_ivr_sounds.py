"""Every prompt the controller's code plays is named in ivr.sounds, and the packaged prompts have them all.

The start-up check (ivr.app.check) refuses a practice whose prompts lack a name in ivr.sounds; a name
spelled as a literal somewhere else would escape it and fail in the middle of a call (issue 8, defect 9).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

from ivr import sounds
from prompts.catalog import PromptCatalog

IVR = Path(__file__).resolve().parents[3] / "ivr"
PLAYERS = frozenset({"play", "start_playback"})
NOT_PROMPTS = frozenset({"interrupt", "allowed"})  # keyword arguments that hold keys, not prompts
LIST_GROWERS = frozenset({"append", "extend", "insert"})
Found = tuple[str, int, str]  # file, line, what


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _values(expr: ast.AST) -> Iterator[ast.AST]:
    """The parts of an expression that end up as its value (not the tests of a condition)."""
    if isinstance(expr, ast.IfExp):
        yield from _values(expr.body)
        yield from _values(expr.orelse)
    elif isinstance(expr, ast.List | ast.Tuple | ast.Set):
        for element in expr.elts:
            yield from _values(element)
    elif isinstance(expr, ast.Starred):
        yield from _values(expr.value)
    elif isinstance(expr, ast.BinOp):
        yield from _values(expr.left)
        yield from _values(expr.right)
    else:
        yield expr


def _literal(node: ast.AST) -> str | None:
    """A string literal as written; an f-string counts too unless it plays a stored recording."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return repr(node.value)
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        recording = (
            isinstance(first, ast.FormattedValue)
            and isinstance(first.value, ast.Name)
            and first.value.id == "RECORDING_PREFIX"
        ) or (isinstance(first, ast.Constant) and str(first.value).startswith("recording:"))
        return None if recording else ast.unparse(node)
    return None


def _feeding(scope: ast.AST, name: str) -> Iterator[ast.AST]:
    """Expressions that make up the list `name` in `scope`: its assignments and what is appended."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            yield node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            if node.target.id == name and node.value is not None:
                yield node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LIST_GROWERS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            yield from node.args


def _played(
    expr: ast.AST, scope: ast.AST, helpers: dict[str, ast.AST], seen: set[int]
) -> Iterator[tuple[int, str]]:
    """Literals that can reach a player through `expr`: directly, via a list built in the same function
    (assigned, appended, extended), or returned by a helper function of ivr/."""
    if id(expr) in seen:
        return
    seen.add(id(expr))
    for value in _values(expr):
        text = _literal(value)
        if text is not None:
            yield value.lineno, text
        elif isinstance(value, ast.Name):
            for fed in _feeding(scope, value.id):
                yield from _played(fed, scope, helpers, seen)
        elif isinstance(value, ast.Call):
            func = value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                for fed in _feeding(scope, func.value.id):  # `pending.pop(0)`: what `pending` holds
                    yield from _played(fed, scope, helpers, seen)
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            helper = helpers.get(called)
            if helper is not None:
                for ret in ast.walk(helper):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        yield from _played(ret.value, helper, helpers, seen)


def literal_prompts(files: dict[str, str]) -> tuple[list[Found], int]:
    """Literal prompt names played in `files` (name -> source), and how many play calls were looked at."""
    trees = {name: ast.parse(source) for name, source in files.items()}
    helpers: dict[str, ast.AST] = {}
    for tree in trees.values():
        helpers.update(_functions(tree))
    found: list[Found] = []
    calls = 0
    for name, tree in trees.items():
        for scope in _functions(tree).values():
            for node in ast.walk(scope):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in PLAYERS:
                    continue
                calls += 1
                args = [*node.args, *(k.value for k in node.keywords if k.arg not in NOT_PROMPTS)]
                if len(node.args) == 3:  # Ari.play(channel, media, playback_id): only the media is a prompt
                    args = [node.args[1]]
                for arg in args:
                    found += [(name, line, text) for line, text in _played(arg, scope, helpers, set())]
    return sorted(set(found)), calls


def ivr_sources() -> dict[str, str]:
    return {str(path.relative_to(IVR.parent)): path.read_text() for path in sorted(IVR.rglob("*.py"))}


SAMPLE = textwrap.dedent(
    """
    async def literal(call):
        await call.play(["welkom"])

    async def built(call):
        prompts = [sounds.A]
        prompts.append("extra")
        await call.play(prompts, interrupt={"1"})

    async def started(call):
        await call.start_playback("wachtmuziek")

    def helper():
        out = [sounds.B]
        out += ["uit_helper"]
        return out

    async def through_a_helper(call):
        await call.play(helper())

    async def formatted(call, n):
        await call.play([f"getal_{n}"])

    async def fine(call, ref, number):
        await call.play([sounds.A, *say_number(number), f"{RECORDING_PREFIX}{ref}"], interrupt={"1", "#"})
    """
)


def test_the_scan_finds_literal_prompt_names_however_they_reach_play() -> None:
    """Literals passed directly, appended to a list, returned by a helper or formatted are all found."""
    found, calls = literal_prompts({"sample.py": SAMPLE})
    assert [(line, text) for _, line, text in found] == [
        (3, "'welkom'"),
        (7, "'extra'"),
        (11, "'wachtmuziek'"),
        (15, "'uit_helper'"),
        (22, "f'getal_{n}'"),
    ]
    assert calls == 6


def test_the_controller_plays_no_prompt_by_a_literal_name() -> None:
    """No `.play(` or `start_playback(` in ivr/ gets a prompt name that is not a constant of ivr.sounds."""
    found, calls = literal_prompts(ivr_sources())
    assert found == []
    assert calls >= 25, "the scan looked at the controller's play calls"


def test_no_module_but_ivr_sounds_spells_a_packaged_prompt_name() -> None:
    """A prompt name of the packaged catalog appears as a literal only in ivr/sounds.py."""
    names = PromptCatalog().names()
    found = [
        (path, node.lineno, node.value)
        for path, source in ivr_sources().items()
        if path != "ivr/sounds.py"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]
    assert found == []


def test_every_sounds_name_the_code_uses_exists() -> None:
    """Each `sounds.X` in ivr/ is defined in ivr.sounds, so no rare path fails on a misspelt name."""
    used = {
        (path, node.attr)
        for path, source in ivr_sources().items()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sounds"
    }
    assert len(used) > 20
    assert [(path, attr) for path, attr in sorted(used) if not hasattr(sounds, attr)] == []


def test_every_prompt_the_code_plays_is_in_the_packaged_catalog() -> None:
    """The packaged prompt texts (or tones) hold every name in ivr.sounds.required()."""
    required = sounds.required()
    assert {sounds.WACHT_POSITIE, sounds.PIEP, "getal_59", "tijd_uur_23"} <= required
    assert sorted(required - PromptCatalog().names()) == []
