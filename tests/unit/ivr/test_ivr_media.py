"""Prompt media: how long a prompt plays is read from its built WAV file, with a safe bound otherwise."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from ivr.core.media import LONGEST_RECORDING_SECONDS, UNKNOWN_PROMPT_SECONDS, Media


def write_wav(path: Path, seconds: float, rate: int = 8000, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x00\x00" * channels * int(seconds * rate))


def media_in(sounds: Path | None) -> Media:
    return Media(lambda name: f"sound:/var/lib/terugbel/sounds/{name}", sounds)


@pytest.mark.parametrize(("seconds", "rate", "channels"), [(1.5, 8000, 1), (4.25, 16000, 1), (2.0, 48000, 2)])
def test_a_prompts_length_is_read_from_its_wav_file(
    tmp_path: Path, seconds: float, rate: int, channels: int
) -> None:
    """The length is frames over the sample rate, whatever the rate or channel count."""
    write_wav(tmp_path / "welkom.wav", seconds, rate, channels)
    assert media_in(tmp_path).seconds("welkom") == pytest.approx(seconds)


def test_lengths_of_different_prompts_are_their_own(tmp_path: Path) -> None:
    """Each prompt gets the length of its own file, so a short prompt does not wait as long as a long one."""
    write_wav(tmp_path / "welkom.wav", 7.0)
    write_wav(tmp_path / "tot_ziens.wav", 1.0)
    media = media_in(tmp_path)
    assert (media.seconds("welkom"), media.seconds("tot_ziens")) == (pytest.approx(7.0), pytest.approx(1.0))


def test_a_missing_or_broken_file_gives_the_safe_bound(tmp_path: Path) -> None:
    """No file, a file that is not a WAV, or no sounds folder at all: the generous bound, not an error."""
    (tmp_path / "kapot.wav").write_bytes(b"RIFF\x00\x00 this is not audio")
    media = media_in(tmp_path)
    assert media.seconds("bestaat_niet") == UNKNOWN_PROMPT_SECONDS
    assert media.seconds("kapot") == UNKNOWN_PROMPT_SECONDS
    assert media_in(None).seconds("welkom") == UNKNOWN_PROMPT_SECONDS


def test_an_empty_prompt_file_gives_the_safe_bound_instead_of_failing_the_call(tmp_path: Path) -> None:
    """A zero-byte WAV (a build cut short, a full disk) gives the bound; it must not raise in a call."""
    (tmp_path / "leeg.wav").write_bytes(b"")
    (tmp_path / "kort.wav").write_bytes(b"RIFF")
    media = media_in(tmp_path)
    assert media.seconds("leeg") == UNKNOWN_PROMPT_SECONDS
    assert media.seconds("kort") == UNKNOWN_PROMPT_SECONDS


def test_a_stored_recording_plays_as_it_is_with_the_longest_recording_as_bound(tmp_path: Path) -> None:
    """A `recording:` name is passed to Asterisk unchanged and may last as long as any recording."""
    media = media_in(tmp_path)
    name = "recording:terugbelverzoek/20261123T091500Z-abc123"
    assert media.uri(name) == name
    assert media.seconds(name) == LONGEST_RECORDING_SECONDS
    assert media.uri("welkom") == "sound:/var/lib/terugbel/sounds/welkom"


def test_a_replaced_prompt_is_measured_again_after_forget(tmp_path: Path) -> None:
    """The length is kept once read; after a replaced prompt is forgotten, the new length counts."""
    write_wav(tmp_path / "welkom.wav", 7.0)
    media = media_in(tmp_path)
    assert media.seconds("welkom") == pytest.approx(7.0)
    write_wav(tmp_path / "welkom.wav", 2.0)
    assert media.seconds("welkom") == pytest.approx(7.0)
    media.forget("welkom")
    assert media.seconds("welkom") == pytest.approx(2.0)
