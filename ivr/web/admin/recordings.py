"""/beheer/opnames: the practice's own recordings that replace generated prompts; upload and play back.

An upload is refused with a Dutch message naming the field, and nothing changed, unless the name is a
prompt and the file really decodes as audio of an accepted type, not empty and not too long
(prompts.replace does the decoding and conversion with sox). A good one is converted to what Asterisk
plays, stored in the practice's recordings folder (the next start builds from it) and, when the sounds
folder is known, placed there at once.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import IO

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.admin.forms import FormProblem, file_field, form_of, text_field
from ivr.web.admin.state import admin_state
from ivr.web.auth import current
from ivr.web.context import WebContext, context_of
from ivr.web.templating import render
from prompts.names import is_valid_prompt_name
from prompts.replace import (
    MAX_SECONDS,
    EmptyRecording,
    NotAudio,
    RecordingRefused,
    Replaced,
    TooLong,
    UnsupportedFormat,
    readable,
    recordings_of,
    replace_prompt,
)
from storage.audit import record_audit

log = structlog.get_logger(__name__)

PATH = "/beheer/opnames"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ACCEPTED = (".wav", ".mp3", ".ogg")
CONTENT_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".flac": "audio/flac"}
NO_FOLDER = (
    "Er is geen map voor eigen opnames ingesteld (TERUGBEL_PRACTICE_RECORDINGS); uploaden kan daarom niet."
)


def add_recording_routes(app: web.Application) -> None:
    app.router.add_get(PATH, page)
    app.router.add_post(PATH, upload)
    app.router.add_get(PATH + "/{name}/geluid", sound)


async def page(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    stored = request.query.get("opgeslagen", "")
    message = None
    if stored in ctx.prompt_names():
        message = f"De opname voor {stored} is opgeslagen en omgezet voor de telefooncentrale."
    return await _page(request, message=message, chosen=stored)


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: FormProblem | None = None,
    message: str | None = None,
    chosen: str = "",
) -> web.Response:
    ctx = context_of(request)
    recorded = recordings_of(ctx.practice_recordings) if ctx.practice_recordings is not None else {}
    names = sorted(ctx.prompt_names())
    # `sox -h` is a process: off the event loop.
    mp3 = await asyncio.to_thread(readable, ".mp3")
    return render(
        request,
        "beheer/recordings.html",
        status=status,
        error=error,
        message=message,
        chosen=chosen,
        names=names,
        rows=[
            {"name": name, "recorded": name in recorded, "version": _version(recorded.get(name))}
            for name in names
        ],
        recorded_count=len(recorded),
        no_folder=NO_FOLDER if ctx.practice_recordings is None else None,
        mp3_missing=mp3.package if mp3 is not None else None,
        live=ctx.sounds_dir is not None,
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        max_minutes=f"{MAX_SECONDS / 60:g}",
        accept=",".join(ACCEPTED),
    )


def _version(path: Path | None) -> str:
    # In the audio URL, so the browser fetches a replaced recording instead of one it still holds.
    if path is None:
        return ""
    try:
        return str(path.stat().st_mtime_ns)
    except OSError:
        return ""


async def upload(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    form = await form_of(request)
    name = ""
    try:
        name = text_field(form, "naam", "Melding", max_length=64)
        if ctx.practice_recordings is None:
            raise FormProblem("file", NO_FOLDER, 409)
        if not is_valid_prompt_name(name) or name not in ctx.prompt_names():
            raise FormProblem("naam", "Melding: deze melding bestaat niet; kies er een uit de lijst.")
        file = file_field(form, "file")
        if file is None:
            raise FormProblem("file", "Bestand: kies een geluidsbestand (wav, mp3 of ogg).")
        suffix = Path(file.filename).suffix.lower()
        await _check_file(file.file, suffix)
        async with admin_state(request).recordings_lock:
            replaced = await _replace(ctx, name, file.file, suffix)
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, chosen=name)
    ctx.prompt_replaced(name)
    try:
        await ctx.db.run(
            record_audit,
            username=current(request).username,
            action="opname_vervangen",
            target_type="prompt",
            target_id=name,
            detail={
                "seconden": round(replaced.seconds, 1),
                "formaat": suffix.lstrip("."),
                "direct": replaced.live,
            },
            at=ctx.clock(),
        )
    except StoreUnavailable:
        log.error("recording_audit_failed", prompt=name)
        problem = FormProblem(
            "file",
            "De opname is vervangen, maar kon niet in het logboek worden gezet: "
            "de database is niet bereikbaar.",
            503,
        )
        return await _page(request, status=503, error=problem, chosen=name)
    log.info("recording_replaced", prompt=name, seconds=round(replaced.seconds, 1), live=replaced.live)
    raise web.HTTPSeeOther(f"{PATH}?opgeslagen={name}")


async def _check_file(stream: IO[bytes], suffix: str) -> None:
    """The cheap checks first: type by name, size; decoding is left to sox."""
    if suffix not in ACCEPTED:
        raise FormProblem("file", "Bestand: alleen een wav-, mp3- of ogg-bestand kan een melding vervangen.")
    problem = await asyncio.to_thread(readable, suffix)
    if problem is not None:
        raise FormProblem(
            "file",
            f"Bestand: deze server kan geen {suffix.lstrip('.')}-bestanden lezen (het Debian-pakket "
            f"{problem.package} ontbreekt). Upload een wav- of ogg-bestand, of laat dat pakket installeren.",
        )
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise FormProblem("file", "Bestand: het bestand is leeg.")
    if size > MAX_UPLOAD_BYTES:
        raise FormProblem(
            "file", f"Bestand: het bestand is groter dan {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", 413
        )


async def _replace(ctx: WebContext, name: str, stream: IO[bytes], suffix: str) -> Replaced:
    assert ctx.practice_recordings is not None
    try:
        return await asyncio.to_thread(_store, name, stream, suffix, ctx.practice_recordings, ctx.sounds_dir)
    except UnsupportedFormat:
        raise FormProblem(
            "file", f"Bestand: {suffix.lstrip('.')}-bestanden kan deze server niet lezen."
        ) from None
    except NotAudio as exc:
        log.info("recording_not_audio", prompt=name, detail=exc.detail)
        raise FormProblem(
            "file", f"Bestand: dit is geen geluidsbestand, of het is beschadigd (niet te lezen als {suffix})."
        ) from None
    except EmptyRecording:
        raise FormProblem("file", "Bestand: het bestand bevat geen geluid.") from None
    except TooLong as exc:
        raise FormProblem("file", f"Bestand: de opname is langer dan {exc.limit / 60:g} minuten.") from None
    except RecordingRefused as exc:  # pragma: no cover - every kind is listed above
        raise FormProblem("file", f"Bestand: {exc}") from None
    except OSError as exc:
        log.error("recording_not_stored", prompt=name, error=str(exc))
        raise FormProblem(
            "file", f"De opname kon niet worden opgeslagen op de server ({exc.strerror}).", 500
        ) from None


def _store(name: str, stream: IO[bytes], suffix: str, recordings: Path, sounds: Path | None) -> Replaced:
    # sox reads a file by name; the upload's own temp file has none we can rely on.
    with tempfile.TemporaryDirectory(prefix="terugbel-upload-") as folder:
        copy = Path(folder) / f"upload{suffix}"
        with copy.open("wb") as out:
            shutil.copyfileobj(stream, out)
        return replace_prompt(name, copy, suffix, recordings, sounds)


async def sound(request: web.Request) -> web.StreamResponse:
    """The practice's recording of a prompt, for the page's audio player."""
    ctx = context_of(request)
    name = request.match_info.get("name", "")
    if not is_valid_prompt_name(name) or name not in ctx.prompt_names() or ctx.practice_recordings is None:
        raise web.HTTPNotFound(text="Deze melding heeft geen eigen opname.")
    path = recordings_of(ctx.practice_recordings).get(name)
    if path is None:
        raise web.HTTPNotFound(text="Deze melding heeft geen eigen opname.")
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return web.FileResponse(path, headers={"Content-Type": content_type})
