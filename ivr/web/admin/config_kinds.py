"""The two YAML files the admin pages edit, menu and capacity, described once for the generic pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.watched import FileHolder
from ivr.web.context import WebContext
from storage.status import ConfigKind


@dataclass(frozen=True)
class ConfigPage:
    """One editable config: its URL, its words on the page, its audit action and its running holder."""

    kind: ConfigKind
    slug: str  # /beheer/<slug>
    title: str
    what: str  # "het menu", in sentences
    audit_action: str
    holder_of: Callable[[WebContext], FileHolder[Any] | None]

    @property
    def path(self) -> str:
        return f"/beheer/{self.slug}"


MENU = ConfigPage(
    kind=ConfigKind.MENU,
    slug="menu",
    title="Menu",
    what="het menu",
    audit_action="menu_gewijzigd",
    holder_of=lambda ctx: ctx.menus,
)
CAPACITY = ConfigPage(
    kind=ConfigKind.CAPACITY,
    slug="capaciteit",
    title="Capaciteit",
    what="de capaciteit",
    audit_action="capaciteit_gewijzigd",
    holder_of=lambda ctx: ctx.capacity,
)
PAGES = (MENU, CAPACITY)
