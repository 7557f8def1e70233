"""/beheer/api-sleutels: the intake API's tokens of this practice; creating one, revoking one.

A new token is shown once, on the page that answers the create form (never in a URL, never stored: the
database keeps its hash), with a warning that it cannot be shown again. The list shows only the first
characters of each token. Storage keeps the rules (known scopes, one active token per name); this page
checks the form, shows refusals in Dutch by field, and audits each change with the admin's name.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.admin.forms import FormProblem, form_of, id_in_path, raw_field, shown_time, text_field
from ivr.web.auth import current
from ivr.web.context import context_of
from ivr.web.templating import render
from storage.api_tokens import (
    NAME_LENGTH,
    SCOPES,
    NameTaken,
    TokenInfo,
    check_name,
    create_token,
    list_tokens,
    revoke_token,
)
from storage.audit import record_audit

log = structlog.get_logger(__name__)

PATH = "/beheer/api-sleutels"
TITLE = "API-sleutels"
SCOPE_LABELS = {
    "create": "terugbelverzoeken aanmaken",
    "read": "status opvragen",
    "cancel": "verzoeken annuleren",
}
DONE = {
    "ingetrokken": "De sleutel is ingetrokken; hij werkt vanaf nu niet meer.",
    "al-ingetrokken": "Deze sleutel was al ingetrokken.",
}
UNAVAILABLE = "De database is nu niet bereikbaar; er is niets veranderd. Probeer het zo opnieuw."
AUDIT_TARGET = "api_token"


def add_token_routes(app: web.Application) -> None:
    app.router.add_get(PATH, page)
    app.router.add_post(PATH, add)
    app.router.add_post(PATH + "/{token_id}/intrekken", revoke)


async def page(request: web.Request) -> web.StreamResponse:
    return await _page(request, message=DONE.get(request.query.get("gedaan", "")))


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: FormProblem | None = None,
    message: str | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    """The list and the create form; `typed` refills the form after a refusal."""
    ctx = context_of(request)
    try:
        tokens = await ctx.db.run(list_tokens, await ctx.practice.id())
    except StoreUnavailable:
        return _unavailable(request)
    return render(
        request,
        "beheer/tokens.html",
        status=status,
        error=error,
        message=message,
        created=None,
        typed=typed or {"naam": "", "rechten": list(SCOPES)},
        scope_labels=SCOPE_LABELS,
        max_name=NAME_LENGTH,
        tokens=[_shown(request, t) for t in tokens],
    )


def _shown(request: web.Request, token: TokenInfo) -> dict[str, Any]:
    ctx = context_of(request)
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": [SCOPE_LABELS.get(s, s) for s in token.scopes],
        "active": token.active,
        "since": shown_time(ctx, token.created_at),
        "by": token.created_by or "",
        "used": shown_time(ctx, token.last_used_at) or "nooit",
        "revoked": shown_time(ctx, token.revoked_at),
    }


def _name(form: Any) -> str:
    name = text_field(form, "naam", "Naam", max_length=NAME_LENGTH)
    try:
        return check_name(name)
    except ValueError:
        raise FormProblem("naam", f"Naam: gewone tekens, op één regel, hoogstens {NAME_LENGTH}.") from None


def _scopes(form: Any) -> list[str]:
    chosen = [value for value in form.getall("rechten", []) if isinstance(value, str)]
    if any(value not in SCOPES for value in chosen):
        raise FormProblem("rechten", "Rechten: kies uit de rechten op deze pagina.")
    if not chosen:
        raise FormProblem("rechten", "Rechten: kies minstens één recht.")
    return chosen


async def _audit(request: web.Request, action: str, token: TokenInfo, **detail: Any) -> None:
    ctx = context_of(request)
    await ctx.db.run(
        record_audit,
        username=current(request).username,
        action=action,
        target_type=AUDIT_TARGET,
        target_id=token.id,
        detail={"naam": token.name, "praktijk": ctx.practice.identity.key, **detail},
        at=ctx.clock(),
    )


async def add(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    form = await form_of(request)
    typed = {
        "naam": raw_field(form, "naam").strip()[:NAME_LENGTH],
        "rechten": [value for value in form.getall("rechten", []) if value in SCOPES],
    }
    try:
        name = _name(form)
        scopes = _scopes(form)
        token, plain = await ctx.db.run(
            create_token,
            practice_id=await ctx.practice.id(),
            name=name,
            scopes=scopes,
            created_by=current(request).username,
            now=ctx.clock(),
        )
        await _audit(request, "api_sleutel_aangemaakt", token, rechten=list(token.scopes))
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, typed=typed)
    except NameTaken:
        problem = FormProblem("naam", "Naam: er is al een actieve sleutel met deze naam.", 409)
        return await _page(request, status=409, error=problem, typed=typed)
    except StoreUnavailable:
        return _unavailable(request)
    log.info("web_api_token_added", token_id=token.id, scopes=token.scopes, by=current(request).username)
    # Answered here rather than by a redirect: the token must never be in a URL or stored to show later.
    response = render(
        request,
        "beheer/tokens.html",
        error=None,
        message=None,
        created=_shown(request, token),
        plain=plain,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def revoke(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    token_id = id_in_path(request, "token_id", "Deze sleutel")
    await form_of(request)  # only a form from the page (the CSRF check has read it)
    try:
        practice_id = await ctx.practice.id()
        known = {t.id: t for t in await ctx.db.run(list_tokens, practice_id)}
        token = known.get(token_id)
        if token is None:
            raise web.HTTPNotFound(text="Deze sleutel bestaat niet.")
        revoked = await ctx.db.run(revoke_token, token_id, practice_id=practice_id, now=ctx.clock())
        if revoked:
            await _audit(request, "api_sleutel_ingetrokken", token)
    except StoreUnavailable:
        return _unavailable(request)
    if not revoked:
        raise web.HTTPSeeOther(f"{PATH}?gedaan=al-ingetrokken")
    log.info("web_api_token_revoked", token_id=token_id, by=current(request).username)
    raise web.HTTPSeeOther(f"{PATH}?gedaan=ingetrokken")


def _unavailable(request: web.Request) -> web.Response:
    return render(request, "beheer/unavailable.html", status=503, title=TITLE, message=UNAVAILABLE)
