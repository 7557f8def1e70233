"""`terugbel tokens`: a token printed once and stored hashed, listed without it, revoked by name or id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr.cli import main
from storage.api_tokens import TokenInfo, hash_token, list_tokens, token_for
from storage.audit import audit_entries
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models_intake import ApiToken
from storage.practices import ensure_practice, practice_by_slug

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def structlog_restored() -> Iterator[None]:
    # main() configures logging for a command; later tests expect the default configuration back.
    yield
    structlog.reset_defaults()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty, migrated SQLite database that the command uses."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'terugbel.sqlite3'}"
    monkeypatch.setenv("TERUGBEL_DATABASE_URL", url)
    asyncio.run(upgrade(url))
    return url


def _with_db(url: str, work: Callable[[Sessions], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = make_engine(url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _practice(url: str, slug: str = "de-linde") -> int:
    async def work(sessions: Sessions) -> int:
        return (await ensure_practice(sessions, slug=slug, name=slug.title(), number="0201234567")).id

    return _with_db(url, work)


def _tokens(url: str, practice_id: int) -> list[TokenInfo]:
    return _with_db(url, lambda sessions: list_tokens(sessions, practice_id))


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["tokens", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_add_prints_the_token_once_stores_only_its_hash_and_audits(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """stdout is the token alone; stderr says it is shown only now; the hash finds it; "cli" is audited."""
    practice_id = _practice(url)
    status, out, err = _cli(capsys, "add", "Triageformulier", "--scopes", "create, read")
    assert status == 0, err
    plain = out.strip()
    assert out.count("\n") == 1 and plain.startswith("tbk_")
    assert "shown only now" in err and plain not in err
    found = _with_db(url, lambda sessions: token_for(sessions, plain, NOW))
    assert found is not None
    assert (found.name, found.scopes, found.practice_id, found.created_by) == (
        "Triageformulier",
        ("create", "read"),
        practice_id,
        "cli",
    )

    async def stored(sessions: Sessions) -> ApiToken | None:
        async with sessions() as session:
            return await session.get(ApiToken, found.id)

    row = _with_db(url, stored)
    assert row is not None
    assert row.token_hash == hash_token(plain) and plain not in (row.token_hash, row.prefix)
    audit = _with_db(url, lambda sessions: audit_entries(sessions, username="cli"))
    assert [(a.action, a.target_type, a.target_id, a.detail) for a in audit] == [
        (
            "api_sleutel_aangemaakt",
            "api_token",
            str(found.id),
            {"naam": "Triageformulier", "rechten": ["create", "read"], "praktijk": "de-linde"},
        )
    ]


def test_list_shows_each_token_without_the_token_itself(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The list has name, prefix, scopes and times of every token, and no token text."""
    _practice(url)
    plains = [_cli(capsys, "add", name, "--scopes", "read")[1].strip() for name in ("portaal", "formulier")]
    _cli(capsys, "revoke", "portaal")
    status, out, _ = _cli(capsys, "list")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split("\t") == ["id", "name", "prefix", "scopes", "created", "last used", "revoked"]
    rows = [line.split("\t") for line in lines[1:]]
    assert [(r[1], r[3], r[5]) for r in rows] == [("formulier", "read", "-"), ("portaal", "read", "-")]
    assert rows[0][6] == "-" and rows[1][6] != "-"
    assert plains[1].startswith(rows[0][2].rstrip("…"))
    for plain in plains:
        assert plain not in out


def test_revoke_by_name_or_id_ends_the_token_and_is_audited(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both ways revoke the token at once, each audited; revoking again is harmless, an unknown one is not."""
    practice_id = _practice(url)
    first = _cli(capsys, "add", "portaal", "--scopes", "read")[1].strip()
    second = _cli(capsys, "add", "formulier", "--scopes", "create")[1].strip()
    by_name = {t.name: t.id for t in _tokens(url, practice_id)}
    assert _cli(capsys, "revoke", "portaal")[0] == 0
    assert _cli(capsys, "revoke", str(by_name["formulier"]))[0] == 0
    for plain in (first, second):
        assert _with_db(url, lambda sessions, plain=plain: token_for(sessions, plain, NOW)) is None
    audit = _with_db(url, lambda sessions: audit_entries(sessions, username="cli"))
    revoked = [(a.target_id, a.detail["naam"]) for a in audit if a.action == "api_sleutel_ingetrokken"]
    assert sorted(revoked) == sorted(
        [(str(by_name["portaal"]), "portaal"), (str(by_name["formulier"]), "formulier")]
    )
    status, _, err = _cli(capsys, "revoke", "portaal")
    assert (status, "revoked already" in err) == (0, True)
    status, _, err = _cli(capsys, "revoke", "bestaat-niet")
    assert status == 1 and "no token 'bestaat-niet'" in err


def test_an_empty_database_is_refused_unless_the_practice_is_named(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a practice, add says to start the controller or pass --practice; with it, it registers it."""
    status, out, err = _cli(capsys, "add", "portaal", "--scopes", "read")
    assert (status, out) == (1, "")
    assert "terugbel run" in err and "--practice" in err
    status, out, err = _cli(capsys, "add", "portaal", "--scopes", "read", "--practice", "de-linde")
    assert status == 0 and out.startswith("tbk_")
    practice = _with_db(url, lambda sessions: practice_by_slug(sessions, "de-linde"))
    assert practice is not None
    assert [t.name for t in _tokens(url, practice.id)] == ["portaal"]


def test_several_practices_need_the_practice_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """With two practices each action asks for --practice; an unknown one is refused naming the known."""
    linde = _practice(url, "de-linde")
    _practice(url, "het-anker")
    for args in (("add", "portaal", "--scopes", "read"), ("list",), ("revoke", "portaal")):
        status, _, err = _cli(capsys, *args)
        assert status == 1 and "--practice" in err, args
    status, _, err = _cli(capsys, "list", "--practice", "de-eik")
    assert status == 1 and "de-linde" in err and "het-anker" in err
    assert _cli(capsys, "add", "portaal", "--scopes", "read", "--practice", "de-linde")[0] == 0
    assert [t.name for t in _tokens(url, linde)] == ["portaal"]
    assert _with_db(url, lambda sessions: practice_by_slug(sessions, "de-eik")) is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("add", "portaal", "--scopes", "read,delete"), "scopes"),
        (("add", "portaal", "--scopes", ","), "scopes"),
        (("add", " ", "--scopes", "read"), "name"),
        (("add", "x" * 65, "--scopes", "read"), "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    url: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], field: str
) -> None:
    """Unknown or no scopes, an empty or too long name: exit 2, the field named, nothing stored or audited."""
    practice_id = _practice(url)
    status, out, err = _cli(capsys, *args)
    assert (status, out) == (2, "")
    assert field in err
    assert _tokens(url, practice_id) == []
    assert _with_db(url, lambda sessions: audit_entries(sessions)) == []


def test_a_second_active_token_of_one_name_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Names identify active tokens for `revoke NAME`, so a second one of that name is refused."""
    practice_id = _practice(url)
    assert _cli(capsys, "add", "portaal", "--scopes", "read")[0] == 0
    status, out, err = _cli(capsys, "add", "portaal", "--scopes", "create")
    assert (status, out) == (2, "") and "name" in err
    assert len(_tokens(url, practice_id)) == 1
