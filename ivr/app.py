"""`terugbel run`: the composition root. Every object of the controller is built and wired here, nowhere else.

Start-up order matters (issue 8, defects 14, 15, 21): the configuration and every prompt the code plays are
checked before anything runs; the schema is migrated in the background until it works (callbacks and the
queue wait for it, spoed does not); the controller acts only while it holds the practice's lease; after
connecting it reconciles first, so callers still waiting from before a restart are back in line before the
dispatcher connects anyone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from capacity.loader import CapacityHolder
from common.yamlload import ConfigError
from dialplan.holder import MenuHolder
from dialplan.rules import uses_callbacks
from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr import logs, sounds
from ivr.ari import AriClient, EventStream
from ivr.ari.port import Ari
from ivr.callback.dialout import DialOutContext, dial_out
from ivr.callback.store import CallbackStore, no_capacity, no_messages
from ivr.callback.upkeep import recover_then_sweep
from ivr.core import deadline
from ivr.core.activation import Supervisor
from ivr.core.controller import Controller
from ivr.core.lease import lease_for
from ivr.core.media import Media
from ivr.core.reconcile import Reconciler
from ivr.core.registry import CallRegistry
from ivr.db.door import Database
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from ivr.db.schema import migrate_until_ready
from ivr.intake.service import IntakeService
from ivr.live.notifier import Notifier, no_notice
from ivr.live.status import LiveStatus
from ivr.menu.flows import MenuFlows
from ivr.messages.setup import Messaging, messaging
from ivr.queue.dispatcher import Dispatcher
from ivr.queue.due import DueCallbacks
from ivr.queue.headset_store import headset_saver, load_headset_states
from ivr.queue.headsets import HeadsetStates
from ivr.queue.store import QueueStore
from ivr.queue.wait import Queue
from ivr.queue.waiting import WaitingCallers
from ivr.retention import purge_forever
from ivr.settings import Settings
from ivr.trace import CallTrace
from ivr.web.context import WebContext, web_settings
from ivr.web.server import start_web, tls_context
from prompts.build import build_prompts
from prompts.catalog import PromptCatalog
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

log = structlog.get_logger(__name__)


FIRST_MIGRATION_WAIT_SECONDS = 10.0


def clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Checked:
    """The configuration as read and checked at start: what the controller will run with."""

    catalog: PromptCatalog
    menus: MenuHolder
    capacity: CapacityHolder | None


class StartRefused(Exception):
    """The configuration cannot run; the message says what to fix."""


def check(settings: Settings) -> Checked:
    """Read menu, capacity and prompts, and refuse what would fail in the middle of a call."""
    try:
        catalog = PromptCatalog(
            texts_path=settings.prompts_texts, recordings_dir=settings.practice_recordings
        )
        menus = MenuHolder(settings.menu, catalog.names())
        capacity = CapacityHolder(settings.capacity) if settings.capacity else None
    except ConfigError as exc:
        raise StartRefused(f"the configuration is not valid:\n{exc}") from None
    if capacity is None and uses_callbacks(menus.current):
        raise StartRefused(
            "the menu offers callbacks (action: callback) but no capacity file is set; "
            "pass --capacity or set TERUGBEL_CAPACITY"
        )
    missing = sorted(sounds.required() - catalog.names())
    if missing:
        raise StartRefused(
            "these prompts are played by the controller but exist neither in the prompt texts nor as "
            f"a recording: {', '.join(missing)}"
        )
    return Checked(catalog, menus, capacity)


def run_app(settings: Settings) -> int:
    """Check the configuration, build the prompts, and run the controller until SIGTERM/SIGINT."""
    try:
        checked = check(settings)
    except StartRefused as exc:
        print(f"terugbel run: {exc}", file=sys.stderr)
        return 2
    catalog, menus, capacity = checked.catalog, checked.menus, checked.capacity
    logs.configure(settings.log_format)
    report = build_prompts(catalog, settings.sounds_dir)
    log.info("prompts_ready", sounds_dir=str(settings.sounds_dir), built=len(report.built))
    try:
        asyncio.run(_main(settings, menus, capacity, catalog))
    except KeyboardInterrupt:
        pass
    return 0


async def _main(
    settings: Settings, menus: MenuHolder, capacity: CapacityHolder | None, catalog: PromptCatalog
) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    try:
        await serve(settings, menus, capacity, catalog)
    except asyncio.CancelledError:
        log.info(ev.CONTROLLER_STOPPED)


async def serve(
    settings: Settings, menus: MenuHolder, capacity: CapacityHolder | None, catalog: PromptCatalog
) -> None:
    """Everything that lives as long as the process: database, ARI client, watchers, the supervisor."""
    url = settings.resolved_database_url()
    engine = make_engine(url)  # creates the SQLite folder and files private (storage.db)
    db = Database(session_factory(engine))
    practice = menus.current.practice
    registry = PracticeRegistry(
        db, PracticeIdentity(key=practice.id, name=practice.name, number=practice.number)
    )
    notifier = Notifier()
    live = LiveStatus()
    headset_states = HeadsetStates(save=headset_saver(db, registry, clock), notify=notifier.publish)
    # One trace for the whole process: events of calls in any active period go through one buffer.
    trace = CallTrace(db, registry, clock)
    messages = _messaging(db, menus)
    callbacks = CallbackStore(
        db,
        registry,
        (lambda: capacity.current) if capacity is not None else no_capacity,
        notify=notifier.publish,
        trace=trace,
        messages=messages.composer,
        message_written=messages.notify,
    )
    queue_store = QueueStore(db, registry)
    ari = AriClient(
        settings.ari_url,
        settings.ari_user,
        settings.ari_password.get_secret_value(),
        pool_size=settings.ari_pool_size,
    )
    sounds_dir = str(settings.sounds_dir)
    media = Media(lambda name: catalog.media_uri(name, sounds_dir), settings.sounds_dir)

    async def activate() -> None:
        await _act(
            settings, menus, ari, media, db, callbacks, queue_store, notifier, headset_states, live, trace
        )

    supervisor = Supervisor(lease_for(url, practice.id, settings.data_dir), activate)
    background = [
        asyncio.create_task(migrate_until_ready(db, lambda: upgrade(url)), name="migrate"),
        asyncio.create_task(menus.watch(), name="menu-watch"),
    ]
    if capacity is not None:
        background.append(asyncio.create_task(capacity.watch(), name="capacity-watch"))
    background.append(
        asyncio.create_task(load_headset_states(db, registry, headset_states), name="headset-states")
    )
    if messages.worker is not None:
        background.append(asyncio.create_task(messages.worker.run(), name="outbox"))
    trace.start()
    log.info(ev.CONTROLLER_STARTING, app=settings.app, ari=settings.ari_url)
    web_runner = None
    if settings.web_enabled:
        web_ctx = WebContext(
            db=db,
            practice=registry,
            live=live,
            notifier=notifier,
            headsets=headset_states,
            menus=menus,
            capacity=capacity,
            clock=clock,
            settings=web_settings(settings),
            recordings_dir=settings.recordings_dir,
            practice_recordings=settings.practice_recordings,
            prompt_names=catalog.names,
            sounds_dir=settings.sounds_dir,
            prompt_replaced=media.forget,
            intake=IntakeService(callbacks, db, registry, clock) if capacity is not None else None,
            delivery_reports=messages.delivery_reports,
        )
        tls = tls_context(settings.web_tls_cert, settings.web_tls_key)
        web_runner = await start_web(web_ctx, settings.web_host, settings.web_port, tls)
    try:
        # The first reconcile looks up callers waiting from before a restart: give the schema its first
        # chance before connecting. A database that does not answer delays the start only this long;
        # meanwhile new calls reach the headsets through the dialplan's fallback.
        try:
            await asyncio.wait_for(db.first_try.wait(), FIRST_MIGRATION_WAIT_SECONDS)
        except TimeoutError:
            log.warning("database_slow_starting_without_it")
        await supervisor.run()
    finally:
        # Everything that could still use the ARI session or a database connection ends first, so
        # closing them raises nothing in a task that is still running. The calls have ended (or been
        # detached) by now: their last events are written, within a short deadline.
        await trace.stop()
        for job in background:
            job.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if web_runner is not None:
            await web_runner.cleanup()
        await db.drain()
        await ari.close()
        await engine.dispose()


def _messaging(db: Database, menus: MenuHolder) -> Messaging:
    """Messages to patients; a wrong provider setting leaves them off, never the calls."""
    try:
        return messaging(os.environ, db, menus, clock)
    except ValueError as exc:
        log.error("messages_not_started", error=str(exc))
        return Messaging(no_messages, None)


@dataclass(frozen=True)
class Active:
    """One active period's objects: the controller and what runs beside it."""

    controller: Controller
    dispatcher: Dispatcher
    due: DueCallbacks
    dial: DialOutContext
    reconciler: Reconciler
    on_connected: Callable[[], Awaitable[None]]

    @property
    def calls(self) -> CallRegistry:
        return self.controller.calls


def assemble(
    *,
    ari: Ari,
    media: Media,
    db: Database,
    callbacks: CallbackStore,
    queue_store: QueueStore,
    trace: CallTrace,
    config: Callable[[], PracticeConfig],
    clock: Callable[[], datetime],
    app: str,
    outbound_template: str,
    recordings_dir: Path | None,
    retention_days: int,
    deadline_seconds: int = deadline.DEADLINE_SECONDS,
    notifier: Notifier | None = None,
    headset_states: HeadsetStates | None = None,
) -> Active:
    """Wire a fresh controller with its dispatcher (the tests build exactly this, on a fake ARI)."""
    notify = notifier.publish if notifier is not None else no_notice
    # The objects below refer to each other only through these late-bound closures.
    due = DueCallbacks(callbacks.due, clock, on_change=lambda: dispatcher.wake())
    dispatcher = Dispatcher(
        ari,
        config,
        due,
        clock=clock,
        spawn=lambda coro, name: controller.spawn(coro, name),
        dial_out=lambda headset, request: dial_out(dial, headset, request),
        states=headset_states,
        notify=notify,
    )
    queue = Queue(dispatcher, queue_store, clock, trace)
    flows = MenuFlows(config, outbound_template, callbacks, queue, clock, trace)
    controller = Controller(
        ari,
        app=app,
        media=media,
        flows=flows,
        trace=trace,
        deadline_seconds=deadline_seconds,
        notify=notify,
    )
    dial = DialOutContext(
        ari=ari,
        router=controller.router,
        store=callbacks,
        config=config,
        app=app,
        media=media,
        outbound_template=outbound_template,
        clock=clock,
        calls=controller.calls,
        trace=trace,
    )
    reconciler = Reconciler(controller, WaitingCallers(queue_store, dispatcher), clock)
    started = False

    async def on_connected() -> None:
        nonlocal started
        if not await reconciler.run() or started:
            return
        started = True
        # Only now: callers taken over from a previous controller are back in line first.
        controller.spawn(
            recover_then_sweep(callbacks, dial.owned, clock, config, due.ready), "callback-upkeep"
        )
        controller.spawn(due.run(), "due-callbacks")
        controller.spawn(dispatcher.run(), "dispatcher")
        controller.spawn(deadline.keep_pushing(controller.calls, deadline_seconds), "caller-deadlines")
        controller.spawn(purge_forever(db, recordings_dir, retention_days, clock), "retention")

    return Active(controller, dispatcher, due, dial, reconciler, on_connected)


async def _act(
    settings: Settings,
    menus: MenuHolder,
    ari: AriClient,
    media: Media,
    db: Database,
    callbacks: CallbackStore,
    queue_store: QueueStore,
    notifier: Notifier,
    headset_states: HeadsetStates,
    live: LiveStatus,
    trace: CallTrace,
) -> None:
    """One active period: a fresh controller on the ARI websocket, until the lease is lost or we stop."""
    active = assemble(
        ari=ari,
        media=media,
        db=db,
        callbacks=callbacks,
        queue_store=queue_store,
        trace=trace,
        config=lambda: menus.current,  # read anew each time: a valid menu change applies to the next call
        clock=clock,
        app=settings.app,
        outbound_template=settings.outbound_template,
        recordings_dir=settings.recordings_dir,
        retention_days=settings.retention_days,
        deadline_seconds=settings.caller_deadline_seconds,
        notifier=notifier,
        headset_states=headset_states,
    )
    stream = EventStream(
        ari,
        settings.app,
        active.controller.router.route,
        active.on_connected,
        heartbeat=settings.heartbeat_seconds,
    )
    live.attach(active)  # the screen shows this period's queue and calls
    notifier.publish("queue")
    try:
        await active.controller.run(stream)
    finally:
        live.attach(None)
        notifier.publish("queue")
