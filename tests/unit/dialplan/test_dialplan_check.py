"""check.run: the `terugbel check-menu` output and exit code."""

from __future__ import annotations

from dialplan.check import run


def test_valid_file_prints_ok(write_yaml, base_yaml: str, capsys) -> None:
    """A valid file prints `OK: <file>` and exits 0."""
    path = write_yaml(base_yaml)
    assert run([str(path)], None) == 0
    assert capsys.readouterr().out == f"OK: {path}\n"


def test_invalid_file_prints_each_problem(write_yaml, base_yaml: str, line_of, capsys) -> None:
    """Each problem is printed as file:line: field: message and the exit code is 1."""
    text = base_yaml.replace("  prompt: welkom\n", "  prompt: welkom\n  timeout: 99\n  retries: 9\n")
    path = write_yaml(text)
    assert run([str(path)], None) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:{line_of(text, 'timeout: 99')}: menu.timeout: Input should be less than or equal to 30",
        f"{path}:{line_of(text, 'retries: 9')}: menu.retries: Input should be less than or equal to 5",
    ]


def test_every_file_is_checked(write_yaml, base_yaml: str, tmp_path, capsys) -> None:
    """One bad file among good ones makes the exit code 1, and the good ones still print OK."""
    good = write_yaml(base_yaml, "good.yaml")
    bad = write_yaml("menu: [\n", "bad.yaml")
    missing = tmp_path / "missing.yaml"
    assert run([str(good), str(bad), str(missing)], None) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"OK: {good}"
    assert out[1].startswith(f"{bad}:2: (yaml): YAML syntax error")
    assert out[2] == f"{missing}: (file): file not found"


def test_known_prompts_are_checked(write_yaml, base_yaml: str, capsys) -> None:
    """With known prompts, a prompt name that does not exist fails the check."""
    path = write_yaml(base_yaml)
    assert run([str(path)], {"welkom"}) == 1
    assert "unknown prompt" in capsys.readouterr().out
