"""PyYAML loaders that refuse what no admin writes, and keep mapping keys as they were typed.

A few lines of `*alias` can stand for millions of values that pydantic would validate one by one, and
PyYAML's composer recurses once per nesting level: both are counted while the file is composed, before
anything recurses deeply.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

Loc = tuple[str | int, ...]

MAX_DEPTH = 64  # nested mappings/lists/values; the menu with its deepest submenus needs about 30
MAX_NODES = 20_000  # values, keys and collections, with every alias counted as all its anchor holds


class TooBig(Exception):
    """The file is bigger than any config: too deep, or too many values once aliases are expanded."""

    def __init__(self, mark: yaml.Mark, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1
        self.loc = loc
        self.message = message


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting depth and nodes while it composes, before anything recurses deeply.

    PyYAML's composer recurses once per nesting level and would hit Python's recursion limit on its own,
    so the depth is checked on the way down. An alias costs what its anchor holds (`_sizes`) and reaches
    as deep as its anchor does (`_heights`); an alias to an anchor still being composed is a loop.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._loc: list[str | int] = []  # the field path, for the problem's `field`
        self._depth = 0  # of the node being composed; the root is 1
        self._deepest = 0  # the deepest level reached so far inside the node being composed
        self._nodes = 0
        self._sizes: dict[int, int] = {}
        self._heights: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        part = index.value if isinstance(index, yaml.ScalarNode) else index
        if isinstance(part, str | int):  # a value under a key, or an item of a list (not a key itself)
            self._loc.append(part)
            try:
                return self._compose_counted(parent, index)
            finally:
                self._loc.pop()
        return self._compose_counted(parent, index)

    def _compose_counted(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        depth = self._depth + 1
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor or "")
            if target is not None:  # an unknown alias is PyYAML's own error
                self._count_alias(target, depth, event.start_mark)
            return super().compose_node(parent, index)
        if depth > MAX_DEPTH:
            message = (
                f"nested more than {MAX_DEPTH} levels deep; no config needs that (is the indentation right?)"
            )
            raise TooBig(event.start_mark, tuple(self._loc), message)
        self._add(1, event.start_mark, "")
        before, outer_deepest = self._nodes - 1, self._deepest
        self._depth = self._deepest = depth
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth = depth - 1
        self._sizes[id(node)] = self._nodes - before
        self._heights[id(node)] = self._deepest - depth + 1
        self._deepest = max(outer_deepest, self._deepest)
        return node

    def _count_alias(self, target: yaml.Node, depth: int, mark: yaml.Mark) -> None:
        size = self._sizes.get(id(target))
        if size is None:
            message = (
                "this alias points into its own anchor: a loop without end; write the content out instead"
            )
            raise TooBig(mark, tuple(self._loc), message)
        reach = depth + self._heights[id(target)] - 1
        if reach > MAX_DEPTH:
            message = f"through this alias the file is nested more than {MAX_DEPTH} levels deep"
            raise TooBig(mark, tuple(self._loc), message)
        self._deepest = max(self._deepest, reach)
        self._add(size, mark, " once its aliases (*name) are expanded")

    def _add(self, nodes: int, mark: yaml.Mark, how: str) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            message = f"the file holds more than {MAX_NODES} values{how}; no config needs that many"
            if how:
                message += " (every alias counts all its anchor holds: reuse less, or write it out)"
            raise TooBig(mark, tuple(self._loc), message)


class TextKeyLoader(yaml.SafeLoader):
    """Constructs every scalar mapping key as the text written: `01` stays "01", `no` stays "no".

    YAML 1.1 would read them as 1 and False, so `01:` and `1:` became one key (the last one winning)
    and a key check would only see the number.
    """

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, Hashable):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        "found unhashable key",
                        key_node.start_mark,
                    )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping
