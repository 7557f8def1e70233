"""replace_prompt: an uploaded recording placed so that Asterisk plays it now and the next build agrees."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from prompts.build import HOLD_MUSIC_DIR, build_prompts
from prompts.catalog import PromptCatalog
from prompts.names import HOLD_MUSIC
from prompts.replace import (
    EmptyRecording,
    NotAudio,
    TooLong,
    UnsupportedFormat,
    recordings_of,
    replace_prompt,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs espeak-ng and sox (Debian packages espeak-ng, sox)",
)


def tone(path: Path, seconds: float, rate: int = 44100) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", str(rate), "-c", "2", str(path), "synth", str(seconds), "sine", "440"],
        check=True,
        capture_output=True,
    )
    return path


def frames(path: Path) -> tuple[int, int, int, int]:
    with wave.open(str(path), "rb") as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth(), audio.getnframes()


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    path = tmp_path / "texts.yaml"
    path.write_text("welkom: Welkom bij de praktijk.\n", encoding="utf-8")
    return path


def test_the_next_build_keeps_a_placed_recording_as_it_is(texts: Path, tmp_path: Path) -> None:
    """After a build, a replaced prompt is in the sounds folder at once and the next build leaves it."""
    recordings, sounds = tmp_path / "recordings", tmp_path / "sounds"
    recordings.mkdir()
    build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), sounds)
    replaced = replace_prompt("welkom", tone(tmp_path / "in.wav", 1.25), ".wav", recordings, sounds)
    assert replaced.path == recordings / "welkom.wav"
    assert replaced.seconds == pytest.approx(1.25)
    assert frames(sounds / "welkom.wav") == (8000, 1, 2, 10000)
    assert (sounds / "welkom.wav").read_bytes() == replaced.path.read_bytes()
    report = build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), sounds)
    assert "welkom" in report.unchanged
    assert (sounds / "welkom.wav").read_bytes() == replaced.path.read_bytes()


def test_removing_the_recording_by_hand_brings_the_spoken_prompt_back_at_the_next_build(
    texts: Path, tmp_path: Path
) -> None:
    """The manifest records the recording, so without it the build speaks the text again."""
    recordings, sounds = tmp_path / "recordings", tmp_path / "sounds"
    build_prompts(PromptCatalog(texts, None, spoken_pieces=False), sounds)
    spoken_frames = frames(sounds / "welkom.wav")[3]
    replace_prompt("welkom", tone(tmp_path / "in.wav", 1), ".wav", recordings, sounds)
    assert frames(sounds / "welkom.wav")[3] == 8000
    (recordings / "welkom.wav").unlink()
    report = build_prompts(PromptCatalog(texts, recordings, spoken_pieces=False), sounds)
    assert "welkom" in report.built
    # sox dithers, so the bytes differ between builds; the length is the spoken text's again.
    assert frames(sounds / "welkom.wav")[3] == spoken_frames != 8000


def test_hold_music_is_copied_where_music_on_hold_reads_it(tmp_path: Path) -> None:
    """A new wachtmuziek also replaces the copy in the music-on-hold folder."""
    replaced = replace_prompt(
        HOLD_MUSIC, tone(tmp_path / "in.wav", 2), ".wav", tmp_path / "r", tmp_path / "s"
    )
    assert (tmp_path / "s" / HOLD_MUSIC_DIR / f"{HOLD_MUSIC}.wav").read_bytes() == replaced.path.read_bytes()


def test_a_recording_in_another_format_is_removed(tmp_path: Path) -> None:
    """welkom.OGG next to the new welkom.wav would refuse the next start: it goes."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    (recordings / "welkom.OGG").write_bytes(b"old")
    (recordings / "welkom_extra.ogg").write_bytes(b"other prompt")
    replaced = replace_prompt("welkom", tone(tmp_path / "in.wav", 1), ".wav", recordings, None)
    assert replaced.removed == (recordings / "welkom.OGG",)
    assert sorted(p.name for p in recordings.iterdir()) == ["welkom.wav", "welkom_extra.ogg"]
    assert set(recordings_of(recordings)) == {"welkom", "welkom_extra"}


def test_refused_files_change_nothing(tmp_path: Path) -> None:
    """Not audio, no sound, too long or an unknown type: refused, and the folders stay as they were."""
    recordings, sounds = tmp_path / "recordings", tmp_path / "sounds"
    text = tmp_path / "text.wav"
    text.write_text("geen geluid")
    empty = tmp_path / "empty.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(empty), "trim", "0", "0"], check=True)
    long = tone(tmp_path / "long.wav", 3, rate=8000)
    with pytest.raises(NotAudio):
        replace_prompt("welkom", text, ".wav", recordings, sounds)
    with pytest.raises(EmptyRecording):
        replace_prompt("welkom", empty, ".wav", recordings, sounds)
    with pytest.raises(TooLong):
        replace_prompt("welkom", long, ".wav", recordings, sounds, max_seconds=2)
    with pytest.raises(UnsupportedFormat):
        replace_prompt("welkom", long, ".aiff", recordings, sounds)
    assert [p.name for p in recordings.iterdir()] == []
    assert not sounds.exists()


def test_the_type_comes_from_the_name_not_the_content(tmp_path: Path) -> None:
    """A wav posted as .ogg is decoded as ogg and refused: sox never picks another reader by content."""
    with pytest.raises(NotAudio):
        replace_prompt("welkom", tone(tmp_path / "in.wav", 1), ".ogg", tmp_path / "r", None)
