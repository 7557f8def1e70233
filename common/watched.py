"""Holds a YAML config (the menu, the capacity) and swaps in a new version when the file changes, if valid.

A call takes `holder.current` once when it starts and keeps that object, so a reload never changes a
menu under a caller's feet and nothing else is needed to reload without dropping calls. A subclass may
also refuse a valid file that cannot replace the running one (`replacement_errors`), e.g. when an id
that stored data hangs on would change.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel

from common.yamlload import ConfigError, ConfigProblem, Loc, decode, load_model_text, locate, read_limited

log = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


class ReloadStatus(enum.Enum):
    """What `reload_if_changed` did."""

    UNCHANGED = "unchanged"
    RELOADED = "reloaded"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReloadOutcome:
    """The result of one reload check; `problems` is only filled when the file was rejected."""

    status: ReloadStatus
    problems: tuple[ConfigProblem, ...] = ()


class FileHolder(Generic[ModelT]):
    """A validated YAML config, reloaded from `path` when its content changes."""

    model: type[ModelT]
    what = "config"  # names the log events: menu_reloaded, capacity_rejected, ...

    def __init__(self, path: Path, context: dict[str, Any] | None = None) -> None:
        """Load `path`; raise ConfigError if that first load is invalid (nothing to fall back to)."""
        self._path = path
        self._context = context
        data, digest = self._snapshot()
        self._current = self._parse(data)
        self._accepted_hash = self._seen_hash = digest

    @property
    def current(self) -> ModelT:
        """The config new calls should use."""
        return self._current

    @property
    def path(self) -> Path:
        """The file this holder reads."""
        return self._path

    def check_text(self, text: str) -> ModelT:
        """`text` as the file's next content, checked exactly as a reload would; ConfigError if refused.

        For editors that validate before they write the file (the admin pages): nothing changes here.
        """
        source = str(self._path)
        config = load_model_text(text, source, self.model, context=self._context)
        errors = self.replacement_errors(self._current, config)
        if errors:
            raise ConfigError(locate(text, source, errors))
        return config

    def reload_if_changed(self) -> ReloadOutcome:
        """Reload when the file's content changed; an invalid file never replaces `current`.

        A rejected content is reported once; until the file changes again it counts as unchanged,
        so the watcher does not log the same problems every few seconds.
        """
        data, digest = self._snapshot()
        if digest in (self._accepted_hash, self._seen_hash):
            self._seen_hash = digest
            return ReloadOutcome(ReloadStatus.UNCHANGED)
        self._seen_hash = digest
        try:
            config = self._parse(data)
            self._check_replacement(config, data)
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
            log.warning(f"{self.what}_rejected", file=str(self._path), problems=problems)
            return ReloadOutcome(ReloadStatus.REJECTED, tuple(exc.problems))
        self._current = config
        self._accepted_hash = digest
        log.info(f"{self.what}_reloaded", file=str(self._path))
        return ReloadOutcome(ReloadStatus.RELOADED)

    def replacement_errors(self, current: ModelT, new: ModelT) -> list[tuple[Loc, str]]:
        """Why the valid `new` version may not replace `current` while the program runs (default: none).

        Each error is (location in the file, message), like FieldErrors; the file is then rejected at
        that line and `current` stays.
        """
        return []

    async def watch(self, interval: float = 2.0) -> None:
        """Check the file every `interval` seconds, forever (run it as a task; cancel it to stop)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.reload_if_changed)
            except Exception:
                # A bug in one check must not end the watcher: the practice would silently stop
                # getting menu changes.
                log.exception(f"{self.what}_watch_failed", file=str(self._path))

    def _snapshot(self) -> tuple[bytes | OSError, str]:
        try:
            # Bounded, so a huge file in the menu's place costs one refusal, not its size every check.
            data = read_limited(self._path)
        except OSError as exc:
            # A stable pseudo-hash, so a file that stays missing is reported once, not every check.
            return exc, f"unreadable:{type(exc).__name__}"
        return data, hashlib.sha256(data).hexdigest()

    def _parse(self, data: bytes | OSError) -> ModelT:
        source = str(self._path)
        if isinstance(data, OSError):
            reason = "file not found" if isinstance(data, FileNotFoundError) else f"cannot read file: {data}"
            raise ConfigError([ConfigProblem(source, None, "(file)", reason)])
        return load_model_text(decode(data, source), source, self.model, context=self._context)

    def _check_replacement(self, config: ModelT, data: bytes | OSError) -> None:
        errors = self.replacement_errors(self._current, config)
        if errors and isinstance(data, bytes):  # a parsed file was read, so `data` is its bytes
            raise ConfigError(locate(data.decode("utf-8"), str(self._path), errors))
