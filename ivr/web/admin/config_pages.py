"""/beheer/menu and /beheer/capaciteit: the running YAML, its versions, saving a new one, going back.

One set of handlers serves both files (config_kinds). A refused text is shown again as it was sent, with
every problem as "regel N: veld: melding", status 400, and nothing changed: not the file, not the
running config, not the stored versions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from common.watched import FileHolder
from common.yamlload import MAX_FILE_BYTES, ConfigError, ConfigProblem, decode
from ivr.db.door import StoreUnavailable
from ivr.web.admin.config_apply import Applied, NotWritten, apply_text, record_file
from ivr.web.admin.config_kinds import PAGES, ConfigPage
from ivr.web.admin.forms import (
    FormProblem,
    file_field,
    form_of,
    id_in_path,
    raw_field,
    shown_time,
    text_field,
)
from ivr.web.admin.state import admin_state
from ivr.web.auth import current
from ivr.web.context import WebContext, context_of
from ivr.web.templating import render
from storage.config_versions import config_version, config_versions, latest_applied_config

VERSIONS_SHOWN = 50
MAX_NOTE = 500
YAML_SUFFIXES = (".yaml", ".yml")
UNAVAILABLE = "De database is nu niet bereikbaar; er is niets veranderd. Probeer het zo opnieuw."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_config_routes(app: web.Application) -> None:
    for page in PAGES:
        app.router.add_get(page.path, _bound(_show, page))
        app.router.add_post(page.path, _bound(_save, page))
        app.router.add_post(page.path + "/versies/{version_id}/terugzetten", _bound(_roll_back, page))


def _bound(
    handler: Callable[[web.Request, ConfigPage], Awaitable[web.StreamResponse]], page: ConfigPage
) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request, page)

    return handle


def _holder(ctx: WebContext, page: ConfigPage) -> FileHolder[Any]:
    holder = page.holder_of(ctx)
    if holder is None:
        raise web.HTTPNotFound(text=f"Er is geen bestand voor {page.what} ingesteld.")
    return holder


async def _show(request: web.Request, page: ConfigPage) -> web.StreamResponse:
    message = None
    shown = request.query.get("versie", "")
    if shown.isdigit():
        message = f"Versie {shown} is opgeslagen en draait nu; gesprekken die al liepen houden hun versie."
    elif "ongewijzigd" in request.query:
        message = "Deze tekst draaide al; er is niets veranderd."
    return await _page(request, page, message=message)


async def _page(
    request: web.Request,
    page: ConfigPage,
    *,
    status: int = 200,
    text: str | None = None,
    note: str = "",
    problems: list[ConfigProblem] | None = None,
    problem_field: str = "tekst",
    error: FormProblem | None = None,
    message: str | None = None,
) -> web.Response:
    """The page; `text` given is shown instead of the running one (a refused text stays to be fixed)."""
    ctx = context_of(request)
    holder = _holder(ctx, page)
    try:
        async with admin_state(request).config_locks[page.kind]:
            file = await record_file(ctx, page, holder)
        versions = await ctx.db.run(config_versions, page.kind, limit=VERSIONS_SHOWN)
        running = await ctx.db.run(latest_applied_config, page.kind)
    except StoreUnavailable:
        return render(request, "beheer/unavailable.html", status=503, title=page.title, message=UNAVAILABLE)
    running_text = running.content if running is not None else file.text
    file_differs = file.text is not None and not file.runs and file.text != running_text
    return render(
        request,
        "beheer/config.html",
        status=status,
        page=page,
        text=(running_text or "") if text is None else text,
        note=note,
        problems=[_line(p) for p in problems or []],
        problem_field=problem_field,
        error=error,
        message=message,
        file_problems=[_line(p) for p in file.problems] if file_differs or file.text is None else [],
        file_differs=file_differs,
        file_unreadable=file.text is None,
        running_id=running.id if running is not None else None,
        versions=[
            {
                "id": v.id,
                "when": shown_time(ctx, v.created_at),
                "by": v.created_by or "onbekend",
                "note": v.note or "",
                "applied": shown_time(ctx, v.applied_at),
            }
            for v in versions
        ],
    )


def _line(problem: ConfigProblem) -> dict[str, Any]:
    return {"line": problem.line, "field": problem.field, "message": problem.message}


async def _save(request: web.Request, page: ConfigPage) -> web.StreamResponse:
    ctx = context_of(request)
    holder = _holder(ctx, page)
    form = await form_of(request)
    upload = file_field(form, "bestand")
    field = "bestand" if upload is not None else "tekst"
    text: str | None = None
    note = ""
    try:
        note = text_field(form, "notitie", "Notitie", max_length=MAX_NOTE, required=False)
        if upload is not None:
            text = _uploaded_text(upload)
        else:
            # As sent, not stripped: in YAML the first line's indentation is part of the text.
            text = _normalized(raw_field(form, "tekst"))
            if not text.strip():
                raise FormProblem("tekst", "Tekst: de tekst is leeg.")
    except FormProblem as problem:
        return await _page(request, page, status=problem.status, text=text, note=note, error=problem)
    except ConfigError as exc:
        return await _page(
            request, page, status=400, text=text, note=note, problems=exc.problems, problem_field=field
        )
    return await _apply(request, page, holder, text, note=note or None, field=field)


async def _roll_back(request: web.Request, page: ConfigPage) -> web.StreamResponse:
    ctx = context_of(request)
    holder = _holder(ctx, page)
    version_id = id_in_path(request, "version_id", "Deze versie")
    try:
        version = await ctx.db.run(config_version, version_id)
    except StoreUnavailable:
        return render(request, "beheer/unavailable.html", status=503, title=page.title, message=UNAVAILABLE)
    if version is None or version.kind != page.kind.value:
        raise web.HTTPNotFound(text="Deze versie bestaat niet.")
    return await _apply(
        request,
        page,
        holder,
        version.content,
        note=f"teruggezet naar versie {version_id}",
        field="versie",
        detail={"teruggezet_van": version_id},
    )


async def _apply(
    request: web.Request,
    page: ConfigPage,
    holder: FileHolder[Any],
    text: str,
    *,
    note: str | None,
    field: str,
    detail: dict[str, Any] | None = None,
) -> web.StreamResponse:
    ctx = context_of(request)
    try:
        async with admin_state(request).config_locks[page.kind]:
            # The file as it was is kept first, so even the first save can be undone.
            await record_file(ctx, page, holder)
            result = await apply_text(
                ctx, page, holder, text, username=current(request).username, note=note, detail=detail
            )
    except StoreUnavailable:
        return render(request, "beheer/unavailable.html", status=503, title=page.title, message=UNAVAILABLE)
    except NotWritten as exc:
        error = FormProblem(
            field,
            f"Versie {exc.version_id} is bewaard, maar het bestand kon niet worden geschreven ({exc.error}). "
            f"De versie die draait is niet veranderd.",
            500,
        )
        return await _page(request, page, status=500, text=text, note=note or "", error=error)
    if isinstance(result, Applied):
        where = f"?versie={result.version.id}" if result.changed else "?ongewijzigd"
        raise web.HTTPSeeOther(page.path + where)
    return await _page(
        request, page, status=400, text=text, note=note or "", problems=result.problems, problem_field=field
    )


def _uploaded_text(upload: web.FileField) -> str:
    if not upload.filename.lower().endswith(YAML_SUFFIXES):
        raise FormProblem("bestand", "Bestand: kies een .yaml-bestand.")
    data = upload.file.read(MAX_FILE_BYTES + 1)
    if not data.strip():
        raise FormProblem("bestand", "Bestand: het bestand is leeg.")
    # The loader's own size and UTF-8 checks, as for the file itself (ConfigError with the reason).
    return _normalized(decode(data, upload.filename))


def _normalized(text: str) -> str:
    # A browser sends a textarea with CRLF line ends; the file (and its versions) keep LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")
