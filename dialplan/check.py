"""`terugbel check-menu FILE...`: validate menu files before they go live."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from common.yamlload import ConfigError, load_model
from dialplan.schema import PracticeConfig


def run(paths: list[str], known_prompts: Collection[str] | None) -> int:
    """Print `OK: <file>` or every problem of each file (one per line); 0 if all files are valid, else 1.

    With `known_prompts` None, prompt names are only checked for their form, not for existence.
    """
    context = None if known_prompts is None else {"known_prompts": frozenset(known_prompts)}
    failed = False
    for path in paths:
        try:
            load_model(Path(path), PracticeConfig, context=context)
        except ConfigError as exc:
            failed = True
            for problem in exc.problems:
                print(problem)
        else:
            print(f"OK: {path}")
    return 1 if failed else 0
