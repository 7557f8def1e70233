"""Which prompts exist: the Dutch texts, plus a practice's own recordings that replace or add prompts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, RootModel, StringConstraints

from common.yamlload import ConfigError, ConfigProblem, load_model
from prompts.names import TONES, is_valid_prompt_name
from prompts.spoken import generated_texts

DEFAULT_TEXTS = Path(__file__).with_name("texts.yaml")
RECORDING_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac")


def _name(value: str) -> str:
    if not is_valid_prompt_name(value):
        raise ValueError(f"{value!r} is not a prompt name; use letters, digits, _ and - only")
    return value


_Name = Annotated[str, AfterValidator(_name)]
_Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Texts(RootModel[dict[_Name, _Text]]):
    """The texts file: prompt name -> Dutch text."""


@dataclass(frozen=True)
class PromptSource:
    """Where a prompt's audio comes from: a practice recording, else the text, else (the beep) a tone."""

    name: str
    text: str | None
    recording: Path | None

    @property
    def kind(self) -> str:
        """'recording', 'text' or 'tone'."""
        if self.recording is not None:
            return "recording"
        return "text" if self.text is not None else "tone"


class PromptCatalog:
    """All prompt names the menu may use, with their text and/or the practice's recording."""

    def __init__(
        self,
        texts_path: Path | None = None,
        recordings_dir: Path | None = None,
        *,
        spoken_pieces: bool = True,
    ) -> None:
        """Read the texts (default: the packaged Dutch texts) and scan `recordings_dir` if given.

        `spoken_pieces` adds the generated times, days and digits (prompts.spoken) that callback offers
        are built from. Raises ConfigError for a broken texts file or an unusable recording file name.
        """
        # The spoken pieces come first so the texts file can reword any of them.
        pieces = generated_texts() if spoken_pieces else {}
        texts = {**pieces, **load_model(texts_path or DEFAULT_TEXTS, _Texts).root}
        recordings = _scan_recordings(recordings_dir) if recordings_dir is not None else {}
        names = {*texts, *recordings, *TONES}
        self._sources = {
            name: PromptSource(name, texts.get(name), recordings.get(name)) for name in sorted(names)
        }

    def names(self) -> set[str]:
        """Every prompt name, including the beep and names that only exist as a recording."""
        return set(self._sources)

    def source(self, name: str) -> PromptSource:
        """Where the audio of `name` comes from; KeyError for an unknown name."""
        return self._sources[name]

    def sources(self) -> list[PromptSource]:
        """All prompts, sorted by name."""
        return list(self._sources.values())

    def text(self, name: str) -> str | None:
        """The Dutch text of `name`; None when it only exists as a recording (or is the beep)."""
        return self._sources[name].text

    def media_uri(self, name: str, sounds_dir: str) -> str:
        """The ARI media URI of a built prompt: Asterisk wants an absolute path without extension."""
        if name not in self._sources:
            raise KeyError(f"unknown prompt {name!r}")
        return f"sound:{sounds_dir.rstrip('/')}/{name}"


def _scan_recordings(directory: Path) -> dict[str, Path]:
    source = str(directory)
    if not directory.is_dir():
        raise ConfigError([ConfigProblem(source, None, "(recordings)", "not a directory")])
    found: dict[str, Path] = {}
    problems: list[ConfigProblem] = []
    for path in sorted(directory.iterdir()):
        # Hidden files include macOS's "._welkom.wav" companions, which are not audio.
        if path.name.startswith(".") or path.suffix.lower() not in RECORDING_SUFFIXES or not path.is_file():
            continue
        name = path.stem
        if not is_valid_prompt_name(name):
            message = "the file name must be a prompt name: letters, digits, _ and - only"
            problems.append(ConfigProblem(str(path), None, name, message))
        elif name in found:
            message = f"two recordings for one prompt; the other is {found[name].name}"
            problems.append(ConfigProblem(str(path), None, name, message))
        else:
            found[name] = path
    if problems:
        raise ConfigError(problems)
    return found
