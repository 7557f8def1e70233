"""The menu and capacity admin pages: checked like check-menu/check-capacity, versioned, rolled back."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from aiohttp import FormData

from common.yamlload import ConfigError
from ivr.web.admin import config_apply
from storage.audit import audit_entries
from storage.config_versions import add_config_version, config_versions
from tests.unit.web.admin_support import admin_routes, refused_fields
from tests.unit.web.conftest import Web

OPEN_ID = "  id: huisartsenpraktijk-de-linde\n"


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing `fragment`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in text")


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="tekst"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


async def versions(web: Web, kind: str) -> list:
    return await config_versions(web.ctx.db.sessions, kind)


async def save(web: Web, token: str | None, text: str, path: str = "/beheer/menu", **extra: str):
    data = {"tekst": text, **extra}
    if token is not None:
        data["csrf"] = token
    return await web.client.post(path, data=data, allow_redirects=False)


async def test_an_assistant_gets_403_on_every_config_path(web: Web) -> None:
    """Every route of the menu and capacity pages refuses an assistant, even with a valid CSRF token."""
    token = await web.login("anna")
    routes = admin_routes(web.client.server.app, "/beheer/menu") + admin_routes(
        web.client.server.app, "/beheer/capaciteit"
    )
    assert len(routes) == 6
    before = web.menu_path.read_bytes()
    for method, path in routes:
        response = await web.client.request(
            method, path, data={"csrf": token, "tekst": "x: 1"}, allow_redirects=False
        )
        assert response.status == 403, (method, path)
    assert web.menu_path.read_bytes() == before
    assert await versions(web, "menu") == []


async def test_a_logged_out_client_is_sent_to_the_login_page(web: Web) -> None:
    """Without a login every config route redirects to /login and nothing is stored."""
    routes = admin_routes(web.client.server.app, "/beheer/menu") + admin_routes(
        web.client.server.app, "/beheer/capaciteit"
    )
    for method, path in routes:
        response = await web.client.request(method, path, data={"tekst": "x: 1"}, allow_redirects=False)
        assert response.status == 303, (method, path)
        assert response.headers["Location"] == "/login"
    assert await versions(web, "menu") == []


async def test_the_first_visit_shows_the_running_file_and_stores_it_as_version_1(web: Web) -> None:
    """The page shows the file's text; with no version stored yet the file becomes version 1, applied."""
    await web.login("beheer", role="admin")
    response = await web.client.get("/beheer/menu")
    assert response.status == 200
    page = await response.text()
    assert textarea(page) == web.menu_path.read_text()
    stored = await versions(web, "menu")
    assert [(v.created_by, v.content, v.applied_at is not None) for v in stored] == [
        ("bestand", web.menu_path.read_text(), True)
    ]
    assert "draait nu" in page


async def test_a_post_without_csrf_is_refused_and_changes_nothing(web: Web) -> None:
    """A save without the CSRF token is a 403: file, running menu and versions stay."""
    await web.login("beheer", role="admin")
    running = web.ctx.menus.current
    before = web.menu_path.read_bytes()
    changed = before.decode().replace("Assistente 1", "Assistente Een")
    response = await save(web, None, changed)
    assert response.status == 403
    assert web.menu_path.read_bytes() == before
    assert web.ctx.menus.current is running
    assert await versions(web, "menu") == []
    rollback = await web.client.post("/beheer/menu/versies/1/terugzetten", allow_redirects=False)
    assert rollback.status == 403


async def test_a_broken_yaml_shows_its_line_and_the_running_menu_stays(web: Web) -> None:
    """A YAML syntax error is shown as "regel N", with the text kept, status 400, nothing changed."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    running = web.ctx.menus.current
    before = web.menu_path.read_bytes()
    broken = before.decode().replace('{name: "Assistente 1",', '{name: "Assistente 1",, [')
    response = await save(web, token, broken)
    assert response.status == 400
    page = await response.text()
    assert refused_fields(page) == ["tekst"]
    assert re.search(rf"regel {line_of(broken, 'Assistente 1')}: \(yaml\): YAML syntax error", page)
    assert textarea(page) == broken
    assert web.menu_path.read_bytes() == before
    assert web.ctx.menus.current is running
    assert len(await versions(web, "menu")) == 1


async def test_a_schema_problem_is_shown_at_the_line_of_the_field(web: Web) -> None:
    """An unknown prompt is refused like check-menu does, at its line and field; nothing changes."""
    token = await web.login("beheer", role="admin")
    running = web.ctx.menus.current
    before = web.menu_path.read_text()
    broken = before.replace("prompt: buiten_openingstijden", "prompt: bestaat_niet_123")
    response = await save(web, token, broken)
    assert response.status == 400
    page = html.unescape(await response.text())
    assert f"regel {line_of(broken, 'bestaat_niet_123')}: outside_hours.prompt: " in page
    assert web.menu_path.read_text() == before
    assert web.ctx.menus.current is running


async def test_a_new_practice_id_is_refused_as_a_reload_would(web: Web) -> None:
    """The holder's replacement rule holds on the page: a changed practice.id is refused at its line."""
    token = await web.login("beheer", role="admin")
    running = web.ctx.menus.current
    before = web.menu_path.read_text()
    assert OPEN_ID in before
    broken = before.replace(OPEN_ID, "  id: een-andere-praktijk\n")
    response = await save(web, token, broken)
    assert response.status == 400
    page = html.unescape(await response.text())
    assert f"regel {line_of(broken, 'een-andere-praktijk')}: practice.id: changed from" in page
    assert web.menu_path.read_text() == before
    assert web.ctx.menus.current is running


async def test_a_valid_menu_replaces_the_running_one_and_calls_in_progress_keep_theirs(web: Web) -> None:
    """A valid text is stored, written, loaded and marked running; a call's menu object is untouched."""
    token = await web.login("beheer", role="admin")
    in_call = web.ctx.menus.current
    original = web.menu_path.read_text()
    changed = original.replace("Assistente 1", "Assistente Een")
    response = await save(web, token, changed, notitie="naam headset")
    assert response.status == 303
    stored = await versions(web, "menu")
    newest = stored[0]
    assert [(v.created_by, v.content) for v in stored[1:]] == [("bestand", original)]
    assert response.headers["Location"] == f"/beheer/menu?versie={newest.id}"
    assert (newest.content, newest.created_by, newest.note) == (changed, "beheer", "naam headset")
    assert newest.applied_at is not None
    assert web.menu_path.read_text() == changed
    assert web.ctx.menus.current.headsets["assistent1"].name == "Assistente Een"
    assert in_call.headsets["assistent1"].name == "Assistente 1"
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert [(a.action, a.detail) for a in audit if a.action == "menu_gewijzigd"] == [
        ("menu_gewijzigd", {"versie": newest.id})
    ]
    page = await (await web.client.get(response.headers["Location"])).text()
    assert f"Versie {newest.id} is opgeslagen" in page
    assert textarea(page) == changed


async def test_a_textarea_with_crlf_line_ends_is_stored_with_lf(web: Web) -> None:
    """Browsers send a textarea with CRLF; the file and the version keep plain LF lines."""
    token = await web.login("beheer", role="admin")
    changed = web.menu_path.read_text().replace("Assistente 1", "Assistente Een")
    response = await save(web, token, changed.replace("\n", "\r\n"))
    assert response.status == 303
    assert web.menu_path.read_bytes() == changed.encode()


async def test_a_rollback_restores_an_earlier_version_as_a_new_one(web: Web) -> None:
    """ "Terugzetten" re-applies version 1's text as a new version; file and running menu are back."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    original = web.menu_path.read_text()
    first = (await versions(web, "menu"))[0]
    changed = original.replace("Assistente 1", "Assistente Een")
    assert (await save(web, token, changed)).status == 303
    assert web.ctx.menus.current.headsets["assistent1"].name == "Assistente Een"
    response = await web.client.post(
        f"/beheer/menu/versies/{first.id}/terugzetten", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 303
    assert web.menu_path.read_text() == original
    assert web.ctx.menus.current.headsets["assistent1"].name == "Assistente 1"
    stored = await versions(web, "menu")
    assert len(stored) == 3
    assert (stored[0].content, stored[0].note, stored[0].created_by) == (
        original,
        f"teruggezet naar versie {first.id}",
        "beheer",
    )
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert audit[0].action == "menu_gewijzigd"
    assert audit[0].detail == {"versie": stored[0].id, "teruggezet_van": first.id}


async def test_a_rollback_to_a_version_that_no_longer_fits_is_refused(web: Web) -> None:
    """An old text is checked again: one the running config refuses shows its problems, nothing changes."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    before = web.menu_path.read_text()
    # A version with another practice id, stored as if it were an old one.
    other = before.replace(OPEN_ID, "  id: een-andere-praktijk\n")
    version, _ = await add_config_version(
        web.ctx.db.sessions, kind="menu", content=other, created_by="oud", now=web.clock()
    )
    running = web.ctx.menus.current
    response = await web.client.post(
        f"/beheer/menu/versies/{version.id}/terugzetten", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 400
    page = await response.text()
    assert refused_fields(page) == ["versie"]
    assert "practice.id" in page
    assert web.menu_path.read_text() == before
    assert web.ctx.menus.current is running


async def test_a_rollback_to_an_unknown_or_other_kind_of_version_is_404(web: Web) -> None:
    """A version id that does not exist, is not a number, or is of the other file is not found."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/capaciteit")
    capacity_version = (await versions(web, "capacity"))[0]
    for path in (
        "/beheer/menu/versies/999/terugzetten",
        "/beheer/menu/versies/abc/terugzetten",
        f"/beheer/menu/versies/{capacity_version.id}/terugzetten",
    ):
        response = await web.client.post(path, data={"csrf": token}, allow_redirects=False)
        assert response.status == 404, path


async def test_saving_the_running_text_again_changes_nothing(web: Web) -> None:
    """The text that runs, saved again, stores no version and audits nothing."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    running = web.ctx.menus.current
    response = await save(web, token, web.menu_path.read_text())
    assert response.status == 303
    assert response.headers["Location"] == "/beheer/menu?ongewijzigd"
    assert len(await versions(web, "menu")) == 1
    assert web.ctx.menus.current is running
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert "menu_gewijzigd" not in [a.action for a in audit]


async def test_empty_text_and_too_long_note_are_refused_naming_the_field(web: Web) -> None:
    """Bad form fields give a 400 that names them, and nothing is stored."""
    token = await web.login("beheer", role="admin")
    before = web.menu_path.read_bytes()
    empty = await save(web, token, "  \n ")
    assert empty.status == 400
    assert refused_fields(await empty.text()) == ["tekst"]
    long_note = await save(web, token, before.decode(), notitie="x" * 501)
    assert long_note.status == 400
    assert refused_fields(await long_note.text()) == ["notitie"]
    not_a_form = await web.client.post(
        "/beheer/menu", json={"tekst": "x"}, headers={"X-CSRF-Token": token}, allow_redirects=False
    )
    assert not_a_form.status == 415
    assert web.menu_path.read_bytes() == before
    assert [v.created_by for v in await versions(web, "menu")] == ["bestand"]


async def test_an_uploaded_yaml_file_is_checked_and_applied_like_the_text(web: Web) -> None:
    """A .yaml upload with a problem is refused at its line (field bestand); a valid one runs."""
    token = await web.login("beheer", role="admin")
    before = web.menu_path.read_text()
    running = web.ctx.menus.current

    async def upload(name: str, content: bytes):
        form = FormData()
        form.add_field("csrf", token)
        form.add_field("bestand", content, filename=name, content_type="application/x-yaml")
        return await web.client.post("/beheer/menu", data=form, allow_redirects=False)

    broken = before.replace("timeout: 5 ", "timeout: vijf ")
    refused = await upload("menu.yaml", broken.encode())
    assert refused.status == 400
    page = await refused.text()
    assert refused_fields(page) == ["bestand"]
    assert f"regel {line_of(broken, 'timeout: vijf')}: menu.timeout: " in page
    assert textarea(page) == broken
    wrong_type = await upload("menu.txt", before.encode())
    assert wrong_type.status == 400
    assert refused_fields(await wrong_type.text()) == ["bestand"]
    not_utf8 = await upload("menu.yaml", b"practice:\n  name: \xff\xfe\n")
    assert not_utf8.status == 400
    assert "not UTF-8" in await not_utf8.text()
    assert web.menu_path.read_text() == before
    assert web.ctx.menus.current is running
    changed = before.replace("Assistente 1", "Assistente Een")
    accepted = await upload("nieuw.yml", changed.encode())
    assert accepted.status == 303
    assert web.ctx.menus.current.headsets["assistent1"].name == "Assistente Een"


async def test_the_capacity_page_checks_and_applies_the_same_way(web: Web) -> None:
    """Capacity: a wrong value is refused at its line; a valid change runs and is audited."""
    token = await web.login("beheer", role="admin")
    page = await (await web.client.get("/beheer/capaciteit")).text()
    before = web.capacity_path.read_text()
    assert textarea(page) == before
    running = web.ctx.capacity.current
    broken = before.replace("calls_per_assistant_per_hour: 15", "calls_per_assistant_per_hour: -3")
    refused = await save(web, token, broken, path="/beheer/capaciteit")
    assert refused.status == 400
    assert f"regel {line_of(broken, 'calls_per_assistant_per_hour: -3')}: calls_per_assistant_per_hour: " in (
        await refused.text()
    )
    assert web.ctx.capacity.current is running
    assert web.capacity_path.read_text() == before
    changed = before.replace("calls_per_assistant_per_hour: 15", "calls_per_assistant_per_hour: 16")
    accepted = await save(web, token, changed, path="/beheer/capaciteit")
    assert accepted.status == 303
    assert web.ctx.capacity.current.calls_per_assistant_per_hour == 16
    assert running.calls_per_assistant_per_hour == 15
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert audit[0].action == "capaciteit_gewijzigd"


async def test_a_file_changed_by_hand_is_recorded_once_it_runs(web: Web) -> None:
    """A hand edit the holder accepted becomes a version by "bestand"; one it refused is only reported."""
    await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    original = web.menu_path.read_text()
    edited = original.replace("Assistente 1", "Assistente Hand")
    web.menu_path.write_text(edited)
    web.ctx.menus.reload_if_changed()  # what the watcher does every few seconds
    page = await (await web.client.get("/beheer/menu")).text()
    stored = await versions(web, "menu")
    assert [(v.created_by, v.content) for v in stored] == [("bestand", edited), ("bestand", original)]
    assert stored[0].applied_at is not None
    assert textarea(page) == edited
    web.menu_path.write_text(edited.replace("timeout: 5 ", "timeout: vijf "))
    web.ctx.menus.reload_if_changed()
    page = await (await web.client.get("/beheer/menu")).text()
    assert len(await versions(web, "menu")) == 2
    assert "buiten deze pagina gewijzigd" in page
    assert textarea(page) == edited


async def test_a_file_that_cannot_be_written_leaves_the_running_menu(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the file cannot be replaced the version is kept unapplied and the running menu stays."""
    token = await web.login("beheer", role="admin")
    await web.client.get("/beheer/menu")
    running = web.ctx.menus.current
    before = web.menu_path.read_text()

    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config_apply, "write_atomically", refuse)
    response = await save(web, token, before.replace("Assistente 1", "Assistente Een"))
    assert response.status == 500
    assert "kon niet worden geschreven" in await response.text()
    assert web.ctx.menus.current is running
    assert web.menu_path.read_text() == before
    newest = (await versions(web, "menu"))[0]
    assert newest.applied_at is None


async def test_the_page_checks_are_the_holders_own(web: Web) -> None:
    """check_text refuses what a reload refuses (unknown prompt) and accepts the running text."""
    text = web.menu_path.read_text()
    assert web.ctx.menus.check_text(text) == web.ctx.menus.current
    with pytest.raises(ConfigError):
        web.ctx.menus.check_text(text.replace("prompt: welkom", "prompt: onbekend_xyz"))
