"""The practice's database row, registered on first use under the stable id the admin set in the menu."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.db.door import Database
from storage.practices import ensure_practice


@dataclass(frozen=True)
class PracticeIdentity:
    """How the practice is known: `key` never changes (menu `practice.id`); name and number may."""

    key: str
    name: str
    number: str


class PracticeRegistry:
    """The practice's row id, registered on first use, so a database that was down at start is fine."""

    def __init__(self, db: Database, identity: PracticeIdentity) -> None:
        self.db = db
        self.identity = identity
        self._id: int | None = None

    async def id(self) -> int:
        if self._id is None:
            row = await self.db.run(
                ensure_practice, slug=self.identity.key, name=self.identity.name, number=self.identity.number
            )
            self._id = row.id
        return self._id
