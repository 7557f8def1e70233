"""What a call plays: a prompt's ARI media URI, and how long it lasts (for the wait's deadline)."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

# A stored recording (a caller's voice note played to the assistant) is played as it is. Its length is not
# known here; recordings are at most this long (dialplan's voice_note_seconds and record max_seconds).
RECORDING_PREFIX = "recording:"
LONGEST_RECORDING_SECONDS = 300.0
UNKNOWN_PROMPT_SECONDS = 60.0


class Media:
    """Prompt names to ARI media and lengths, read from the built prompt files once and kept."""

    def __init__(self, uri: Callable[[str], str], sounds_dir: Path | None = None) -> None:
        self._uri = uri
        self._sounds_dir = sounds_dir
        self._seconds: dict[str, float] = {}

    def uri(self, name: str) -> str:
        return name if name.startswith(RECORDING_PREFIX) else self._uri(name)

    def seconds(self, name: str) -> float:
        """How long `name` plays; a generous bound when that cannot be read."""
        if name.startswith(RECORDING_PREFIX):
            return LONGEST_RECORDING_SECONDS
        if name not in self._seconds:
            self._seconds[name] = self._read(name)
        return self._seconds[name]

    def forget(self, name: str) -> None:
        """A prompt was replaced (an admin uploaded a recording): read its length again when next played."""
        self._seconds.pop(name, None)

    def _read(self, name: str) -> float:
        if self._sounds_dir is None:
            return UNKNOWN_PROMPT_SECONDS
        try:
            with wave.open(str(self._sounds_dir / f"{name}.wav"), "rb") as audio:
                return audio.getnframes() / float(audio.getframerate())
        except (OSError, EOFError, wave.Error, ZeroDivisionError):  # EOFError: an empty or cut-off file
            return UNKNOWN_PROMPT_SECONDS
