"""After every e2e test: the calls it made left a complete trace, so the report can count each of them.

Complete means: every call that arrived has its end, every spoed call was answered or given up, every wait
for a person has its outcome, every callback attempt its outcome. A test whose controller was killed (-9)
or ran without its database is exempt: there the trace may lose what was in memory, by design.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.records import CallStory, build_stories


@dataclass(frozen=True)
class Row:
    call_id: str
    kind: str
    at: dt.datetime
    detail: dict[str, Any]


def stored_stories(database: Path) -> list[CallStory]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT call_id, kind, at, detail FROM call_event ORDER BY id").fetchall()
    events = []
    for call_id, kind, at, detail in rows:
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:  # SQLite keeps the UTC value without an offset
            moment = moment.replace(tzinfo=dt.UTC)
        events.append(Row(call_id, kind, moment, json.loads(detail) if isinstance(detail, str) else detail))
    return build_stories(events)


def incomplete(stories: list[CallStory]) -> list[str]:
    """What is missing, one line per call; empty when every call's trace is whole."""
    problems = []
    for story in stories:
        missing = []
        if story.arrived_at is not None and story.ended_at is None:
            missing.append("call_ended")
        missing += ["spoed outcome" for s in story.spoed if s.answered_at is None and s.given_up is None]
        missing += [f"{w.via} outcome" for w in story.waits if w.outcome is None]
        missing += [f"attempt {a.attempt_id} outcome" for a in story.attempts if a.outcome is None]
        if missing:
            problems.append(f"{story.call_id}: no {', '.join(missing)}")
    return problems
