"""A practice's own recording, uploaded while the controller runs: decoded, converted and put in place.

The upload is decoded by sox with its type forced from the file name, so only the wav, mp3, ogg or flac
reader ever parses it (sox would otherwise pick a reader by the file's first bytes). It is converted to
what the build makes for Asterisk (8 kHz mono 16-bit WAV, prompts.build.SOX_TARGET) and stored as
`<name>.wav` in the practice's recordings folder, the one source PromptCatalog reads at the next start;
a recording of the same name in another format is removed, since two would refuse that start.

With the sounds folder given, the converted file is also placed there and the build's manifest records
it as built from this recording: Asterisk plays the new audio at once, and the next start's build sees
the prompt as up to date instead of rebuilding it (or, worse, keeping it as a generated one).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

# The build's own fingerprint and manifest, so this placement and the next build agree on what a prompt
# was made from; and its hold-music copy, which Asterisk's music class plays.
from prompts.build import (
    SOX_TARGET,
    TOOL_TIMEOUT,
    _fingerprint,
    _place_hold_music,
    _read_manifest,
    _sox_formats,
    _write_manifest,
)
from prompts.catalog import RECORDING_SUFFIXES, PromptSource
from prompts.names import HOLD_MUSIC, is_valid_prompt_name

# Hold music may be a few minutes; a spoken prompt is seconds. Longer is a wrong file, not a prompt.
MAX_SECONDS = 600.0
# sox's type names for the suffixes a recording may have (what `sox -h` lists as formats).
_SOX_TYPE = {".wav": "wav", ".mp3": "mp3", ".ogg": "ogg", ".flac": "flac"}
# The Debian package whose sox reader a suffix needs, for the message when it is missing.
_PACKAGE = {"mp3": "libsox-fmt-mp3"}


class RecordingRefused(Exception):
    """The upload cannot become a prompt; nothing was changed."""


class UnsupportedFormat(RecordingRefused):
    """The suffix is not a recording format, or this machine's sox cannot read it."""

    def __init__(self, suffix: str, package: str | None = None) -> None:
        self.suffix = suffix
        self.package = package
        super().__init__(f"cannot read {suffix!r} files" + (f": install {package}" if package else ""))


class NotAudio(RecordingRefused):
    """sox could not decode the file as the format its name says."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"not audio: {detail}")


class EmptyRecording(RecordingRefused):
    """The file decodes to no sound at all."""


class TooLong(RecordingRefused):
    """The recording plays longer than `limit` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        super().__init__(f"longer than {limit:g} s")


@dataclass(frozen=True)
class Replaced:
    """A recording now in place: its file in the recordings folder, how long it plays, removed duplicates."""

    path: Path
    seconds: float
    removed: tuple[Path, ...]
    live: bool  # also placed in the sounds folder Asterisk plays from


def sox_type(suffix: str) -> str | None:
    """sox's type name for a recording suffix (".wav", ".MP3", ...), or None if it is no recording format."""
    suffix = suffix.lower()
    return _SOX_TYPE.get(suffix) if suffix in RECORDING_SUFFIXES else None


def readable(suffix: str) -> UnsupportedFormat | None:
    """Why files with `suffix` cannot be read here, or None when sox reads them."""
    kind = sox_type(suffix)
    if kind is None:
        return UnsupportedFormat(suffix)
    if shutil.which("sox") is None:
        return UnsupportedFormat(suffix, "sox")
    if kind not in _sox_formats():
        return UnsupportedFormat(suffix, _PACKAGE.get(kind, "libsox-fmt-all"))
    return None


def recordings_of(recordings_dir: Path) -> dict[str, Path]:
    """The practice's recording per prompt name (wav preferred), skipping hidden and misnamed files."""
    found: dict[str, Path] = {}
    if not recordings_dir.is_dir():
        return found
    for path in sorted(recordings_dir.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in RECORDING_SUFFIXES or not path.is_file():
            continue
        if not is_valid_prompt_name(path.stem):
            continue
        if path.stem not in found or path.suffix.lower() == ".wav":
            found[path.stem] = path
    return found


def replace_prompt(
    name: str,
    upload: Path,
    suffix: str,
    recordings_dir: Path,
    sounds_dir: Path | None,
    *,
    max_seconds: float = MAX_SECONDS,
) -> Replaced:
    """Make the audio file `upload` (of type `suffix`) the practice's recording of prompt `name`.

    Raises RecordingRefused, and changes nothing, when the file cannot be read, is empty or too long;
    OSError when a folder cannot be written.
    """
    if not is_valid_prompt_name(name):
        raise ValueError(f"{name!r} is not a prompt name")
    problem = readable(suffix)
    if problem is not None:
        raise problem
    kind = sox_type(suffix)
    assert kind is not None  # readable() said so
    recordings_dir.mkdir(parents=True, exist_ok=True)
    target = recordings_dir / f"{name}.wav"
    # Hidden, so a catalog scan (a restart right now) never sees half a file; renamed into place.
    partial = recordings_dir / f".{name}.upload-{secrets.token_hex(6)}.wav"
    try:
        seconds = _convert(upload, kind, partial, max_seconds)
        partial.chmod(0o644)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    removed = _remove_others(recordings_dir, name, keep=target)
    live = sounds_dir is not None
    if sounds_dir is not None:
        _place_in_sounds(name, target, sounds_dir)
    return Replaced(target, seconds, removed, live)


def _convert(upload: Path, kind: str, out: Path, max_seconds: float) -> float:
    # `trim` stops decoding just past the limit: a long file costs the limit, not its length.
    command = [
        "sox",
        "-V1",
        "-t",
        kind,
        str(upload),
        *SOX_TARGET,
        "-t",
        "wav",
        str(out),
        "trim",
        "0",
        f"{max_seconds + 1:g}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise NotAudio(f"decoding took longer than {TOOL_TIMEOUT} s") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().replace(str(upload), "the file")
        raise NotAudio(detail or f"sox exit {result.returncode}")
    try:
        with wave.open(str(out), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
    except (OSError, EOFError, wave.Error) as exc:
        raise NotAudio(f"the conversion gave no readable WAV: {exc}") from None
    if frames == 0 or rate == 0:
        raise EmptyRecording("the file holds no sound")
    seconds = frames / rate
    if seconds > max_seconds:
        raise TooLong(max_seconds)
    return seconds


def _remove_others(recordings_dir: Path, name: str, keep: Path) -> tuple[Path, ...]:
    removed: list[Path] = []
    for path in recordings_dir.iterdir():
        if path == keep or path.stem != name or path.suffix.lower() not in RECORDING_SUFFIXES:
            continue
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return tuple(removed)


def _place_in_sounds(name: str, recording: Path, sounds_dir: Path) -> None:
    sounds_dir.mkdir(parents=True, exist_ok=True)
    target = sounds_dir / f"{name}.wav"
    # The build's own partial name, so a build and this never leave each other's leftovers behind.
    partial = sounds_dir / f".{name}.partial.wav"
    try:
        shutil.copyfile(recording, partial)
        partial.chmod(0o644)  # Asterisk runs as another user in the Docker setup
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = _read_manifest(sounds_dir)
    # Voice and speed only count for spoken texts; a recording's fingerprint is its file.
    manifest[name] = _fingerprint(PromptSource(name, None, recording), "nl", 150)
    _write_manifest(sounds_dir, manifest)
    if name == HOLD_MUSIC:
        _place_hold_music(sounds_dir)
