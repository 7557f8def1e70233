"""What the web layer gets from the composition root: typed handles on the controller's parts, no more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from capacity.loader import CapacityHolder
from dialplan.holder import MenuHolder
from ivr.db.door import Database
from ivr.db.practice import PracticeRegistry
from ivr.intake.service import IntakeService
from ivr.live.notifier import Notifier
from ivr.live.status import LiveStatus
from ivr.messages.twilio_api import DeliveryReports
from ivr.queue.headsets import HeadsetStates
from ivr.settings import Settings


@dataclass(frozen=True)
class WebSettings:
    """Session lifetimes and login limits (ivr.settings gives them from the environment)."""

    session_idle: dt.timedelta = dt.timedelta(minutes=60)
    # A working morning and afternoon; then log in again (a shared practice PC is never logged in for days).
    session_absolute: dt.timedelta = dt.timedelta(hours=12)
    # Secure cookies: the server speaks TLS itself, or a reverse proxy does (set by the admin).
    secure_cookies: bool = False
    failures_per_account: int = 5
    failures_per_address: int = 20
    failure_window: dt.timedelta = dt.timedelta(minutes=15)
    # The intake API's rate limit per token: a steady rate and the burst a client may use at once.
    api_requests_per_minute: int = 60
    api_burst: int = 20


@dataclass
class WebContext:
    db: Database
    practice: PracticeRegistry
    live: LiveStatus
    notifier: Notifier
    headsets: HeadsetStates
    menus: MenuHolder
    capacity: CapacityHolder | None
    clock: Callable[[], dt.datetime]
    settings: WebSettings = field(default_factory=WebSettings)
    recordings_dir: Path | None = None  # Asterisk's recordings: voice notes
    practice_recordings: Path | None = None  # the practice's own prompt recordings (admin uploads)
    prompt_names: Callable[[], frozenset[str]] = frozenset
    # The built prompts Asterisk plays (settings.sounds_dir): an uploaded recording is placed there at once.
    # None: it is used from the next start, when the prompts are built.
    sounds_dir: Path | None = None
    # Told the name of a prompt whose audio was just replaced (e.g. so Media forgets its cached length).
    prompt_replaced: Callable[[str], None] = lambda name: None
    # Books, reads and cancels online requests (the intake API); None: the practice offers no callbacks.
    intake: IntakeService | None = None
    # The message provider's delivery reports (ivr/web/provider_hooks.py); None: not configured.
    delivery_reports: DeliveryReports | None = None


def web_settings(settings: Settings) -> WebSettings:
    """The web layer's part of the controller's settings."""
    return WebSettings(
        session_idle=dt.timedelta(minutes=settings.session_idle_minutes),
        session_absolute=dt.timedelta(hours=settings.session_absolute_hours),
        secure_cookies=settings.web_secure_cookies or settings.web_tls_cert is not None,
    )


CONTEXT: web.AppKey[WebContext] = web.AppKey("terugbel_context", WebContext)


def context_of(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
