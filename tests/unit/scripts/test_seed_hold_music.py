"""scripts/seed-hold-music: the placeholder that keeps Asterisk's hold music class alive before any build."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "seed-hold-music"


def seed(folder: Path) -> None:
    subprocess.run(["sh", str(SCRIPT), str(folder)], check=True, capture_output=True, timeout=10)


def test_an_empty_folder_gets_one_second_of_silence_asterisk_can_play(tmp_path: Path) -> None:
    """The folder is made and holds only wachtmuziek.wav: 8 kHz mono 16-bit PCM, one second, all zero."""
    folder = tmp_path / "sounds" / "moh"
    seed(folder)
    assert [p.name for p in folder.iterdir()] == ["wachtmuziek.wav"]
    with wave.open(str(folder / "wachtmuziek.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() == 8000
        assert set(wav.readframes(8000)) == {0}
    assert (folder / "wachtmuziek.wav").stat().st_mode & 0o777 == 0o644


def test_hold_music_already_there_is_kept(tmp_path: Path) -> None:
    """A folder that already holds the built hold music is left exactly as it is."""
    folder = tmp_path / "moh"
    folder.mkdir()
    (folder / "wachtmuziek.wav").write_bytes(b"the practice's music")
    seed(folder)
    assert [p.name for p in folder.iterdir()] == ["wachtmuziek.wav"]
    assert (folder / "wachtmuziek.wav").read_bytes() == b"the practice's music"
