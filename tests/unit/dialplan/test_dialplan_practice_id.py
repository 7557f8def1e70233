"""practice.id: the stable id the database knows the practice by, required and never changed by a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from common.watched import ReloadStatus
from common.yamlload import ConfigError, ConfigProblem, load_model, load_model_text
from dialplan.holder import MenuHolder
from dialplan.schema import PracticeConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "dialplan" / "examples" / "demo-practice.yaml"
ID_LINE = "  id: testpraktijk\n"


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_model_text(text, "menu.yaml", PracticeConfig)
    return caught.value.problems


def test_base_file_has_its_id(base_yaml: str) -> None:
    """The shared base file sets practice.id."""
    assert load_model_text(base_yaml, "menu.yaml", PracticeConfig).practice.id == "testpraktijk"


def test_demo_keeps_the_id_existing_databases_hold() -> None:
    """The demo's id is the slug today's databases derived from its name, so their data stays found."""
    assert load_model(EXAMPLE, PracticeConfig).practice.id == "huisartsenpraktijk-de-linde"


def test_missing_id_explains_it_must_never_change(base_yaml: str, line_of) -> None:
    """Without practice.id the file is refused at `practice:`, saying what the id is for and that it stays."""
    text = base_yaml.replace(ID_LINE, "")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "practice:"), "practice.id")
    assert "never change" in problem.message and "id: " in problem.message


@pytest.mark.parametrize("value", ['"De Linde"', "x", "-linde", "Linde", '""', "null", "1234", "a" * 64])
def test_malformed_id_is_refused(base_yaml: str, line_of, value: str) -> None:
    """An id that is not 2-63 lowercase letters, digits and dashes (no dash first) is refused at its line."""
    text = base_yaml.replace(ID_LINE, f"  id: {value}\n")
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line_of(text, "  id: "), "practice.id")


@pytest.mark.parametrize("value", ["de-linde-2", '"00"', '"1234"'])
def test_wellformed_ids_are_fine(base_yaml: str, value: str) -> None:
    """Lowercase letters, digits and dashes make an id; digits only is fine when quoted."""
    text = base_yaml.replace(ID_LINE, f"  id: {value}\n")
    assert load_model_text(text, "menu.yaml", PracticeConfig).practice.id == value.strip('"')


def test_reload_that_changes_the_id_is_rejected(write_yaml, base_yaml: str, line_of) -> None:
    """A new version with another practice.id is rejected at the id's line and the running menu stays."""
    path = write_yaml(base_yaml)
    holder = MenuHolder(path, None)
    before = holder.current
    changed = base_yaml.replace(ID_LINE, "  id: andere-praktijk\n").replace("Testpraktijk", "Andere naam")
    path.write_text(changed, encoding="utf-8")
    with capture_logs() as logs:
        outcome = holder.reload_if_changed()
    assert outcome.status is ReloadStatus.REJECTED
    (problem,) = outcome.problems
    assert (problem.file, problem.line, problem.field) == (
        str(path),
        line_of(changed, "  id: "),
        "practice.id",
    )
    assert "'testpraktijk'" in problem.message and "never change" in problem.message
    assert holder.current is before
    assert [entry["event"] for entry in logs] == ["menu_rejected"]
    assert holder.reload_if_changed().status is ReloadStatus.UNCHANGED


def test_reload_that_renames_the_practice_keeps_working(write_yaml, base_yaml: str) -> None:
    """Renaming the practice with the same id is an ordinary reload."""
    path = write_yaml(base_yaml)
    holder = MenuHolder(path, None)
    path.write_text(base_yaml.replace("Testpraktijk", "Andere naam"), encoding="utf-8")
    assert holder.reload_if_changed().status is ReloadStatus.RELOADED
    assert (holder.current.practice.id, holder.current.practice.name) == ("testpraktijk", "Andere naam")
