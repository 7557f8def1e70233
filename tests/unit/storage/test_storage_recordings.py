"""Deleting voice notes and inspreeklijn recordings: by reference, by age, never outside the folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.recordings import delete_recordings, delete_recordings_older_than, recording_path

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _wav(path: Path, modified: datetime = NOW) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    return path


def test_deletes_the_files_of_the_given_refs(tmp_path: Path) -> None:
    """A stored-recording name maps to `<dir>/<ref>.wav`; those files go, others stay."""
    gone = _wav(tmp_path / "terugbelverzoek" / "20261123T091500Z-abc123.wav")
    stays = _wav(tmp_path / "terugbelverzoek" / "20261123T091600Z-def456.wav")

    result = delete_recordings(tmp_path, ["terugbelverzoek/20261123T091500Z-abc123", "terugbelverzoek/nope"])

    assert not gone.exists()
    assert stays.exists()
    assert result.deleted == ("terugbelverzoek/20261123T091500Z-abc123",)
    assert result.missing == ("terugbelverzoek/nope",)
    assert result.refused == ()


@pytest.mark.parametrize(
    "ref",
    ["../outside", "terugbelverzoek/../../outside", "/tmp/outside", "", "a\x00b", "terugbelverzoek/", "."],
)
def test_refuses_refs_that_leave_the_folder(tmp_path: Path, ref: str) -> None:
    """`..`, absolute and empty names are refused and nothing outside the folder is touched."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    outside = _wav(tmp_path / "outside.wav")
    with pytest.raises(ValueError, match="recording"):
        recording_path(recordings, ref)
    result = delete_recordings(recordings, [ref])
    assert result.refused == (ref,)
    assert result.deleted == ()
    assert outside.exists()


def test_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    """A link inside the folder to a file outside it does not get the outside file deleted."""
    recordings = tmp_path / "recordings"
    (recordings / "terugbelverzoek").mkdir(parents=True)
    outside = _wav(tmp_path / "secret.wav")
    (recordings / "terugbelverzoek" / "link.wav").symlink_to(outside)

    result = delete_recordings(recordings, ["terugbelverzoek/link"])

    assert result.refused == ("terugbelverzoek/link",)
    assert outside.exists()


def test_deletes_only_old_files_in_the_given_subfolders(tmp_path: Path) -> None:
    """Inspreeklijn messages older than the cutoff go; newer ones and other folders stay."""
    cutoff = NOW - timedelta(days=90)
    old = _wav(tmp_path / "inspreeklijn" / "old.wav", cutoff - timedelta(seconds=1))
    nested = _wav(tmp_path / "inspreeklijn" / "2026" / "older.wav", cutoff - timedelta(days=9))
    new = _wav(tmp_path / "inspreeklijn" / "new.wav", cutoff + timedelta(seconds=1))
    elsewhere = _wav(tmp_path / "terugbelverzoek" / "old.wav", cutoff - timedelta(days=9))

    deleted = delete_recordings_older_than(tmp_path, ["inspreeklijn", "ontbreekt"], cutoff)

    assert sorted(deleted) == sorted([old, nested])
    assert not old.exists() and not nested.exists()
    assert new.exists() and elsewhere.exists()


def test_old_file_sweep_never_leaves_the_folder(tmp_path: Path) -> None:
    """A subfolder name with `..`, an absolute path or a link out of the folder deletes nothing outside."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    outside = _wav(tmp_path / "elsewhere" / "old.wav", NOW - timedelta(days=400))
    (recordings / "inspreeklijn").symlink_to(tmp_path / "elsewhere")
    for folder in ("../elsewhere", str(tmp_path / "elsewhere"), "inspreeklijn"):
        with pytest.raises(ValueError, match="recording"):
            delete_recordings_older_than(recordings, [folder], NOW)
    assert outside.exists()


def test_old_file_sweep_needs_an_aware_cutoff(tmp_path: Path) -> None:
    """A cutoff without a zone is an error, not a guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        delete_recordings_older_than(tmp_path, ["inspreeklijn"], NOW.replace(tzinfo=None))
