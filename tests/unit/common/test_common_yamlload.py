"""load_model: YAML problems located at file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.yamlload import ConfigError, ConfigProblem, FieldErrors, load_model, load_model_text


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: int
    length: int = 10


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    slots: list[Slot] = []

    @model_validator(mode="after")
    def _names(self) -> Plan:
        if self.name == "bad":
            raise FieldErrors([(("slots", 1, "start"), "too early")])
        return self


class Play(BaseModel):
    action: Literal["play"]
    timeout: int = 5


class Headsets(BaseModel):
    action: Literal["headsets"]
    headsets: list[str] = []


class Tree(BaseModel):
    """A menu-like tree: options whose type is chosen by their `action` tag."""

    options: dict[str, Annotated[Play | Headsets, Field(discriminator="action")]]


def problems(path: Path, model: type[BaseModel] = Plan) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_model(path, model)
    return caught.value.problems


def test_valid_file_returns_the_model(write_yaml) -> None:
    """A valid file gives the validated model instance."""
    plan = load_model(write_yaml("name: x\nslots:\n  - {start: 3}\n"), Plan)
    assert plan == Plan(name="x", slots=[Slot(start=3)])


def test_wrong_type_reports_file_line_and_dotted_field(write_yaml) -> None:
    """A wrong value names the file, the line of the field and the dotted field path."""
    path = write_yaml("name: x\nslots:\n  - start: 1\n  - start: 2\n    length: long\n")
    (problem,) = problems(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 5, "slots.1.length")
    assert str(problem).startswith(f"{path}:5: slots.1.length: ")


def test_missing_field_reports_the_enclosing_mapping(write_yaml) -> None:
    """A missing field is reported at the line of the mapping that lacks it."""
    path = write_yaml("name: x\nslots:\n  - start: 1\n  - length: 2\n")
    (problem,) = problems(path)
    assert (problem.line, problem.field, problem.message) == (4, "slots.1.start", "required field is missing")


def test_unknown_field_is_reported_at_its_line(write_yaml) -> None:
    """A misspelt key is an error at its own line instead of being ignored."""
    (problem,) = problems(write_yaml("name: x\nslots:\n  - start: 1\n    lenght: 2\n"))
    assert (problem.line, problem.field) == (4, "slots.0.lenght")
    assert "unknown field" in problem.message


def test_yaml_syntax_error_reports_its_line(write_yaml) -> None:
    """Broken YAML gives one problem at the line the parser stopped."""
    (problem,) = problems(write_yaml("name: x\nslots:\n  - start: [1, 2\n  - start: 3\n"))
    assert problem.line == 4
    assert "YAML syntax error" in problem.message


def test_duplicate_key_is_reported(write_yaml) -> None:
    """A key written twice is an error (PyYAML would silently keep the last one)."""
    (problem,) = problems(write_yaml("name: x\nslots:\n  - start: 1\n    start: 2\n"))
    assert (problem.line, problem.field, problem.message) == (4, "slots.0.start", "key appears twice")


def test_field_errors_from_a_model_validator_land_on_their_field(write_yaml) -> None:
    """FieldErrors raised by a model validator are located at the fields they name."""
    (problem,) = problems(write_yaml("name: bad\nslots:\n  - start: 1\n  - start: 2\n"))
    assert (problem.line, problem.field, problem.message) == (4, "slots.1.start", "too early")


def test_missing_file_is_a_clear_problem(tmp_path: Path) -> None:
    """A missing file is one problem without a line, and says so."""
    (problem,) = problems(tmp_path / "nope.yaml")
    assert problem.message == "file not found"
    assert str(problem) == f"{tmp_path / 'nope.yaml'}: (file): file not found"


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_top_level_must_be_a_mapping(write_yaml, text: str) -> None:
    """An empty file or a top level that is not a mapping is rejected with a clear problem."""
    (problem,) = problems(write_yaml(text))
    assert problem.field == "(top)"


def test_config_error_lists_every_problem_on_its_own_line(write_yaml) -> None:
    """str(ConfigError) has one line per problem."""
    path = write_yaml("name: [x]\nslots:\n  - start: a\n")
    with pytest.raises(ConfigError) as caught:
        load_model(path, Plan)
    assert str(caught.value).splitlines() == [
        f"{path}:1: name: Input should be a valid string",
        f"{path}:3: slots.0.start: Input should be a valid integer, unable to parse string as an integer",
    ]


def test_union_tags_are_left_out_of_the_field(write_yaml, line_of) -> None:
    """The discriminated union's tag (`play`) is not part of the reported field path."""
    text = 'options:\n  "3":\n    action: play\n    timeout: x\n'
    (problem,) = problems(write_yaml(text), Tree)
    assert (problem.line, problem.field) == (line_of(text, "timeout: x"), "options.3.timeout")


def test_tag_equal_to_a_key_still_finds_the_field(write_yaml, line_of) -> None:
    """A `headsets` action with a `headsets:` key resolves to the list item, not the action."""
    text = 'options:\n  "2": {action: headsets, headsets: [a1, 5]}\n'
    (problem,) = problems(write_yaml(text), Tree)
    assert (problem.line, problem.field) == (line_of(text, "headsets: [a1, 5]"), "options.2.headsets.1")


class Bag(BaseModel):
    """Anything at all under `data`: only the loader's own limits can refuse such a file."""

    data: Any = None


class Counts(BaseModel):
    counts: dict[str, int]


def fan_out(levels: int, fan: int = 9) -> str:
    """A 'billion laughs' file: each anchor is a list of `fan` aliases of the anchor before it."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan)}]")
    return "data:\n" + "".join(f"  {line}\n" for line in lines)


def test_file_larger_than_the_limit_is_refused(write_yaml) -> None:
    """A file over 256 KiB is refused as a whole, before it is parsed."""
    text = "data: x\n" + "#" * (256 * 1024) + "\n"
    (problem,) = problems(write_yaml(text), Bag)
    assert (problem.line, problem.field) == (None, "(file)")
    assert "larger than 256 KiB" in problem.message


def test_text_larger_than_the_limit_is_refused() -> None:
    """Text already read (the reload path) is held to the same size limit."""
    with pytest.raises(ConfigError) as caught:
        load_model_text("data: x\n" + "#" * (256 * 1024), "big.yaml", Bag)
    assert "larger than 256 KiB" in caught.value.problems[0].message


def test_alias_fan_out_is_refused_at_the_alias(write_yaml, line_of) -> None:
    """Aliases that expand a small file into a huge tree are refused at the alias that crosses the limit."""
    text = fan_out(6)
    (problem,) = problems(write_yaml(text), Bag)
    # l4 holds 9 x 7381 values: its second alias crosses the limit.
    assert (problem.line, problem.field) == (line_of(text, "l4: &l4"), "data.l4.1")
    assert "aliases" in problem.message and "20000" in problem.message


def test_a_little_alias_reuse_is_fine(write_yaml) -> None:
    """Aliases that stay well within the node limit load as usual."""
    bag = load_model(write_yaml(fan_out(2)), Bag)
    assert len(bag.data["l2"]) == 9 and bag.data["l2"][0][0] == ["x"] * 9


def test_alias_into_its_own_anchor_is_refused(write_yaml) -> None:
    """An alias inside the node it refers to (a loop) is refused instead of building an endless tree."""
    (problem,) = problems(write_yaml("data: &loop\n  again: *loop\n"), Bag)
    assert (problem.line, problem.field) == (2, "data.again")
    assert "loop" in problem.message


def test_too_many_nodes_without_aliases_are_refused(write_yaml) -> None:
    """A file with more than 20000 values is refused even without aliases."""
    (problem,) = problems(write_yaml("data: [" + "1, " * 20_000 + "1]\n"), Bag)
    # The file itself, `data` and its list count too: item 19997 is value 20001.
    assert (problem.line, problem.field) == (1, "data.19997")
    assert "20000" in problem.message


def test_nesting_deeper_than_the_limit_is_refused(write_yaml) -> None:
    """Deep nesting is a located problem, never a RecursionError in the parser or the validator."""
    (problem,) = problems(write_yaml("data: " + "[" * 1000 + "]" * 1000 + "\n"), Bag)
    assert problem.line == 1 and problem.field.startswith("data.0.0.0")
    assert "nested more than 64 levels deep" in problem.message


def test_mapping_keys_are_read_as_written(write_yaml) -> None:
    """Keys stay the text the admin wrote: `01` is not the number 1, and `no` is not False."""
    counts = load_model(write_yaml("counts:\n  01: 1\n  1: 2\n  no: 3\n  null: 4\n"), Counts)
    assert counts.counts == {"01": 1, "1": 2, "no": 3, "null": 4}


def test_nesting_inside_keys_is_limited_too(write_yaml) -> None:
    """Mappings nested as keys (`? {? {...}}`) count towards the depth limit like any other nesting."""
    (problem,) = problems(write_yaml("data:\n  " + "? {" * 500 + "a: b" + "}: x" * 500 + "\n"), Bag)
    assert "nested more than 64 levels deep" in problem.message
