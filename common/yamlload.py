"""Load a YAML file into a pydantic model and report problems as `file:line: field: message`.

Generic on purpose: the menu config and the capacity config both use it. Admins edit these files by
hand, so every problem must point at the line they have to fix, not at a pydantic location tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file, located as precisely as the file allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        # Without a line (missing file, unreadable file) the segment is left out, as compilers do.
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class ConfigError(Exception):
    """A config file could not be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems: list[ConfigProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FieldErrors(ValueError):
    """Raised by a model validator that checks several fields at once (e.g. cross references).

    Pydantic would report a model validator's error at the model itself; `load_model` unpacks these
    so each one lands on the line of the field it is about. `errors` holds (loc relative to the
    validated model, message).
    """

    def __init__(self, errors: Sequence[tuple[Loc, str]]) -> None:
        self.errors: list[tuple[Loc, str]] = list(errors)
        super().__init__("; ".join(f"{_dotted(loc) or '(top)'}: {msg}" for loc, msg in self.errors))


def load_model(path: Path, model: type[T], *, context: dict[str, Any] | None = None) -> T:
    """Read `path` and validate it as `model`; raise ConfigError with located problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), None, "(file)", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), None, "(file)", f"cannot read file: {exc}")]) from None
    return load_model_text(text, str(path), model, context=context)


def load_model_text(text: str, source: str, model: type[T], *, context: dict[str, Any] | None = None) -> T:
    """Like `load_model` for text already read (so a caller can hash exactly what was parsed)."""
    root = _compose(text, source)
    problems = _duplicate_keys(root, source)
    data = _construct(root, source)
    try:
        result = model.model_validate(data, context=context)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, root, source))
    else:
        if not problems:
            return result
    # In file order, so an admin can fix them top to bottom.
    raise ConfigError(sorted(problems, key=lambda p: p.line or 0))


def _compose(text: str, source: str) -> yaml.MappingNode:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError([ConfigProblem(source, line, "(yaml)", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(source, None, "(yaml)", f"YAML error: {exc}")]) from None
    if root is None:
        raise ConfigError([ConfigProblem(source, None, "(top)", "file is empty")])
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            [ConfigProblem(source, _line(root), "(top)", "the file must be a mapping of `key: value` lines")]
        )
    return root


def _construct(root: yaml.Node, source: str) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise ConfigError([ConfigProblem(source, line, "(yaml)", str(exc.problem))]) from None
    except ValueError as exc:
        # e.g. an unquoted 2026-02-30: the YAML timestamp constructor raises a bare ValueError.
        raise ConfigError([ConfigProblem(source, None, "(yaml)", f"invalid value: {exc}")]) from None
    finally:
        loader.dispose()


def _duplicate_keys(node: yaml.Node, source: str) -> list[ConfigProblem]:
    # PyYAML silently keeps the last of two equal keys; in a menu that silently drops an option.
    problems: list[ConfigProblem] = []
    stack: list[tuple[yaml.Node, Loc]] = [(node, ())]
    seen_nodes: set[int] = set()
    while stack:
        current, loc = stack.pop()
        if id(current) in seen_nodes:  # aliases may point back up the tree
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, value_node in current.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if key != "<<" and key in keys:
                    problems.append(
                        ConfigProblem(source, _line(key_node), _dotted((*loc, key)), "key appears twice")
                    )
                keys.add(key)
                stack.append((value_node, (*loc, key)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(current.value))
    return problems


def _problems_from(exc: ValidationError, root: yaml.Node, source: str) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        nested = (error.get("ctx") or {}).get("error")
        if isinstance(nested, FieldErrors):
            for sub_loc, message in nested.errors:
                problems.append(_locate(root, loc + tuple(sub_loc), message, source))
            continue
        problems.append(_locate(root, loc, _message(error), source))
    return problems


def _message(error: Any) -> str:
    """Pydantic's message, reworded where an admin would not understand it."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])  # our own validators' text, without pydantic's "Value error, " prefix
    tag_field = str(ctx.get("discriminator", "")).strip("'")
    if kind == "union_tag_invalid":
        return f"unknown {tag_field} {ctx['tag']!r}; use one of {ctx['expected_tags']}"
    if kind == "union_tag_not_found":
        return f"{tag_field} is missing"
    if kind == "extra_forbidden":
        return "unknown field (a typo, or wrong indentation?)"
    if kind == "missing":
        return "required field is missing"
    return str(error["msg"])


def _locate(root: yaml.Node, loc: Loc, message: str, source: str) -> ConfigProblem:
    line_node, field = _resolve(root, loc)
    return ConfigProblem(source, _line(line_node), _dotted(tuple(field)) or "(top)", message)


def _resolve(node: yaml.Node, loc: Loc) -> tuple[yaml.Node, list[str | int]]:
    """Follow `loc` through the YAML tree: the node whose line to report, and the dotted field parts.

    Pydantic puts union tags (the `action:` value of a discriminated union) into `loc`; they are not
    YAML keys. Both readings are tried and the one that follows the whole loc wins.
    """
    if not loc:
        return node, []
    part, rest = loc[0], loc[1:]
    if part == "[key]":
        return node, []
    if isinstance(node, yaml.ScalarNode):
        # Whatever is left under a scalar can only be tags of a union of scalar types.
        return node, []
    found = _child(node, part)
    if found is not None:
        key_node, value_node = found
        if rest and rest[0] == "[key]":
            return key_node, [part]
        child_node, child_field = _resolve(value_node, rest)
        if _complete(value_node, rest) or not _is_tag(node, part):
            line_node = key_node if child_node is value_node else child_node
            return line_node, [part, *child_field]
    if _is_tag(node, part):
        return _resolve(node, rest)
    # A missing field: report the enclosing mapping, keep the field's name.
    return node, [p for p in loc if p != "[key]"]


def _complete(node: yaml.Node, loc: Loc) -> bool:
    """Whether every part of `loc` is a key or index below `node` (ignoring a trailing missing field)."""
    if not loc:
        return True
    if loc[0] == "[key]" or isinstance(node, yaml.ScalarNode):
        return True
    found = _child(node, loc[0])
    if found is not None:
        return _complete(found[1], loc[1:])
    return len(loc) == 1 and isinstance(node, yaml.MappingNode) and not _is_tag(node, loc[0])


def _is_tag(node: yaml.Node, part: str | int) -> bool:
    if not isinstance(part, str) or not isinstance(node, yaml.MappingNode):
        return False
    if "[" in part:  # pydantic's names for non-discriminated union members, e.g. function-after[...]
        return True
    return any(isinstance(v, yaml.ScalarNode) and v.value == part for _, v in node.value)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode):
        if isinstance(part, int) and 0 <= part < len(node.value):
            item = node.value[part]
            return item, item
        return None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node, value_node
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in merged:
                    found = _child(source, part)
                    if found is not None:
                        return found
    return None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)
