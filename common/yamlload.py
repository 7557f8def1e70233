"""Load a YAML file into a pydantic model and report problems as `file:line: field: message`.

Generic on purpose: the menu config and the capacity config both use it. Admins edit these files by
hand, so every problem must point at the line they have to fix, not at a pydantic location tuple.

A config file is small, so the loader refuses what no admin writes before anything else looks at it: a
file over MAX_FILE_BYTES, and (common.yamlsafe) nesting deeper than MAX_DEPTH or more than MAX_NODES
values once aliases are expanded (a few lines of `*alias` can otherwise stand for millions
of values that pydantic validates one by one). Mapping keys are kept as written (`01:` stays "01", `no:`
stays "no"), so two keys never turn into one and the check of a key sees what the admin typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from common.yamlsafe import LimitedLoader, TextKeyLoader, TooBig

T = TypeVar("T", bound=BaseModel)

Loc = tuple[str | int, ...]

MAX_FILE_BYTES = 256 * 1024
MAX_PROBLEMS = 100  # reported; the rest is summed up in one line


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
        data = read_limited(path)
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), None, "(file)", "file not found")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "(file)", f"cannot read file: {exc}")]) from None
    return load_model_text(decode(data, str(path)), str(path), model, context=context)


def read_limited(path: Path) -> bytes:
    """The file's bytes, but never more than one byte over MAX_FILE_BYTES (enough to refuse it)."""
    with path.open("rb") as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def decode(data: bytes, source: str) -> str:
    """The text of a config file's bytes; ConfigError when it is too large or not UTF-8."""
    _check_size(len(data), source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(source, None, "(file)", f"not UTF-8 text: {exc}")]) from None


def load_model_text(text: str, source: str, model: type[T], *, context: dict[str, Any] | None = None) -> T:
    """Like `load_model` for text already read (so a caller can hash exactly what was parsed)."""
    # A character is at least one byte, so a long text is refused without encoding all of it.
    _check_size(len(text) if len(text) > MAX_FILE_BYTES else len(text.encode("utf-8")), source)
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
    # In file order, so an admin can fix them top to bottom; thousands of lines would help nobody.
    problems.sort(key=lambda p: p.line or 0)
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems[MAX_PROBLEMS:] = [
            ConfigProblem(source, None, "(file)", f"and {more} more problems after these")
        ]
    raise ConfigError(problems)


def locate(text: str, source: str, errors: Sequence[tuple[Loc, str]]) -> list[ConfigProblem]:
    """Problems found outside the loader (e.g. comparing two versions), placed at their lines in `text`."""
    locator = _Locator(_compose(text, source), source)
    return [locator.problem(loc, message) for loc, message in errors]


def _check_size(size: int, source: str) -> None:
    if size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 1024
        message = f"the file is larger than {limit} KiB; a config file is a few KiB (is it the right file?)"
        raise ConfigError([ConfigProblem(source, None, "(file)", message)])


def _compose(text: str, source: str) -> yaml.MappingNode:
    loader = LimitedLoader(text)
    try:
        root = loader.get_single_node()
    except TooBig as exc:
        raise ConfigError(
            [ConfigProblem(source, exc.line, _dotted(exc.loc) or "(top)", exc.message)]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError([ConfigProblem(source, line, "(yaml)", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(source, None, "(yaml)", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise ConfigError([ConfigProblem(source, None, "(top)", "file is empty")])
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            [ConfigProblem(source, _line(root), "(top)", "the file must be a mapping of `key: value` lines")]
        )
    return root


def _construct(root: yaml.Node, source: str) -> Any:
    loader = TextKeyLoader("")
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
    locator = _Locator(root, source)
    problems: list[ConfigProblem] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        nested = (error.get("ctx") or {}).get("error")
        if isinstance(nested, FieldErrors):
            for sub_loc, message in nested.errors:
                problems.append(locator.problem(loc + tuple(sub_loc), message))
            continue
        problems.append(locator.problem(loc, _message(error)))
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


class _Locator:
    """Finds the line and dotted field of a pydantic location in the composed YAML tree.

    Each mapping's keys are indexed once: a file with thousands of wrong keys has thousands of
    problems, and scanning the mapping for each of them took minutes.
    """

    def __init__(self, root: yaml.Node, source: str) -> None:
        self._root = root
        self._source = source
        self._keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}
        self._values: dict[int, frozenset[str]] = {}

    def problem(self, loc: Loc, message: str) -> ConfigProblem:
        line_node, field = self._resolve(self._root, loc)
        return ConfigProblem(self._source, _line(line_node), _dotted(tuple(field)) or "(top)", message)

    def _resolve(self, node: yaml.Node, loc: Loc) -> tuple[yaml.Node, list[str | int]]:
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
        found = self._child(node, part)
        if found is not None:
            key_node, value_node = found
            if rest and rest[0] == "[key]":
                return key_node, [part]
            child_node, child_field = self._resolve(value_node, rest)
            if self._complete(value_node, rest) or not self._is_tag(node, part):
                line_node = key_node if child_node is value_node else child_node
                return line_node, [part, *child_field]
        if self._is_tag(node, part):
            return self._resolve(node, rest)
        # A missing field: report the enclosing mapping, keep the field's name.
        return node, [p for p in loc if p != "[key]"]

    def _complete(self, node: yaml.Node, loc: Loc) -> bool:
        """Whether every part of `loc` is a key or index below `node` (ignoring a trailing missing field)."""
        if not loc:
            return True
        if loc[0] == "[key]" or isinstance(node, yaml.ScalarNode):
            return True
        found = self._child(node, loc[0])
        if found is not None:
            return self._complete(found[1], loc[1:])
        return len(loc) == 1 and isinstance(node, yaml.MappingNode) and not self._is_tag(node, loc[0])

    def _is_tag(self, node: yaml.Node, part: str | int) -> bool:
        if not isinstance(part, str) or not isinstance(node, yaml.MappingNode):
            return False
        if "[" in part:  # pydantic's names for non-discriminated union members, e.g. function-after[...]
            return True
        values = self._values.get(id(node))
        if values is None:
            values = frozenset(v.value for _, v in node.value if isinstance(v, yaml.ScalarNode))
            self._values[id(node)] = values
        return part in values

    def _child(self, node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
        if isinstance(node, yaml.SequenceNode):
            if isinstance(part, int) and 0 <= part < len(node.value):
                item = node.value[part]
                return item, item
            return None
        if not isinstance(node, yaml.MappingNode):
            return None
        keys = self._keys.get(id(node))
        if keys is None:
            keys = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    keys.setdefault(key_node.value, (key_node, value_node))
            self._keys[id(node)] = keys
        found = keys.get(str(part))
        if found is not None or "<<" not in keys:
            return found
        merge_node = keys["<<"][1]
        merged = merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
        for source in merged:
            found = self._child(source, part)
            if found is not None:
                return found
        return None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)
