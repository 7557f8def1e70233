"""`terugbel run`: the menu, capacity, prompts, database and ARI put together, and run."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity.loader import CapacityHolder
from common.yamlload import ConfigError
from dialplan.holder import MenuHolder
from dialplan.rules import uses_callbacks
from ivr import logs
from ivr.ari import AriClient
from ivr.callback.desk import CallbackDesk
from ivr.controller import Controller
from ivr.practice_db import PracticeIdentity, PracticeRegistry
from ivr.queue.store import QueueStore
from ivr.settings import Settings
from prompts.build import build_prompts
from prompts.catalog import PromptCatalog
from storage.db import is_sqlite, make_engine, session_factory
from storage.migrate import upgrade
from storage.retention import purge_older_than

log = structlog.get_logger(__name__)

RETENTION_INTERVAL = timedelta(hours=6)


def run_app(settings: Settings) -> int:
    """Check the configuration, build the prompts, and run the controller until SIGTERM/SIGINT."""
    logs.configure(settings.log_format)
    catalog = PromptCatalog(texts_path=settings.prompts_texts, recordings_dir=settings.practice_recordings)
    try:
        menus = MenuHolder(settings.menu, catalog.names())
        capacity = CapacityHolder(settings.capacity) if settings.capacity else None
    except ConfigError as exc:
        print(f"terugbel run: the configuration is not valid:\n{exc}", file=sys.stderr)
        return 2
    if capacity is None and uses_callbacks(menus.current):
        print(
            "terugbel run: the menu offers callbacks (action: callback) but no capacity file is set; "
            "pass --capacity or set TERUGBEL_CAPACITY",
            file=sys.stderr,
        )
        return 2
    report = build_prompts(catalog, settings.sounds_dir)
    log.info("prompts_ready", sounds_dir=str(settings.sounds_dir), built=len(report.built))
    try:
        asyncio.run(_serve(settings, menus, capacity, catalog))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(
    settings: Settings, menus: MenuHolder, capacity: CapacityHolder | None, catalog: PromptCatalog
) -> None:
    url = settings.resolved_database_url()
    if is_sqlite(url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    sessions = session_factory(engine)
    await _migrate(url)
    practice = menus.current.practice
    # One registered practice row for the offer and the queue; registered on first use.
    registry = PracticeRegistry(sessions, PracticeIdentity.from_name(practice.name, practice.number))
    desk = CallbackDesk(sessions, registry.id, lambda: capacity.current) if capacity is not None else None
    queue_store = QueueStore(sessions, registry.id)
    ari = AriClient(
        settings.ari_url,
        settings.ari_user,
        settings.ari_password.get_secret_value(),
        pool_size=settings.ari_pool_size,
    )
    sounds = str(settings.sounds_dir)
    controller = Controller(
        ari,
        menus,
        app=settings.app,
        media=lambda name: catalog.media_uri(name, sounds),
        outbound_template=settings.outbound_template,
        heartbeat=settings.heartbeat_seconds,
        desk=desk,
        queue_store=queue_store,
    )
    background = [asyncio.create_task(_retention(sessions, settings.retention_days), name="retention")]
    if capacity is not None:
        background.append(asyncio.create_task(capacity.watch(), name="capacity-watch"))
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    log.info("controller_starting", app=settings.app, ari=settings.ari_url, callbacks=desk is not None)
    try:
        await controller.run()
    except asyncio.CancelledError:
        log.info("controller_stopped")
    finally:
        for job in background:
            job.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await ari.close()
        await engine.dispose()


async def _migrate(url: str) -> None:
    """Bring the schema up to date; a database that is down must not keep the phone line down."""
    try:
        await upgrade(url)
        log.info("database_ready")
    except Exception as exc:  # any driver's connection error; the calls themselves fall back per call
        log.error("database_unavailable", error=type(exc).__name__)


async def _retention(sessions: async_sessionmaker[AsyncSession], days: int) -> None:
    """AVG: delete callback data older than the retention limit, now and every few hours."""
    while True:
        try:
            await purge_older_than(sessions, datetime.now(UTC) - timedelta(days=days))
        except Exception as exc:
            log.warning("retention_purge_failed", error=type(exc).__name__)
        await asyncio.sleep(RETENTION_INTERVAL.total_seconds())
