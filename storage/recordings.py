"""Deleting recorded audio: callers' voice notes by reference, inspreeklijn messages by age.

A reference is an Asterisk stored-recording name such as ``terugbelverzoek/20261123T091500Z-abc123``;
its audio is ``<recordings dir>/<ref>.wav``. The names come from the database, so each one is checked
before anything is deleted: a ref that would resolve outside the recordings folder (``..``, an
absolute path, a symbolic link pointing out) is refused, never followed.

Plain blocking file operations: call them from a thread (``asyncio.to_thread``) in the controller.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from storage.types import require_aware

log = structlog.get_logger(__name__)

# Asterisk's stored recordings in the format Terugbel records them in.
EXTENSION = ".wav"


@dataclass(frozen=True)
class RecordingsDeleted:
    """Which refs had their file deleted, had no file, or were refused as unsafe."""

    deleted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


def _check_name(name: str, what: str) -> None:
    """Raise ValueError unless ``name`` is a plain relative path: no `..`, `.`, empty parts or NUL."""
    if (
        not name
        or "\x00" in name
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise ValueError(f"unsafe recording {what} {name!r}: expected a relative name like 'folder/name'")


def _inside(directory: Path, name: str, what: str) -> Path:
    """Return ``directory/name`` resolved (links followed), or raise ValueError if that is outside."""
    root = directory.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ValueError(f"recording {what} {name!r} resolves outside {root}")
    return target


def recording_path(directory: Path, ref: str) -> Path:
    """Return the audio file of a stored-recording ``ref`` under ``directory``; ValueError if unsafe."""
    _check_name(ref, "ref")
    return _inside(directory, ref + EXTENSION, "ref")


def delete_recordings(directory: Path, refs: Iterable[str]) -> RecordingsDeleted:
    """Delete the audio files of ``refs`` under ``directory``; refuse (and log) any unsafe ref.

    One bad ref never stops the others from being deleted.
    """
    deleted: list[str] = []
    missing: list[str] = []
    refused: list[str] = []
    for ref in refs:
        try:
            path = recording_path(directory, ref)
        except ValueError as exc:
            log.warning("recording_ref_refused", error=str(exc))
            refused.append(ref)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            missing.append(ref)
        else:
            deleted.append(ref)
    if deleted or refused:
        log.info("recordings_deleted", deleted=len(deleted), missing=len(missing), refused=len(refused))
    return RecordingsDeleted(tuple(deleted), tuple(missing), tuple(refused))


def delete_recordings_older_than(directory: Path, subfolders: Iterable[str], cutoff: datetime) -> list[Path]:
    """Delete the files under ``directory/<subfolder>`` last modified before ``cutoff``; return them.

    For recordings no database row points at, like the inspreeklijn messages. Subfolders are checked
    like refs (ValueError if unsafe); a missing one is skipped. Symbolic links are neither followed nor
    deleted, so nothing outside ``directory`` is ever touched.
    """
    require_aware(cutoff=cutoff)
    limit = cutoff.timestamp()
    names = list(subfolders)
    for name in names:
        _check_name(name, "folder")
    folders = [_inside(directory, name, "folder") for name in names]
    deleted: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for parent, _dirs, files in os.walk(folder, followlinks=False):
            for name in files:
                path = Path(parent) / name
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                    path.unlink()
                    deleted.append(path)
    if deleted:
        log.info("old_recordings_deleted", count=len(deleted), cutoff=cutoff.isoformat())
    return deleted
