"""The `terugbel` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import structlog

from ivr import logs
from ivr.settings import Settings, SettingsError, database_url_from_env

log = structlog.get_logger(__name__)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="terugbel", description="Callback and IVR system for GP practices")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the controller (settings from TERUGBEL_* environment variables)")
    run.add_argument("--menu", type=Path, help="the practice's menu YAML (TERUGBEL_MENU)")
    run.add_argument(
        "--capacity", type=Path, help="the practice's callback capacity YAML (TERUGBEL_CAPACITY)"
    )

    check = sub.add_parser(
        "check-menu", help="validate menu YAML files (prints OK or file:line: field: error)"
    )
    check.add_argument("files", nargs="+")
    check.add_argument("--texts", type=Path, help="prompt texts (default: the packaged prompts/texts.yaml)")
    check.add_argument("--recordings", type=Path, help="the practice's own recorded prompts")

    capacity = sub.add_parser(
        "check-capacity", help="validate callback capacity YAML files (prints OK or file:line: field: error)"
    )
    capacity.add_argument("files", nargs="+")

    sub.add_parser("prompts", help="build prompt audio: terugbel prompts build --out DIR", add_help=False)
    sub.add_parser(
        "callbacks",
        help="the callbacks of a day: terugbel callbacks list [--date D] [--json] [--full]",
        add_help=False,
    )

    sub.add_parser(
        "report",
        help="how the phone performed: terugbel report --from D --to D [--format table|csv|json|html]",
        add_help=False,
    )
    sub.add_parser(
        "generate-history",
        help="a generated two weeks of calls, to try the reports: terugbel generate-history --from D",
        add_help=False,
    )
    sub.add_parser(
        "users",
        help="users of the screen: terugbel users add NAME --role admin | list | set-password NAME",
        add_help=False,
    )
    sub.add_parser(
        "tokens",
        help="API tokens of the intake API: terugbel tokens add NAME --scopes create,read | list | revoke N",
        add_help=False,
    )

    args, rest = parser.parse_known_args(argv)
    if args.command != "run":
        # A command's stdout is its output (a table, JSON): log lines, masked as ever, go to stderr.
        logs.configure("console", logging.WARNING, stream=sys.stderr)
    if args.command == "prompts":
        from prompts.build import run as build_run

        return build_run(rest[1:] if rest[:1] == ["build"] else rest)
    if args.command == "callbacks":
        return _callbacks(rest)
    if args.command == "generate-history":
        from reports.generate import main as generate

        return generate(rest, database_url=database_url_from_env())
    if args.command == "report":
        return _report(rest)
    if args.command == "users":
        from ivr.users_cli import run as users_run

        return users_run(rest, database_url=database_url_from_env())
    if args.command == "tokens":
        from ivr.tokens_cli import run as tokens_run

        return tokens_run(rest, database_url=database_url_from_env())
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "check-capacity":
        return _check_capacity(args.files)
    if args.command == "check-menu":
        from dialplan.check import run as check_run
        from prompts.catalog import PromptCatalog

        catalog = PromptCatalog(texts_path=args.texts, recordings_dir=args.recordings)
        return check_run(args.files, catalog.names())
    if args.command == "run":
        try:
            settings = Settings.from_env(menu=args.menu, capacity=args.capacity)
        except SettingsError as exc:
            print(f"terugbel run: {exc}", file=sys.stderr)
            return 2
        return _run_controller(settings)
    return 2


def _callbacks(rest: list[str]) -> int:
    from sqlalchemy.engine import make_url

    from storage.db import is_sqlite
    from storage.listing import run as list_run

    if rest[:1] != ["list"]:
        print(
            "usage: terugbel callbacks list [--date D] [--practice SLUG] [--json] [--full]", file=sys.stderr
        )
        return 2
    url = database_url_from_env()
    sqlite_file = make_url(url).database if is_sqlite(url) else None
    if sqlite_file and not Path(sqlite_file).exists():
        print(
            f"terugbel callbacks list: no database yet at {sqlite_file} (`terugbel run` creates it)",
            file=sys.stderr,
        )
        return 1
    # Patient data on a screen: the list reads the same database the controller writes, nothing else.
    return list_run(rest[1:], database_url=url)


def _report(rest: list[str]) -> int:
    import datetime as dt
    import os
    from zoneinfo import ZoneInfo

    from reports.command import run as report_run

    capacity = os.environ.get("TERUGBEL_CAPACITY")
    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return report_run(
        rest, database_url=database_url_from_env(), capacity=Path(capacity) if capacity else None, today=today
    )


def _check_capacity(files: list[str]) -> int:
    from capacity.loader import load_capacity
    from common.yamlload import ConfigError

    status = 0
    for name in files:
        try:
            load_capacity(Path(name))
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            status = 1
        else:
            print(f"{name}: OK")
    return status


def _run_controller(settings: Settings) -> int:
    from ivr.app import run_app

    return run_app(settings)


if __name__ == "__main__":
    raise SystemExit(main())
