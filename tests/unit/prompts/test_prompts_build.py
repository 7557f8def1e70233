"""build_prompts: real audio with espeak-ng and sox, in the format Asterisk plays."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from prompts import build as build_module
from prompts.build import HOLD_MUSIC_DIR, MANIFEST, BuildError, build_prompts, run
from prompts.catalog import PromptCatalog
from prompts.names import HOLD_MUSIC
from prompts.spoken import generated_texts

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs espeak-ng and sox (Debian packages espeak-ng, sox)",
)

TEXTS = "welkom: Welkom bij de praktijk. Voor spoed, toets 1.\ntot_ziens: Dank u wel voor het bellen.\n"


def info(path: Path, flag: str) -> str:
    return subprocess.run(
        ["sox", "--i", flag, str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def assert_asterisk_wav(path: Path) -> float:
    """Assert 8000 Hz, mono, 16-bit signed PCM and return the duration in seconds."""
    assert (info(path, "-r"), info(path, "-c"), info(path, "-b"), info(path, "-e")) == (
        "8000",
        "1",
        "16",
        "Signed Integer PCM",
    )
    return float(info(path, "-D"))


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    """A small texts file, so the tests stay quick."""
    path = tmp_path / "texts.yaml"
    path.write_text(TEXTS, encoding="utf-8")
    return path


def test_builds_spoken_prompts_for_asterisk(texts: Path, tmp_path: Path) -> None:
    """Every text becomes an 8 kHz mono 16-bit WAV of real speech, plus the beep."""
    out = tmp_path / "out"
    report = build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    assert sorted(report.built) == ["piep", "tot_ziens", "wachtmuziek", "welkom"]
    assert assert_asterisk_wav(out / "welkom.wav") > 0.5
    assert assert_asterisk_wav(out / "tot_ziens.wav") > 0.5
    assert assert_asterisk_wav(out / "piep.wav") == pytest.approx(0.4, abs=0.01)


def test_practice_recording_replaces_the_generated_prompt(texts: Path, tmp_path: Path) -> None:
    """A 44.1 kHz stereo recording is used instead of the text and converted to 8 kHz mono."""
    recordings = tmp_path / "rec"
    recordings.mkdir()
    recording = recordings / "welkom.flac"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(recording), "synth", "1.7", "sine", "440"], check=True
    )
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), out)
    assert assert_asterisk_wav(out / "welkom.wav") == pytest.approx(1.7, abs=0.01)


def test_unchanged_prompts_are_not_rebuilt(texts: Path, tmp_path: Path) -> None:
    """A second build leaves unchanged files alone and rebuilds only the changed text."""
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.wav")}
    texts.write_text(TEXTS.replace("Dank u wel", "Bedankt"), encoding="utf-8")
    report = build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    assert report.built == ["tot_ziens"]
    assert sorted(report.unchanged) == ["piep", "wachtmuziek", "welkom"]
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.wav")}
    assert after["welkom.wav"] == before["welkom.wav"] and after["piep.wav"] == before["piep.wav"]


def test_voice_change_rebuilds(texts: Path, tmp_path: Path) -> None:
    """Changing the speaking speed rebuilds every spoken prompt (but not the beep)."""
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    report = build_prompts(PromptCatalog(texts, spoken_pieces=False), out, speed=130)
    assert sorted(report.built) == ["tot_ziens", "welkom"]


def test_removed_prompts_are_removed(texts: Path, tmp_path: Path) -> None:
    """A prompt removed from the texts loses its file; files the build did not make are kept."""
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    (out / "eigen.wav").write_bytes(b"not ours")
    texts.write_text("welkom: Welkom.\n", encoding="utf-8")
    report = build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    assert report.removed == ["tot_ziens"]
    assert not (out / "tot_ziens.wav").exists()
    assert (out / "eigen.wav").exists()
    assert "tot_ziens" not in (out / MANIFEST).read_text()


def test_missing_espeak_names_the_package(texts: Path, tmp_path: Path, monkeypatch) -> None:
    """Without espeak-ng the build fails with the Debian package to install."""
    real_which = shutil.which
    monkeypatch.setattr(
        build_module.shutil, "which", lambda name: None if name == "espeak-ng" else real_which(name)
    )
    with pytest.raises(BuildError, match="Debian package 'espeak-ng'"):
        build_prompts(PromptCatalog(texts, spoken_pieces=False), tmp_path / "out")


def test_missing_sox_names_the_package(texts: Path, tmp_path: Path, monkeypatch) -> None:
    """Without sox the build fails with the Debian package to install."""
    monkeypatch.setattr(build_module.shutil, "which", lambda name: None)
    with pytest.raises(BuildError, match="Debian package 'sox'"):
        build_prompts(PromptCatalog(texts, spoken_pieces=False), tmp_path / "out")


def test_run_builds_and_reports(texts: Path, tmp_path: Path, capsys) -> None:
    """The CLI entry builds into --out and prints a summary."""
    out = tmp_path / "out"
    assert run(["--out", str(out), "--texts", str(texts)]) == 0
    # The three texts, the hold music, and the generated pieces for spoken callback times, days and digits.
    expected = 4 + len(generated_texts())
    assert capsys.readouterr().out == f"{out}: built {expected}, unchanged 0, removed 0\n"
    assert (out / "welkom.wav").is_file()


def test_run_reports_a_broken_texts_file(tmp_path: Path, capsys) -> None:
    """A broken texts file makes the CLI print the located problem and exit 1."""
    bad = tmp_path / "texts.yaml"
    bad.write_text("welkom: [\n", encoding="utf-8")
    assert run(["--out", str(tmp_path / "out"), "--texts", str(bad)]) == 1
    assert f"{bad}:2: (yaml): YAML syntax error" in capsys.readouterr().err


def test_unsupported_recording_format_names_the_package(tmp_path: Path, monkeypatch) -> None:
    """An mp3 recording with a sox that cannot read mp3 fails with the package that adds it."""
    recordings = tmp_path / "rec"
    recordings.mkdir()
    (recordings / "welkom.mp3").write_bytes(b"")
    monkeypatch.setattr(build_module, "_sox_formats", lambda: {"wav", "flac", "ogg"})
    texts = tmp_path / "texts.yaml"
    texts.write_text("welkom: Welkom.\n", encoding="utf-8")
    with pytest.raises(BuildError, match="libsox-fmt-mp3"):
        build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), tmp_path / "out")


def test_a_crafted_manifest_never_deletes_outside_the_folder(texts: Path, tmp_path: Path) -> None:
    """Manifest entries that are not prompt names (a path up, an absolute path) delete nothing."""
    out = tmp_path / "sounds" / "out"
    out.mkdir(parents=True)
    victims = [tmp_path / "victim.wav", tmp_path / "sounds" / "victim.wav", tmp_path / "absolute.wav"]
    for victim in victims:
        victim.write_bytes(b"not the build's")
    crafted = ["../../victim", "../victim", str(tmp_path / "absolute"), "welkom/../../victim"]
    (out / MANIFEST).write_text(json.dumps({"prompts": dict.fromkeys(crafted, "x")}), encoding="utf-8")
    report = build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    assert [v for v in victims if not v.exists()] == []
    assert report.removed == []
    assert not set(crafted) & set(json.loads((out / MANIFEST).read_text())["prompts"])


def test_a_crafted_manifest_is_reported_by_the_cli(texts: Path, tmp_path: Path, capsys) -> None:
    """The CLI names the manifest and the entries it ignored, and still builds."""
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"prompts": {"../x": "y"}}), encoding="utf-8")
    assert run(["--out", str(out), "--texts", str(texts)]) == 0
    assert f"{out / MANIFEST}: ignored entries that are not prompt names: '../x'" in capsys.readouterr().err


def test_hold_music_is_placed_where_asterisk_music_on_hold_reads_it(texts: Path, tmp_path: Path) -> None:
    """The build copies the hold music, alone and readable by all, into the moh folder (musiconhold.conf)."""
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    moh = out / HOLD_MUSIC_DIR
    assert [p.name for p in moh.iterdir()] == [f"{HOLD_MUSIC}.wav"]
    assert (moh / f"{HOLD_MUSIC}.wav").read_bytes() == (out / f"{HOLD_MUSIC}.wav").read_bytes()
    assert (moh / f"{HOLD_MUSIC}.wav").stat().st_mode & 0o777 == 0o644
    assert moh.stat().st_mode & 0o777 == 0o755


def test_hold_music_follows_a_practice_recording(texts: Path, tmp_path: Path) -> None:
    """A practice's own hold music replaces the copy Asterisk plays; a lost copy is put back unchanged."""
    out = tmp_path / "out"
    build_prompts(PromptCatalog(texts, spoken_pieces=False), out)
    recordings = tmp_path / "rec"
    recordings.mkdir()
    own = recordings / f"{HOLD_MUSIC}.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(own), "synth", "2", "sine", "300"], check=True)
    build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), out)
    placed = out / HOLD_MUSIC_DIR / f"{HOLD_MUSIC}.wav"
    assert assert_asterisk_wav(placed) == pytest.approx(2.0, abs=0.01)
    placed.unlink()
    report = build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), out)
    assert report.built == [] and placed.read_bytes() == (out / f"{HOLD_MUSIC}.wav").read_bytes()
