"""The recordings admin page: a real audio upload is converted for Asterisk; anything else changes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from prompts.replace import readable
from storage.audit import audit_entries
from tests.unit.web.admin_support import admin_routes, refused_fields
from tests.unit.web.conftest import Web

pytestmark = pytest.mark.skipif(shutil.which("sox") is None, reason="sox converts the recordings")


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    """A folder of source files: CD-quality stereo wav and ogg, a text file, a header-only wav."""
    folder = tmp_path / "bron"
    folder.mkdir()
    sox("-n", "-r", "44100", "-c", "2", str(folder / "toon.wav"), "synth", "1.5", "sine", "440")
    if readable(".ogg") is None:
        sox("-n", "-r", "44100", "-c", "2", str(folder / "toon.ogg"), "synth", "2", "sine", "440")
    if readable(".mp3") is None:
        sox("-n", "-r", "44100", "-c", "2", str(folder / "toon.mp3"), "synth", "1", "sine", "440")
    sox("-n", "-r", "8000", "-c", "1", str(folder / "leeg.wav"), "trim", "0", "0")
    (folder / "tekst.wav").write_text("Dit is geen geluid.\n")
    return folder


def recorded(web: Web) -> list[str]:
    folder = web.ctx.practice_recordings
    assert folder is not None
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def upload(
    client: TestClient, token: str | None, name: str, content: bytes, filename: str, *, csrf: bool = True
):
    form = FormData()
    if csrf and token is not None:
        form.add_field("csrf", token)
    form.add_field("naam", name)
    form.add_field("file", content, filename=filename, content_type="application/octet-stream")
    return await client.post("/beheer/opnames", data=form, allow_redirects=False)


async def test_an_assistant_gets_403_on_every_recordings_path(web: Web, audio: Path) -> None:
    """Page, upload and playback all refuse an assistant; nothing is written."""
    token = await web.login("anna")
    routes = admin_routes(web.client.server.app, "/beheer/opnames")
    assert len(routes) == 3
    for method, path in routes:
        form = FormData()
        form.add_field("csrf", token)
        form.add_field("naam", "welkom")
        form.add_field("file", (audio / "toon.wav").read_bytes(), filename="toon.wav")
        response = await web.client.request(method, path, data=form, allow_redirects=False)
        assert response.status == 403, (method, path)
    assert recorded(web) == []


async def test_a_logged_out_client_is_sent_to_the_login_page(web: Web) -> None:
    """Without a login every recordings route redirects to /login."""
    for method, path in admin_routes(web.client.server.app, "/beheer/opnames"):
        response = await web.client.request(method, path, allow_redirects=False)
        assert response.status == 303, (method, path)
        assert response.headers["Location"] == "/login"


async def test_an_upload_without_csrf_is_refused_and_changes_nothing(web: Web, audio: Path) -> None:
    """A recording posted without the CSRF token is a 403 and is not stored."""
    token = await web.login("beheer", role="admin")
    response = await upload(
        web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "toon.wav", csrf=False
    )
    assert response.status == 403
    assert recorded(web) == []


async def test_an_uploaded_wav_is_converted_listed_and_played_back(web: Web, audio: Path) -> None:
    """A 44.1 kHz stereo wav becomes welkom.wav at 8 kHz mono 16-bit, shown with a player, audited."""
    token = await web.login("beheer", role="admin")
    response = await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "mijn opname.WAV")
    assert response.status == 303
    assert response.headers["Location"] == "/beheer/opnames?opgeslagen=welkom"
    assert recorded(web) == ["welkom.wav"]
    stored = web.ctx.practice_recordings / "welkom.wav"
    with wave.open(str(stored), "rb") as result:
        assert (result.getframerate(), result.getnchannels(), result.getsampwidth()) == (8000, 1, 2)
        assert result.getnframes() == 12000  # 1.5 s
    page = await (await web.client.get(response.headers["Location"])).text()
    assert "De opname voor welkom is opgeslagen" in page
    assert '<audio controls preload="none" src="/beheer/opnames/welkom/geluid?v=' in page
    played = await web.client.get("/beheer/opnames/welkom/geluid")
    assert played.status == 200
    assert played.headers["Content-Type"] == "audio/wav"
    assert await played.read() == stored.read_bytes()
    audit = await audit_entries(web.ctx.db.sessions, username="beheer")
    assert [(a.action, a.target_id, a.detail) for a in audit if a.action == "opname_vervangen"] == [
        ("opname_vervangen", "welkom", {"seconden": 1.5, "formaat": "wav", "direct": False})
    ]


async def test_with_the_sounds_folder_known_the_recording_plays_at_once(
    web: Web, audio: Path, tmp_path: Path
) -> None:
    """The converted file is placed in the sounds folder with a manifest entry, and the hook is told."""
    sounds = tmp_path / "sounds"
    told: list[str] = []
    web.ctx.sounds_dir = sounds
    web.ctx.prompt_replaced = told.append
    token = await web.login("beheer", role="admin")
    response = await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "toon.wav")
    assert response.status == 303
    assert (sounds / "welkom.wav").read_bytes() == (web.ctx.practice_recordings / "welkom.wav").read_bytes()
    manifest = json.loads((sounds / "prompts-manifest.json").read_text())
    assert set(manifest["prompts"]) == {"welkom"}
    assert told == ["welkom"]


@pytest.mark.skipif(readable(".ogg") is not None, reason="this sox reads no ogg")
async def test_an_ogg_replaces_an_earlier_recording_in_another_format(web: Web, audio: Path) -> None:
    """An ogg becomes welkom.wav, and a welkom.ogg placed by hand is removed (two would refuse a start)."""
    folder = web.ctx.practice_recordings
    folder.mkdir()
    shutil.copy(audio / "toon.ogg", folder / "welkom.ogg")
    token = await web.login("beheer", role="admin")
    response = await upload(web.client, token, "welkom", (audio / "toon.ogg").read_bytes(), "nieuw.ogg")
    assert response.status == 303
    assert recorded(web) == ["welkom.wav"]
    with wave.open(str(folder / "welkom.wav"), "rb") as result:
        assert result.getframerate() == 8000
        assert result.getnframes() == 16000


@pytest.mark.skipif(readable(".mp3") is not None, reason="this sox cannot read mp3")
async def test_an_mp3_is_converted_for_asterisk(web: Web, audio: Path) -> None:
    """An mp3 (the usual export of a phone or a studio) becomes an 8 kHz mono wav of the same length."""
    token = await web.login("beheer", role="admin")
    response = await upload(web.client, token, "welkom", (audio / "toon.mp3").read_bytes(), "studio.mp3")
    assert response.status == 303
    assert recorded(web) == ["welkom.wav"]
    with wave.open(str(web.ctx.practice_recordings / "welkom.wav"), "rb") as result:
        assert (result.getframerate(), result.getnchannels()) == (8000, 1)
        assert 7500 <= result.getnframes() <= 9000  # mp3 frames pad the end a little


async def test_a_text_file_is_refused_and_the_earlier_recording_stays(web: Web, audio: Path) -> None:
    """A text file named .wav is no audio: 400 naming the file field, the stored recording untouched."""
    token = await web.login("beheer", role="admin")
    assert (
        await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "a.wav")
    ).status == 303
    before = (web.ctx.practice_recordings / "welkom.wav").read_bytes()
    response = await upload(web.client, token, "welkom", (audio / "tekst.wav").read_bytes(), "tekst.wav")
    assert response.status == 400
    page = await response.text()
    assert refused_fields(page) == ["file"]
    assert "geen geluidsbestand" in page
    assert recorded(web) == ["welkom.wav"]
    assert (web.ctx.practice_recordings / "welkom.wav").read_bytes() == before


async def test_wrong_files_and_names_are_refused_naming_the_field(web: Web, audio: Path) -> None:
    """Unknown name, other type, empty file, silence-only header, no file: each a 4xx naming its field."""
    token = await web.login("beheer", role="admin")
    tone = (audio / "toon.wav").read_bytes()
    cases = [
        (("bestaat_niet_xyz", tone, "a.wav"), "naam", "bestaat niet"),
        (("../welkom", tone, "a.wav"), "naam", "bestaat niet"),
        (("welkom", b"Hallo", "notities.txt"), "file", "alleen een wav-, mp3- of ogg-bestand"),
        (("welkom", b"", "leeg.wav"), "file", "het bestand is leeg"),
        (("welkom", (audio / "leeg.wav").read_bytes(), "leeg.wav"), "file", "bevat geen geluid"),
    ]
    for (name, content, filename), field, message in cases:
        response = await upload(web.client, token, name, content, filename)
        assert response.status == 400, (name, filename)
        page = await response.text()
        assert refused_fields(page) == [field], (name, filename)
        assert message in page, (name, filename)
    no_file = FormData()
    no_file.add_field("csrf", token)
    no_file.add_field("naam", "welkom")
    response = await web.client.post("/beheer/opnames", data=no_file, allow_redirects=False)
    assert response.status == 400
    assert refused_fields(await response.text()) == ["file"]
    assert recorded(web) == []


async def test_a_recording_longer_than_ten_minutes_is_refused(web: Web, tmp_path: Path) -> None:
    """A file that plays longer than the limit is refused and not stored."""
    long_file = tmp_path / "lang.wav"
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(long_file), "synth", "601", "sine", "300")
    token = await web.login("beheer", role="admin")
    response = await upload(web.client, token, "wachtmuziek", long_file.read_bytes(), "lang.wav")
    assert response.status == 400
    page = await response.text()
    assert refused_fields(page) == ["file"]
    assert "langer dan 10 minuten" in page
    assert recorded(web) == []


@pytest.mark.skipif(readable(".mp3") is None, reason="this sox reads mp3")
async def test_an_mp3_is_refused_with_the_missing_package_named(web: Web, audio: Path) -> None:
    """Where sox lacks mp3 support the page says so, and names the Debian package, instead of failing."""
    token = await web.login("beheer", role="admin")
    page = await (await web.client.get("/beheer/opnames")).text()
    assert "libsox-fmt-mp3" in page
    response = await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "a.mp3")
    assert response.status == 400
    text = await response.text()
    assert refused_fields(text) == ["file"]
    assert "libsox-fmt-mp3" in text
    assert recorded(web) == []


async def test_without_a_recordings_folder_uploads_are_refused(web: Web, audio: Path) -> None:
    """With no practice recordings folder configured the page says so and an upload is a 409."""
    web.ctx.practice_recordings = None
    token = await web.login("beheer", role="admin")
    page = await (await web.client.get("/beheer/opnames")).text()
    assert "TERUGBEL_PRACTICE_RECORDINGS" in page
    response = await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "a.wav")
    assert response.status == 409
    assert refused_fields(await response.text()) == ["file"]


async def test_playback_of_a_prompt_without_recording_is_404(web: Web) -> None:
    """Only a practice recording is served; a generated or unknown prompt is not found."""
    await web.login("beheer", role="admin")
    for name in ("welkom", "bestaat_niet_xyz", "..%2Fetc"):
        response = await web.client.get(f"/beheer/opnames/{name}/geluid")
        assert response.status == 404, name


async def test_the_page_lists_every_prompt_with_its_source(web: Web, audio: Path) -> None:
    """Each prompt name is listed; a recorded one says "eigen opname", the others "gegenereerd"."""
    token = await web.login("beheer", role="admin")
    assert (
        await upload(web.client, token, "welkom", (audio / "toon.wav").read_bytes(), "a.wav")
    ).status == 303
    page = await (await web.client.get("/beheer/opnames")).text()
    names = web.ctx.prompt_names()
    assert all(f'<tr id="melding-{name}">' in page for name in names)
    assert page.count('<span class="ok">eigen opname</span>') == 1
    assert page.count("<td>gegenereerd</td>") == len(names) - 1
