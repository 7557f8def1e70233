"""`terugbel users`: create the first admin (and others) from the command line, list them, set a password.

The web pages need a login, so the first admin can only come from here. The password is read twice from
the terminal, from standard input (--password-stdin, for scripts), or generated and printed once
(--generate). It is hashed with argon2 before it reaches the database, like on the users page.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from datetime import UTC, datetime

from ivr.web.passwords import hash_password, password_problem
from storage.accounts import (
    UnknownUser,
    UsernameTaken,
    create_user,
    list_users,
    set_password_hash,
    user_by_username,
)
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.status import UserRole


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terugbel users", description="users of the screen and admin pages")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in UserRole], default=UserRole.ASSISTENT.value)
    add.add_argument("--if-missing", action="store_true", help="do nothing (exit 0) if the user exists")
    _password_options(add)
    password = sub.add_parser("set-password", help="give a user a new password")
    password.add_argument("username")
    _password_options(password)
    sub.add_parser("list", help="list the users")
    return parser


def _password_options(parser: argparse.ArgumentParser) -> None:
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    how.add_argument("--generate", action="store_true", help="make up a password and print it once")


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The new password, and whether to print it (only when generated)."""
    if args.generate:
        return secrets.token_urlsafe(12), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    first = getpass.getpass("Wachtwoord: ")
    if getpass.getpass("Nog eens: ") != first:
        raise ValueError("the two passwords differ")
    return first, False


def run(argv: list[str], *, database_url: str) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args, database_url))
    except ValueError as exc:
        print(f"terugbel users: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, database_url: str) -> int:
    await upgrade(database_url)  # a fresh install has no tables yet: the first admin comes before `run`
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        if args.action == "list":
            for user in await list_users(sessions):
                state = "actief" if user.active else "uitgeschakeld"
                print(f"{user.username}\t{user.role}\t{state}")
            return 0
        existing = await user_by_username(sessions, args.username)
        if args.action == "add" and existing is not None:
            if args.if_missing:
                return 0
            raise ValueError(f"username: {args.username!r} exists already")
        if args.action == "set-password" and existing is None:
            raise ValueError(f"username: no user {args.username!r}")
        password, show = _password(args)
        problem = password_problem(password)
        if problem is not None:
            raise ValueError(f"password: {problem}")
        hashed = hash_password(password)
        now = datetime.now(UTC)
        if args.action == "add":
            await create_user(
                sessions,
                username=args.username,
                password_hash=hashed,
                role=args.role,
                created_by="cli",
                now=now,
            )
        else:
            assert existing is not None
            await set_password_hash(sessions, existing.id, hashed)
        if show:
            print(password)
        else:
            print(f"terugbel users: {args.action} {args.username}: done", file=sys.stderr)
        return 0
    except (UsernameTaken, UnknownUser) as exc:
        raise ValueError(f"username: {exc}") from None
    finally:
        await engine.dispose()
