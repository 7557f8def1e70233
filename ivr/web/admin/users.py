"""/beheer/gebruikers: who may log in, with which role; adding, role, disabling, a new password.

Storage keeps the rules that must hold however two admins click (unique names, never without an active
admin: LastAdmin); this page checks the form, shows storage's refusals in Dutch, and audits each change.
Disabling a user ends their logins (storage.accounts.set_active); a new password set by an admin ends the
user's other logins too, since it is set because the old one may be known to someone else.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.web.admin.forms import FormProblem, form_of, id_in_path, raw_field, shown_time, text_field
from ivr.web.auth import current
from ivr.web.context import context_of
from ivr.web.passwords import hash_password, password_problem
from ivr.web.templating import render
from storage.accounts import (
    LastAdmin,
    UnknownUser,
    UsernameTaken,
    check_username,
    create_user,
    list_users,
    set_active,
    set_password_hash,
    set_role,
)
from storage.audit import record_audit
from storage.logins import delete_user_sessions
from storage.models_web import User
from storage.status import UserRole

log = structlog.get_logger(__name__)

PATH = "/beheer/gebruikers"
ROLES = {UserRole.ASSISTENT.value: "assistent", UserRole.ADMIN.value: "beheerder"}
DONE = {
    "aangemaakt": "De gebruiker is aangemaakt.",
    "rol": "De rol is gewijzigd.",
    "uitgeschakeld": "De gebruiker is uitgeschakeld en overal uitgelogd.",
    "ingeschakeld": "De gebruiker kan weer inloggen.",
    "wachtwoord": "Het nieuwe wachtwoord is ingesteld.",
}
UNAVAILABLE = "De database is nu niet bereikbaar; er is niets veranderd. Probeer het zo opnieuw."


def add_user_routes(app: web.Application) -> None:
    app.router.add_get(PATH, page)
    app.router.add_post(PATH, add)
    app.router.add_post(PATH + "/{user_id}/rol", change_role)
    app.router.add_post(PATH + "/{user_id}/actief", change_active)
    app.router.add_post(PATH + "/{user_id}/wachtwoord", change_password)


async def page(request: web.Request) -> web.StreamResponse:
    return await _page(request, message=DONE.get(request.query.get("gedaan", "")))


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: FormProblem | None = None,
    message: str | None = None,
    typed: dict[str, str] | None = None,
    about: int | None = None,
) -> web.Response:
    """The page; `typed` refills the add form after a refusal, `about` marks the row an error is about."""
    ctx = context_of(request)
    try:
        users = await ctx.db.run(list_users)
    except StoreUnavailable:
        return render(request, "beheer/unavailable.html", status=503, title="Gebruikers", message=UNAVAILABLE)
    me = current(request).user_id
    return render(
        request,
        "beheer/users.html",
        status=status,
        error=error,
        message=message,
        typed=typed or {"gebruikersnaam": "", "rol": UserRole.ASSISTENT.value},
        about=about,
        roles=ROLES,
        users=[
            {
                "id": u.id,
                "name": u.username,
                "role": u.role,
                "role_label": ROLES.get(u.role, u.role),
                "active": u.active,
                "me": u.id == me,
                "since": shown_time(ctx, u.created_at),
                "by": u.created_by or "",
            }
            for u in users
        ],
    )


def _role(form: Any) -> UserRole:
    value = text_field(form, "rol", "Rol", max_length=32)
    try:
        return UserRole(value)
    except ValueError:
        raise FormProblem("rol", "Rol: kies assistent of beheerder.") from None


def _password(form: Any) -> str:
    password = raw_field(form, "wachtwoord")
    if not password:
        raise FormProblem("wachtwoord", "Wachtwoord: vul dit in.")
    problem = password_problem(password)
    if problem is not None:
        raise FormProblem("wachtwoord", f"Wachtwoord: {problem}")
    return password


async def _audit(request: web.Request, action: str, user: User, **detail: Any) -> None:
    ctx = context_of(request)
    await ctx.db.run(
        record_audit,
        username=current(request).username,
        action=action,
        target_type="web_user",
        target_id=user.id,
        detail={"gebruiker": user.username, **detail},
        at=ctx.clock(),
    )


async def add(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    form = await form_of(request)
    typed = {"gebruikersnaam": raw_field(form, "gebruikersnaam").strip()[:64], "rol": raw_field(form, "rol")}
    try:
        name = text_field(form, "gebruikersnaam", "Gebruikersnaam", max_length=64)
        try:
            name = check_username(name)
        except ValueError:
            raise FormProblem(
                "gebruikersnaam", "Gebruikersnaam: alleen letters a-z, cijfers en . _ - @ (hoogstens 64)."
            ) from None
        role = _role(form)
        password_hash = hash_password(_password(form))
        user = await ctx.db.run(
            create_user,
            username=name,
            password_hash=password_hash,
            role=role,
            created_by=current(request).username,
            now=ctx.clock(),
        )
        await _audit(request, "gebruiker_aangemaakt", user, rol=role.value)
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, typed=typed)
    except UsernameTaken:
        problem = FormProblem("gebruikersnaam", "Gebruikersnaam: deze naam bestaat al.", 409)
        return await _page(request, status=409, error=problem, typed=typed)
    except StoreUnavailable:
        return await _unavailable(request)
    log.info("web_user_added", user=user.username, role=role.value, by=current(request).username)
    raise web.HTTPSeeOther(f"{PATH}?gedaan=aangemaakt")


async def change_role(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    user_id = id_in_path(request, "user_id", "Deze gebruiker")
    form = await form_of(request)
    try:
        role = _role(form)
        user = await ctx.db.run(set_role, user_id, role)
        await _audit(request, "rol_gewijzigd", user, rol=role.value)
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, about=user_id)
    except LastAdmin:
        problem = FormProblem(
            "rol", "Rol: dit is de laatste actieve beheerder; maak eerst iemand anders beheerder.", 409
        )
        return await _page(request, status=409, error=problem, about=user_id)
    except UnknownUser:
        raise web.HTTPNotFound(text="Deze gebruiker bestaat niet.") from None
    except StoreUnavailable:
        return await _unavailable(request)
    if role is not UserRole.ADMIN and user_id == current(request).user_id:
        raise web.HTTPSeeOther("/")  # no longer an admin: the admin pages are closed to them now
    raise web.HTTPSeeOther(f"{PATH}?gedaan=rol")


async def change_active(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    user_id = id_in_path(request, "user_id", "Deze gebruiker")
    form = await form_of(request)
    try:
        value = text_field(form, "actief", "Actief", max_length=8)
        if value not in ("ja", "nee"):
            raise FormProblem("actief", "Actief: kies ja of nee.")
        active = value == "ja"
        # Ends every login of the user when disabling, in the same transaction.
        user = await ctx.db.run(set_active, user_id, active)
        await _audit(request, "gebruiker_ingeschakeld" if active else "gebruiker_uitgeschakeld", user)
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, about=user_id)
    except LastAdmin:
        problem = FormProblem(
            "actief", "Actief: dit is de laatste actieve beheerder; die kan niet worden uitgeschakeld.", 409
        )
        return await _page(request, status=409, error=problem, about=user_id)
    except UnknownUser:
        raise web.HTTPNotFound(text="Deze gebruiker bestaat niet.") from None
    except StoreUnavailable:
        return await _unavailable(request)
    if not active and user_id == current(request).user_id:
        raise web.HTTPSeeOther("/login")  # the admin disabled themselves: that login has just ended
    raise web.HTTPSeeOther(f"{PATH}?gedaan={'ingeschakeld' if active else 'uitgeschakeld'}")


async def change_password(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    user_id = id_in_path(request, "user_id", "Deze gebruiker")
    form = await form_of(request)
    try:
        password_hash = hash_password(_password(form))
        user = await ctx.db.run(set_password_hash, user_id, password_hash)
        if user_id != current(request).user_id:
            # After the change, so no login made with the old password survives it.
            await ctx.db.run(delete_user_sessions, user_id)
        await _audit(request, "wachtwoord_ingesteld", user)
    except FormProblem as problem:
        return await _page(request, status=problem.status, error=problem, about=user_id)
    except UnknownUser:
        raise web.HTTPNotFound(text="Deze gebruiker bestaat niet.") from None
    except StoreUnavailable:
        return await _unavailable(request)
    raise web.HTTPSeeOther(f"{PATH}?gedaan=wachtwoord")


async def _unavailable(request: web.Request) -> web.Response:
    return render(request, "beheer/unavailable.html", status=503, title="Gebruikers", message=UNAVAILABLE)
