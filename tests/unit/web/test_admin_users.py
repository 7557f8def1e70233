"""The users admin page: adding, roles, disabling and passwords, with the last admin always kept."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from storage.accounts import list_users, user_by_username
from storage.audit import audit_entries
from tests.unit.web.admin_support import admin_routes, refused_fields
from tests.unit.web.conftest import PASSWORD, Web, log_in

NEW_PASSWORD = "een heel nieuw wachtwoord"


async def names(web: Web) -> list[str]:
    return [u.username for u in await list_users(web.ctx.db.sessions)]


async def user_id(web: Web, name: str) -> int:
    user = await user_by_username(web.ctx.db.sessions, name)
    assert user is not None
    return user.id


async def post(web: Web, path: str, token: str | None, client: TestClient | None = None, **fields: str):
    data = dict(fields)
    if token is not None:
        data["csrf"] = token
    return await (client or web.client).post(path, data=data, allow_redirects=False)


async def logged_in(client: TestClient) -> bool:
    response = await client.get("/", allow_redirects=False)
    return response.status == 200


async def test_an_assistant_gets_403_on_every_users_path(web: Web) -> None:
    """Listing and every change refuse an assistant, even with a valid token; nothing changes."""
    token = await web.login("anna")
    routes = admin_routes(web.client.server.app, "/beheer/gebruikers")
    assert len(routes) == 5
    own_id = str(await user_id(web, "anna"))
    for method, path in routes:
        path = path.replace("/1/", f"/{own_id}/")
        fields = {
            "csrf": token,
            "gebruikersnaam": "piet",
            "rol": "admin",
            "actief": "nee",
            "wachtwoord": "x" * 12,
        }
        response = await web.client.request(method, path, data=fields, allow_redirects=False)
        assert response.status == 403, (method, path)
    assert await names(web) == ["anna"]
    anna = await user_by_username(web.ctx.db.sessions, "anna")
    assert (anna.role, anna.active) == ("assistent", True)


async def test_a_logged_out_client_is_sent_to_the_login_page(web: Web) -> None:
    """Without a login every users route redirects to /login."""
    for method, path in admin_routes(web.client.server.app, "/beheer/gebruikers"):
        response = await web.client.request(method, path, allow_redirects=False)
        assert response.status == 303, (method, path)
        assert response.headers["Location"] == "/login"


async def test_changes_without_csrf_are_refused_and_change_nothing(web: Web) -> None:
    """Each change posted without the token is a 403 and leaves the users as they were."""
    await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    anna = await user_id(web, "anna")
    for path, fields in (
        ("/beheer/gebruikers", {"gebruikersnaam": "piet", "rol": "assistent", "wachtwoord": NEW_PASSWORD}),
        (f"/beheer/gebruikers/{anna}/rol", {"rol": "admin"}),
        (f"/beheer/gebruikers/{anna}/actief", {"actief": "nee"}),
        (f"/beheer/gebruikers/{anna}/wachtwoord", {"wachtwoord": NEW_PASSWORD}),
    ):
        response = await post(web, path, None, **fields)
        assert response.status == 403, path
    assert await names(web) == ["anna", "beheer"]
    user = await user_by_username(web.ctx.db.sessions, "anna")
    assert (user.role, user.active) == ("assistent", True)
    assert await logged_in(other)


async def test_the_page_lists_every_user(web: Web) -> None:
    """The list shows each user with role and status, the viewer marked."""
    await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    page = await (await web.client.get("/beheer/gebruikers")).text()
    assert "<td>beheer (u)</td>" in page
    assert "<td>anna</td>" in page
    assert "<td>assistent</td>" in page and "<td>beheerder</td>" in page


async def test_an_added_user_can_log_in_and_the_addition_is_audited(web: Web) -> None:
    """A new user is stored with the chosen role and a working password; the audit says who added whom."""
    token = await web.login("beheer", role="admin")
    response = await post(
        web, "/beheer/gebruikers", token, gebruikersnaam="Piet", rol="assistent", wachtwoord=NEW_PASSWORD
    )
    assert response.status == 303
    assert response.headers["Location"] == "/beheer/gebruikers?gedaan=aangemaakt"
    piet = await user_by_username(web.ctx.db.sessions, "piet")
    assert (piet.role, piet.active, piet.created_by) == ("assistent", True, "beheer")
    assert NEW_PASSWORD not in piet.password_hash
    other = await web.new_client()
    await log_in(other, "piet", NEW_PASSWORD)
    assert await logged_in(other)
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].target_id, audit[0].detail) == (
        "gebruiker_aangemaakt",
        str(piet.id),
        {"gebruiker": "piet", "rol": "assistent"},
    )


async def test_bad_input_to_the_add_form_is_refused_naming_the_field(web: Web) -> None:
    """Missing or wrong name, role or password, or a taken name: 4xx naming the field, nobody added."""
    token = await web.login("beheer", role="admin")
    good = {"gebruikersnaam": "piet", "rol": "assistent", "wachtwoord": NEW_PASSWORD}
    cases = [
        ({"gebruikersnaam": ""}, 400, "gebruikersnaam"),
        ({"gebruikersnaam": "piet jansen"}, 400, "gebruikersnaam"),
        ({"gebruikersnaam": "x" * 65}, 400, "gebruikersnaam"),
        ({"gebruikersnaam": "BEHEER"}, 409, "gebruikersnaam"),
        ({"rol": "koning"}, 400, "rol"),
        ({"rol": ""}, 400, "rol"),
        ({"wachtwoord": "kort"}, 400, "wachtwoord"),
        ({"wachtwoord": ""}, 400, "wachtwoord"),
        ({"wachtwoord": " begint met spatie"}, 400, "wachtwoord"),
    ]
    for change, status, field in cases:
        response = await post(web, "/beheer/gebruikers", token, **{**good, **change})
        assert response.status == status, change
        page = await response.text()
        assert refused_fields(page) == [field], change
        assert NEW_PASSWORD not in page
    assert await names(web) == ["beheer"]


async def test_a_role_change_applies_to_the_users_open_login_at_once(web: Web) -> None:
    """An assistant made admin can open the admin pages in the login they already have; audited."""
    token = await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    assert (await other.get("/beheer/menu", allow_redirects=False)).status == 403
    anna = await user_id(web, "anna")
    response = await post(web, f"/beheer/gebruikers/{anna}/rol", token, rol="admin")
    assert response.status == 303
    assert (await other.get("/beheer/menu", allow_redirects=False)).status == 200
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].detail) == ("rol_gewijzigd", {"gebruiker": "anna", "rol": "admin"})
    back = await post(web, f"/beheer/gebruikers/{anna}/rol", token, rol="assistent")
    assert back.status == 303
    assert (await other.get("/beheer/menu", allow_redirects=False)).status == 403


async def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(web: Web) -> None:
    """Both are refused with a 409 naming the field and the reason; the admin stays an active admin."""
    token = await web.login("beheer", role="admin")
    me = await user_id(web, "beheer")
    demote = await post(web, f"/beheer/gebruikers/{me}/rol", token, rol="assistent")
    assert demote.status == 409
    page = await demote.text()
    assert refused_fields(page) == ["rol"]
    assert "laatste actieve beheerder" in page
    disable = await post(web, f"/beheer/gebruikers/{me}/actief", token, actief="nee")
    assert disable.status == 409
    page = await disable.text()
    assert refused_fields(page) == ["actief"]
    assert "laatste actieve beheerder" in page
    user = await user_by_username(web.ctx.db.sessions, "beheer")
    assert (user.role, user.active) == ("admin", True)
    assert await logged_in(web.client)


async def test_disabling_ends_the_users_logins_and_enabling_lets_them_back(web: Web) -> None:
    """A disabled assistant's open login ends at once and they cannot log in; enabled, they can again."""
    token = await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    anna = await user_id(web, "anna")
    response = await post(web, f"/beheer/gebruikers/{anna}/actief", token, actief="nee")
    assert response.status == 303
    assert response.headers["Location"] == "/beheer/gebruikers?gedaan=uitgeschakeld"
    assert not await logged_in(other)
    page = await other.get("/login")
    assert page.status == 200
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].detail) == ("gebruiker_uitgeschakeld", {"gebruiker": "anna"})
    enable = await post(web, f"/beheer/gebruikers/{anna}/actief", token, actief="ja")
    assert enable.status == 303
    again = await web.new_client()
    await log_in(again, "anna", PASSWORD)
    assert await logged_in(again)


async def test_a_new_password_replaces_the_old_one_and_ends_the_users_logins(web: Web) -> None:
    """After an admin sets a password the old one fails, the new one works, and open logins are ended."""
    token = await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    anna = await user_id(web, "anna")
    response = await post(web, f"/beheer/gebruikers/{anna}/wachtwoord", token, wachtwoord=NEW_PASSWORD)
    assert response.status == 303
    assert not await logged_in(other)
    fresh = await web.new_client()
    page = await fresh.get("/login")
    form_token = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
    old = await fresh.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf": form_token}, allow_redirects=False
    )
    assert old.status == 401
    await log_in(fresh, "anna", NEW_PASSWORD)
    assert await logged_in(fresh)
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert (audit[0].action, audit[0].detail) == ("wachtwoord_ingesteld", {"gebruiker": "anna"})


async def test_bad_input_to_the_change_forms_is_refused_naming_the_field(web: Web) -> None:
    """A wrong role, active value or password, or an unknown user, changes nobody."""
    token = await web.login("beheer", role="admin")
    other = await web.new_client()
    await web.login("anna", on=other)
    anna = await user_id(web, "anna")
    for path, fields, field in (
        (f"/beheer/gebruikers/{anna}/rol", {"rol": "koning"}, "rol"),
        (f"/beheer/gebruikers/{anna}/actief", {"actief": "misschien"}, "actief"),
        (f"/beheer/gebruikers/{anna}/actief", {}, "actief"),
        (f"/beheer/gebruikers/{anna}/wachtwoord", {"wachtwoord": "kort"}, "wachtwoord"),
    ):
        response = await post(web, path, token, **fields)
        assert response.status == 400, (path, fields)
        assert refused_fields(await response.text()) == [field], (path, fields)
    for path, fields in (
        ("/beheer/gebruikers/999/rol", {"rol": "admin"}),
        ("/beheer/gebruikers/999/actief", {"actief": "nee"}),
        ("/beheer/gebruikers/999/wachtwoord", {"wachtwoord": NEW_PASSWORD}),
        ("/beheer/gebruikers/abc/rol", {"rol": "admin"}),
    ):
        response = await post(web, path, token, **fields)
        assert response.status == 404, path
    user = await user_by_username(web.ctx.db.sessions, "anna")
    assert (user.role, user.active) == ("assistent", True)
    assert await logged_in(other)
