"""Build the prompt audio Asterisk plays: 8 kHz, mono, 16-bit signed PCM WAV (format_wav).

Text prompts are spoken by espeak-ng; a practice's own recording is converted by sox instead. The
build is incremental: a manifest remembers what each file was built from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.yamlload import ConfigError
from prompts.catalog import PromptCatalog, PromptSource
from prompts.names import BEEP, HOLD_MUSIC, is_valid_prompt_name

MANIFEST = "prompts-manifest.json"
# Asterisk's own hold music reads this folder of the sounds directory (asterisk-config/musiconhold.conf, class
# `terugbel`), so a waiting caller keeps hearing music while the controller is away. A files class plays
# every file in its folder: it holds the hold music only.
HOLD_MUSIC_DIR = "moh"
# Bump when the conversion below changes, so every prompt is rebuilt once.
FORMAT_VERSION = 1
SOX_TARGET = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
TOOL_TIMEOUT = 120


class BuildError(Exception):
    """A prompt could not be built (missing tool, unreadable recording, tool failure)."""


@dataclass
class BuildReport:
    """Which prompts were (re)built, left as they were, and removed because they no longer exist."""

    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Manifest entries that are not prompt names (a damaged or crafted manifest): never touched, dropped.
    ignored: list[str] = field(default_factory=list)


def build_prompts(
    catalog: PromptCatalog, out_dir: Path, *, voice: str = "nl", speed: int = 150
) -> BuildReport:
    """Build every prompt of `catalog` into `out_dir/<name>.wav`, skipping those already up to date."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    old = _read_manifest(out_dir)
    # The names become paths to unlink: anything but a plain prompt name ("../x", "/etc/x") could reach
    # outside the folder, so such entries are never acted on.
    report.ignored = sorted(name for name in old if not is_valid_prompt_name(name))
    old = {name: value for name, value in old.items() if is_valid_prompt_name(name)}
    manifest: dict[str, str] = {}
    todo: list[tuple[PromptSource, str]] = []
    for source in catalog.sources():
        fingerprint = _fingerprint(source, voice, speed)
        if old.get(source.name) == fingerprint and (out_dir / f"{source.name}.wav").is_file():
            manifest[source.name] = fingerprint
            report.unchanged.append(source.name)
        else:
            todo.append((source, fingerprint))
    # Only files this build made are removed: the directory may also hold other sounds.
    for name in sorted(set(old) - catalog.names()):
        (out_dir / f"{name}.wav").unlink(missing_ok=True)
        report.removed.append(name)
    try:
        _check_tools([source for source, _ in todo])
        for source, fingerprint in todo:
            _build_one(source, out_dir / f"{source.name}.wav", voice, speed)
            manifest[source.name] = fingerprint
            report.built.append(source.name)
    finally:
        # Written even after a failure, so the prompts that did build are not built again.
        _write_manifest(out_dir, manifest)
    _place_hold_music(out_dir)
    return report


def _place_hold_music(out_dir: Path) -> None:
    """Copy the hold music into HOLD_MUSIC_DIR when the copy there differs, readable by Asterisk's user."""
    source = out_dir / f"{HOLD_MUSIC}.wav"
    folder = out_dir / HOLD_MUSIC_DIR
    target = folder / source.name
    folder.mkdir(exist_ok=True)
    folder.chmod(0o755)  # Asterisk runs as another user in the Docker setup; a strict umask must not hide it
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    # Renamed into place (the name starts with a dot, which a files class skips): never half a file.
    partial = folder / f".{source.stem}.partial.wav"
    try:
        shutil.copyfile(source, partial)
        partial.chmod(0o644)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _fingerprint(source: PromptSource, voice: str, speed: int) -> str:
    facts: dict[str, object] = {"format": FORMAT_VERSION, "kind": source.kind}
    if source.recording is not None:
        stat = source.recording.stat()
        facts |= {"file": str(source.recording.resolve()), "mtime_ns": stat.st_mtime_ns, "size": stat.st_size}
    elif source.text is not None:
        facts |= {"text": source.text, "voice": voice, "speed": speed}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _check_tools(todo: list[PromptSource]) -> None:
    if not todo:
        return
    if shutil.which("sox") is None:
        raise BuildError("sox not found: install the Debian package 'sox' (apt-get install sox)")
    if any(s.kind == "text" for s in todo) and shutil.which("espeak-ng") is None:
        raise BuildError(
            "espeak-ng not found: install the Debian package 'espeak-ng' (apt-get install espeak-ng)"
        )
    suffixes = {s.recording.suffix.lower().lstrip(".") for s in todo if s.recording is not None}
    missing = suffixes - _sox_formats()
    if missing:
        package = "libsox-fmt-mp3" if "mp3" in missing else "libsox-fmt-all"
        raise BuildError(
            f"sox cannot read {', '.join(sorted(missing))} files: install the Debian package '{package}'"
        )


def _sox_formats() -> set[str]:
    result = subprocess.run(["sox", "-h"], capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("AUDIO FILE FORMATS:"):
            return set(line.split(":", 1)[1].split())
    return set()


_TONES = {
    # The beep before a recording; short fades avoid clicks on the line.
    BEEP: ["synth", "0.4", "sine", "1000", "fade", "0.01", "0.4", "0.01", "vol", "0.5"],
    # A soft plucked tone every 1.5 s for 30 s: tells the waiting caller the line is alive.
    HOLD_MUSIC: ["synth", "1.5", "pluck", "C4", "fade", "0", "1.5", "1.2", "repeat", "19", "vol", "0.3"],
}


def _build_one(source: PromptSource, target: Path, voice: str, speed: int) -> None:
    # Built next to the target and renamed into place: Asterisk never plays a half-written file.
    partial = target.with_name(f".{target.stem}.partial.wav")
    try:
        if source.recording is not None:
            _run(source.name, ["sox", str(source.recording), *SOX_TARGET, str(partial)])
        elif source.text is not None:
            with tempfile.TemporaryDirectory() as tmp:
                spoken = Path(tmp) / "espeak.wav"
                espeak = ["espeak-ng", "-v", voice, "-s", str(speed), "-b", "1", "-w", str(spoken), "--stdin"]
                _run(source.name, espeak, stdin=source.text)
                _run(source.name, ["sox", str(spoken), *SOX_TARGET, str(partial)])
        else:
            _run(source.name, ["sox", "-n", *SOX_TARGET, str(partial), *_TONES[source.name]])
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _run(name: str, command: list[str], *, stdin: str | None = None) -> None:
    try:
        result = subprocess.run(
            command,
            input=stdin.encode("utf-8") if stdin is not None else None,
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{name}: {command[0]} failed: {exc}") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise BuildError(f"{name}: {command[0]} failed (exit {result.returncode}): {detail}")


def _read_manifest(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no or broken manifest: everything is simply rebuilt
    prompts = data.get("prompts") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in prompts.items()} if isinstance(prompts, dict) else {}


def _write_manifest(out_dir: Path, manifest: dict[str, str]) -> None:
    path = out_dir / MANIFEST
    partial = path.with_name(f".{MANIFEST}.partial")
    partial.write_text(
        json.dumps({"prompts": dict(sorted(manifest.items()))}, indent=2) + "\n", encoding="utf-8"
    )
    os.replace(partial, path)


def run(argv: list[str]) -> int:
    """`terugbel prompts build --out DIR [--texts FILE] [--recordings DIR]`; 0 on success, 1 on failure."""
    parser = argparse.ArgumentParser(prog="terugbel prompts build", description="Build the prompt audio.")
    parser.add_argument("--out", required=True, type=Path, help="directory for the .wav files")
    parser.add_argument("--texts", type=Path, help="prompt texts (default: the packaged Dutch texts)")
    parser.add_argument(
        "--recordings", type=Path, help="the practice's own recordings, <name>.wav|mp3|ogg|flac"
    )
    parser.add_argument("--voice", default="nl", help="espeak-ng voice (default: nl)")
    parser.add_argument("--speed", type=int, default=150, help="espeak-ng words per minute (default: 150)")
    args = parser.parse_args(argv)
    try:
        catalog = PromptCatalog(args.texts, args.recordings)
        report = build_prompts(catalog, args.out, voice=args.voice, speed=args.speed)
    except (ConfigError, BuildError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if report.ignored:
        names = ", ".join(repr(name) for name in report.ignored)
        print(f"{args.out / MANIFEST}: ignored entries that are not prompt names: {names}", file=sys.stderr)
    print(
        f"{args.out}: built {len(report.built)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}"
    )
    return 0
