"""Settings from the environment, with passwords from files (Docker secrets) that never show up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.settings import Settings, SettingsError, database_url_from_env

BASE = {"TERUGBEL_MENU": "menu.yaml", "TERUGBEL_SOUNDS_DIR": "/tmp/sounds"}


def secret(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_ari_password_is_read_from_its_file_without_the_newline(tmp_path: Path) -> None:
    """TERUGBEL_ARI_PASSWORD_FILE gives the password; the trailing newline of the file is not part of it."""
    env = {**BASE, "TERUGBEL_ARI_PASSWORD_FILE": secret(tmp_path, "ari", "s3cret\n")}
    assert Settings.from_env(env).ari_password.get_secret_value() == "s3cret"


def test_the_password_and_its_file_together_are_refused(tmp_path: Path) -> None:
    """Both ways at once is a mistake the admin hears about, naming both variables."""
    env = {**BASE, "TERUGBEL_ARI_PASSWORD": "x", "TERUGBEL_ARI_PASSWORD_FILE": secret(tmp_path, "ari", "y")}
    with pytest.raises(SettingsError, match="TERUGBEL_ARI_PASSWORD or TERUGBEL_ARI_PASSWORD_FILE"):
        Settings.from_env(env)


@pytest.mark.parametrize("content", ["", "  \n"])
def test_an_empty_secret_file_is_refused(tmp_path: Path, content: str) -> None:
    """An empty password file names the variable and the path."""
    path = secret(tmp_path, "ari", content)
    with pytest.raises(SettingsError, match=re.escape(f"TERUGBEL_ARI_PASSWORD_FILE: {path} is empty")):
        Settings.from_env({**BASE, "TERUGBEL_ARI_PASSWORD_FILE": path})


def test_an_unreadable_secret_file_names_the_path_not_the_content(tmp_path: Path) -> None:
    """A missing file is refused with its path."""
    with pytest.raises(SettingsError, match=r"cannot read .*missing"):
        Settings.from_env({**BASE, "TERUGBEL_ARI_PASSWORD_FILE": str(tmp_path / "missing")})


def test_the_database_password_joins_the_url(tmp_path: Path) -> None:
    """TERUGBEL_DATABASE_PASSWORD_FILE is added to the database URL, quoted as a URL needs."""
    env = {
        **BASE,
        "TERUGBEL_ARI_PASSWORD": "x",
        "TERUGBEL_DATABASE_URL": "postgresql+asyncpg://terugbel@db:5432/terugbel",
        "TERUGBEL_DATABASE_PASSWORD_FILE": secret(tmp_path, "db", "p@ss/word\n"),
    }
    url = Settings.from_env(env).resolved_database_url()
    assert url == "postgresql+asyncpg://terugbel:p%40ss%2Fword@db:5432/terugbel"
    assert database_url_from_env(env) == url


def test_a_database_password_twice_is_refused(tmp_path: Path) -> None:
    """A URL that already holds a password and a password file: refused, so nobody wonders which counts."""
    env = {
        **BASE,
        "TERUGBEL_ARI_PASSWORD": "x",
        "TERUGBEL_DATABASE_URL": "postgresql+asyncpg://terugbel:old@db/terugbel",
        "TERUGBEL_DATABASE_PASSWORD_FILE": secret(tmp_path, "db", "new"),
    }
    with pytest.raises(SettingsError, match="already holds a password"):
        Settings.from_env(env)


def test_a_database_password_file_without_a_url_is_refused(tmp_path: Path) -> None:
    """The password file alone has nothing to join: refused with what is missing."""
    env = {
        **BASE,
        "TERUGBEL_ARI_PASSWORD": "x",
        "TERUGBEL_DATABASE_PASSWORD_FILE": secret(tmp_path, "db", "p"),
    }
    with pytest.raises(SettingsError, match="needs TERUGBEL_DATABASE_URL"):
        Settings.from_env(env)
