"""`terugbel tokens`: API tokens of the intake API's clients, created, listed and revoked by an admin.

`add NAME --scopes create,read,cancel` prints the new token once, on stdout alone (so a script can take it);
the database keeps only its hash, so it cannot be shown again. `list` never shows a token, only the first
characters that tell tokens apart. `revoke NAME_OR_ID` ends a token at once. Adding and revoking are in the
audit trail as done by "cli".

The practice is the database's only one, or the one named with --practice. A token for a database without
a practice is refused (the controller registers the practice when it first starts), unless --practice
names it: it is then registered, and the controller fills in its name and number from the menu.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.api_tokens import SCOPES, TokenInfo, create_token, list_tokens, revoke_token
from storage.audit import record_audit
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Practice
from storage.practices import ensure_practice

Sessions = async_sessionmaker[AsyncSession]

AUDIT_USER = "cli"
AUDIT_TARGET = "api_token"
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


class TokensError(Exception):
    """What was asked cannot be done with this database (no practice, no such token): exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terugbel tokens", description="API tokens of the intake API")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="create a token and print it once")
    add.add_argument("name", help="who uses it, e.g. the triage form's name")
    add.add_argument("--scopes", required=True, help=f"what it may do, comma-separated: {','.join(SCOPES)}")
    _practice_option(add)
    _practice_option(sub.add_parser("list", help="list the tokens (never the tokens themselves)"))
    revoke = sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("token", metavar="NAME_OR_ID", help="the token's name (active ones) or id")
    _practice_option(revoke)
    return parser


def _practice_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--practice", metavar="SLUG", help="the practice's id (needed when the database has several)"
    )


def run(argv: list[str], *, database_url: str) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args, database_url))
    except ValueError as exc:
        print(f"terugbel tokens: {exc}", file=sys.stderr)
        return 2
    except TokensError as exc:
        print(f"terugbel tokens: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, database_url: str) -> int:
    await upgrade(database_url)  # the token tables may be newer than the database
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        if args.action == "add":
            return await _add(sessions, args)
        practice = await _practice(sessions, args.practice)
        if args.action == "list":
            _print_list(await list_tokens(sessions, practice.id))
            return 0
        return await _revoke(sessions, practice, args.token)
    finally:
        await engine.dispose()


async def _practice(sessions: Sessions, slug: str | None, *, register: bool = False) -> Practice:
    """The practice named by `slug`, else the only one; `register`: a named one in an empty database."""
    async with sessions() as session:
        practices = list(await session.scalars(select(Practice).order_by(Practice.slug)))
    known = ", ".join(p.slug for p in practices)
    if slug is not None:
        for practice in practices:
            if practice.slug == slug:
                return practice
        if practices or not register:
            raise TokensError(f"no practice {slug!r}; known: {known or 'none'}")
        # Named in an empty database: the controller keeps this row when its menu's practice.id is `slug`.
        practice = await ensure_practice(sessions, slug=slug, name=slug, number="")
        print(
            f"terugbel tokens: registered practice {slug!r}; its name and number come from the menu "
            "when the controller starts",
            file=sys.stderr,
        )
        return practice
    if len(practices) == 1:
        return practices[0]
    if not practices:
        raise TokensError(
            "the database has no practice yet: start the controller once (`terugbel run`) "
            "or name the practice with --practice SLUG (its practice.id in the menu)"
        )
    raise TokensError(f"several practices, choose one with --practice: {known}")


async def _add(sessions: Sessions, args: argparse.Namespace) -> int:
    scopes = [part.strip() for part in args.scopes.split(",") if part.strip()]
    now = datetime.now(UTC)
    practice = await _practice(sessions, args.practice, register=True)
    info, plain = await create_token(
        sessions, practice_id=practice.id, name=args.name, scopes=scopes, created_by=AUDIT_USER, now=now
    )
    await record_audit(
        sessions,
        username=AUDIT_USER,
        action="api_sleutel_aangemaakt",
        at=now,
        target_type=AUDIT_TARGET,
        target_id=info.id,
        detail={"naam": info.name, "rechten": list(info.scopes), "praktijk": practice.slug},
    )
    print(plain)
    print(
        f"terugbel tokens: token {info.id} {info.name!r} ({', '.join(info.scopes)}) for {practice.slug!r}; "
        "it is shown only now: give it to the client, it cannot be shown again",
        file=sys.stderr,
    )
    return 0


async def _revoke(sessions: Sessions, practice: Practice, wanted: str) -> int:
    token = _chosen(await list_tokens(sessions, practice.id), wanted.strip())
    if token.revoked_at is not None:
        print(f"terugbel tokens: token {token.id} {token.name!r} was revoked already", file=sys.stderr)
        return 0
    now = datetime.now(UTC)
    if not await revoke_token(sessions, token.id, practice_id=practice.id, now=now):
        print(f"terugbel tokens: token {token.id} {token.name!r} was revoked already", file=sys.stderr)
        return 0
    await record_audit(
        sessions,
        username=AUDIT_USER,
        action="api_sleutel_ingetrokken",
        at=now,
        target_type=AUDIT_TARGET,
        target_id=token.id,
        detail={"naam": token.name, "praktijk": practice.slug},
    )
    print(f"terugbel tokens: token {token.id} {token.name!r} revoked", file=sys.stderr)
    return 0


def _chosen(tokens: list[TokenInfo], wanted: str) -> TokenInfo:
    """The token with id `wanted`, else the active one named `wanted`, else a revoked one of that name."""
    by_id = [t for t in tokens if wanted.isdigit() and t.id == int(wanted)]
    named = [t for t in tokens if t.name == wanted]
    # Of a name revoked more than once, the latest: it says "revoked already" rather than "which one".
    active = [t for t in named if t.active] or sorted(named, key=lambda t: t.id)[-1:]
    candidates = {t.id: t for t in by_id + active}
    if not candidates:
        raise TokensError(f"no token {wanted!r} (see `terugbel tokens list`)")
    if len(candidates) > 1:
        ids = ", ".join(str(i) for i in sorted(candidates))
        raise TokensError(f"{wanted!r} could be token {ids}: give the id")
    return next(iter(candidates.values()))


def _shown(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _print_list(tokens: list[TokenInfo]) -> None:
    print("id\tname\tprefix\tscopes\tcreated\tlast used\trevoked")
    for t in tokens:
        print(
            f"{t.id}\t{t.name}\t{t.prefix}…\t{','.join(t.scopes)}\t{_shown(t.created_at)}"
            f"\t{_shown(t.last_used_at)}\t{_shown(t.revoked_at)}"
        )
