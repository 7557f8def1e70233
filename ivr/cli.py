"""The `terugbel` command."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import structlog

from ivr import logs
from ivr.settings import Settings, SettingsError

log = structlog.get_logger(__name__)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="terugbel", description="Callback and IVR system for GP practices")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the controller (settings from TERUGBEL_* environment variables)")
    run.add_argument("--menu", type=Path, help="the practice's menu YAML (TERUGBEL_MENU)")

    check = sub.add_parser(
        "check-menu", help="validate menu YAML files (prints OK or file:line: field: error)"
    )
    check.add_argument("files", nargs="+")
    check.add_argument("--texts", type=Path, help="prompt texts (default: the packaged prompts/texts.yaml)")
    check.add_argument("--recordings", type=Path, help="the practice's own recorded prompts")

    sub.add_parser("prompts", help="build prompt audio: terugbel prompts build --out DIR", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if args.command == "prompts":
        from prompts.build import run as build_run

        return build_run(rest[1:] if rest[:1] == ["build"] else rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "check-menu":
        from dialplan.check import run as check_run
        from prompts.catalog import PromptCatalog

        catalog = PromptCatalog(texts_path=args.texts, recordings_dir=args.recordings)
        return check_run(args.files, catalog.names())
    if args.command == "run":
        try:
            settings = Settings.from_env(menu=args.menu)
        except SettingsError as exc:
            print(f"terugbel run: {exc}", file=sys.stderr)
            return 2
        return _run_controller(settings)
    return 2


def _run_controller(settings: Settings) -> int:
    from dialplan.holder import MenuHolder
    from dialplan.yamlload import ConfigError
    from prompts.build import build_prompts
    from prompts.catalog import PromptCatalog

    logs.configure(settings.log_format)
    catalog = PromptCatalog(texts_path=settings.prompts_texts, recordings_dir=settings.practice_recordings)
    try:
        menus = MenuHolder(settings.menu, catalog.names())
    except ConfigError as exc:
        print(f"terugbel run: the menu is not valid:\n{exc}", file=sys.stderr)
        return 2
    report = build_prompts(catalog, settings.sounds_dir)
    log.info("prompts_ready", sounds_dir=str(settings.sounds_dir), report=str(report))
    try:
        asyncio.run(_serve(settings, menus, catalog))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(settings: Settings, menus: object, catalog: object) -> None:
    from ivr.ari import AriClient
    from ivr.controller import Controller

    ari = AriClient(
        settings.ari_url,
        settings.ari_user,
        settings.ari_password.get_secret_value(),
        pool_size=settings.ari_pool_size,
    )
    sounds = str(settings.sounds_dir)
    controller = Controller(
        ari,
        menus,  # type: ignore[arg-type]
        app=settings.app,
        media=lambda name: catalog.media_uri(name, sounds),  # type: ignore[attr-defined]
        outbound_template=settings.outbound_template,
        heartbeat=settings.heartbeat_seconds,
    )
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    log.info("controller_starting", app=settings.app, ari=settings.ari_url)
    try:
        await controller.run()
    except asyncio.CancelledError:
        log.info("controller_stopped")
    finally:
        await ari.close()


if __name__ == "__main__":
    raise SystemExit(main())
