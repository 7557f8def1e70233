"""Putting a new menu or capacity text into use: checked, stored, written, reloaded, marked as running.

The order is what makes a change safe. The text is checked by the holder itself (FileHolder.check_text:
the same loader, known prompts and replacement rules as a reload and as `terugbel check-menu` /
`check-capacity`), so a text with a problem changes nothing at all. A valid one is stored as a version
first (so it is never lost), then the file is replaced atomically and the holder reloaded at once instead
of waiting for its watcher. Only when the holder runs the new config is the version marked as applied.

Calls in progress keep the config they took when they started (holder.current is read once per call); a
reload only changes what the next call gets.

The caller holds the kind's lock (AdminState), so two admins' saves never interleave.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from common.watched import FileHolder
from common.yamlload import ConfigError, ConfigProblem, decode, read_limited
from ivr.web.admin.config_kinds import ConfigPage
from ivr.web.admin.files import read_or_none, write_atomically
from ivr.web.context import WebContext
from storage.audit import record_audit
from storage.config_versions import (
    add_config_version,
    config_versions,
    latest_applied_config,
    mark_config_applied,
)
from storage.models_web import ConfigVersion

log = structlog.get_logger(__name__)

# Who stored a version that was found in the file rather than saved on the page.
FROM_FILE = "bestand"


@dataclass(frozen=True)
class Refused:
    """The text cannot replace the running config; nothing was changed."""

    problems: list[ConfigProblem]


@dataclass(frozen=True)
class Applied:
    """The text runs now (or already did: `changed` False) as `version`."""

    version: ConfigVersion
    changed: bool


class NotWritten(Exception):
    """The version was stored, but the file could not be replaced; the running config is unchanged."""

    def __init__(self, version_id: int, error: OSError) -> None:
        self.version_id = version_id
        self.error = error
        super().__init__(f"version {version_id} stored, file not written: {error}")


async def apply_text(
    ctx: WebContext,
    page: ConfigPage,
    holder: FileHolder[Any],
    text: str,
    *,
    username: str,
    note: str | None,
    detail: dict[str, Any] | None = None,
) -> Refused | Applied:
    """Make `text` the running config of `page`, or refuse it with its problems (see the module doc)."""
    try:
        new = await asyncio.to_thread(holder.check_text, text)
    except ConfigError as exc:
        return Refused(exc.problems)
    now = ctx.clock()
    old = await asyncio.to_thread(read_or_none, holder.path)
    version, _ = await ctx.db.run(
        add_config_version, kind=page.kind, content=text, created_by=username, now=now, note=note
    )
    data = text.encode("utf-8")
    if old == data and holder.current == new:
        # Saving what already runs: no file write and nothing to audit, only the record kept right.
        if version.applied_at is None:
            version = await ctx.db.run(mark_config_applied, version.id, now=now)
        return Applied(version, changed=False)
    try:
        await asyncio.to_thread(write_atomically, holder.path, data)
    except OSError as exc:
        log.error("config_write_failed", kind=page.kind.value, version_id=version.id, error=str(exc))
        raise NotWritten(version.id, exc) from None
    outcome = await asyncio.to_thread(holder.reload_if_changed)
    # Equal models, not the reload's status: the watcher may have reloaded the new file a moment earlier.
    if holder.current != new:
        # The holder refused what the check accepted (something changed in between): the old file back.
        if old is not None:
            await asyncio.to_thread(write_atomically, holder.path, old)
            await asyncio.to_thread(holder.reload_if_changed)
        problems = list(outcome.problems) or [
            ConfigProblem(str(holder.path), None, "(file)", "de nieuwe versie werd niet geladen")
        ]
        log.error("config_reload_refused", kind=page.kind.value, version_id=version.id)
        return Refused(problems)
    version = await ctx.db.run(mark_config_applied, version.id, now=now)
    await ctx.db.run(
        record_audit,
        username=username,
        action=page.audit_action,
        target_type="config_version",
        target_id=version.id,
        detail={"versie": version.id, **(detail or {})},
        at=now,
    )
    log.info("config_applied", kind=page.kind.value, version_id=version.id, user=username)
    return Applied(version, changed=True)


@dataclass(frozen=True)
class FileState:
    """The config file as found when the page opened."""

    text: str | None  # None: it could not be read (`problems` say why)
    runs: bool  # the holder runs exactly what the file says
    problems: list[ConfigProblem]


async def record_file(ctx: WebContext, page: ConfigPage, holder: FileHolder[Any]) -> FileState:
    """Store the file's text as a version when nothing is stored yet, or when it runs but is not stored.

    The first time a page opens, the file as it is becomes version 1 (by "bestand"), so there is always
    a version to go back to. A file changed by hand that the holder accepted is stored the same way, so the
    list keeps showing what runs. A file the holder did not accept is only reported.
    """
    state = await asyncio.to_thread(_read_file, holder)
    if state.text is None:
        return state
    newest = await ctx.db.run(config_versions, page.kind, limit=1)
    running = await ctx.db.run(latest_applied_config, page.kind)
    if newest and (not state.runs or (running is not None and running.content == state.text)):
        return state
    now = ctx.clock()
    note = (
        "het bestand bij het eerste openen" if not newest else "in het bestand gewijzigd, buiten deze pagina"
    )
    version, created = await ctx.db.run(
        add_config_version, kind=page.kind, content=state.text, created_by=FROM_FILE, now=now, note=note
    )
    if state.runs:
        await ctx.db.run(mark_config_applied, version.id, now=now)
    if created:
        log.info("config_recorded_from_file", kind=page.kind.value, version_id=version.id, runs=state.runs)
    return state


def _read_file(holder: FileHolder[Any]) -> FileState:
    source = str(holder.path)
    try:
        text = decode(read_limited(holder.path), source)
    except OSError as exc:
        return FileState(
            None, False, [ConfigProblem(source, None, "(file)", f"kan niet gelezen worden: {exc}")]
        )
    except ConfigError as exc:
        return FileState(None, False, exc.problems)
    try:
        runs = holder.check_text(text) == holder.current
    except ConfigError as exc:
        return FileState(text, False, exc.problems)
    return FileState(text, runs, [])
