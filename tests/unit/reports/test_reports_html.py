"""The report page: seed 001's evaluation questions answered in words, and a document that stands alone."""

from __future__ import annotations

import re

from capacity.config import CapacityConfig
from reports.export import COLUMNS
from reports.html import evaluation, report_document
from reports.report import build_report
from tests.unit.reports.calls import MONDAY, at, booked, events, offered, queued

CONFIG = CapacityConfig.model_validate(
    {"blocks": {"monday": [{"start": "10:00", "end": "12:00", "assistants": 1}]}, "public_holidays": False}
)
SLOT = at(MONDAY, "10:00")


def answers(*calls) -> dict[str, str]:
    return dict(evaluation(build_report(events(*calls), CONFIG, MONDAY, MONDAY)))


def test_a_block_short_of_callback_assistants_is_named_in_the_advice() -> None:
    """40 callbacks of 313 s in a 2-hour block with 1 assistant: "meer assistenten op maandag 10:00-12:00"."""
    said = answers(*(booked(n, SLOT, late_minutes=5, talk=300) for n in range(40)))
    assert "meer assistenten op maandag 10:00-12:00" in said["Krijgen de assistentes de lijst weggewerkt?"]


def test_callbacks_that_come_late_advise_fewer_slots_or_more_hands() -> None:
    """Two of three callbacks 30 min late, the file's one assistant enough: the seed's advice for lateness."""
    said = answers(*(booked(n, SLOT, late_minutes=late) for n, late in ((1, 5), (2, 30), (3, 30))))
    finished = said["Krijgen de assistentes de lijst weggewerkt?"]
    assert finished.startswith(
        "3 van de 3 terugbelafspraken zijn gebeld, 0 niet; 1 op tijd, 0 te vroeg, 2 te laat."
    )
    assert "open minder terugbelplekken of zet meer assistenten op het terugbelblok" in finished


def test_lost_calls_and_declined_times_are_answered_with_their_figures() -> None:
    """One of two waiting callers hung up after 200 s; the one declined time was 11:00, 180 min ahead."""
    said = answers(
        queued(at(MONDAY, "08:00"), 200, "abandoned"),
        queued(at(MONDAY, "08:05"), 30, "answered"),
        offered(at(MONDAY, "08:00"), at(MONDAY, "11:00", 15), "declined"),
    )
    assert said["Hoeveel gesprekken gingen verloren?"].startswith(
        "1 van de 2 wachtende bellers hingen op (50,0 %)"
    )
    declined = said["Weigeren bellers de terugbeloptie, en is de aangeboden tijd te laat?"]
    assert "1 van de 1 aangeboden terugbeltijden werden geweigerd" in declined and "11:00" in declined
    assert "mediaan 180 minuten na het gesprek" in declined


def test_the_document_stands_alone_with_every_figure_and_no_outside_resource() -> None:
    """One HTML file: inline style and SVG, no script, nothing fetched, a cell for every CSV column."""
    page = report_document(build_report(events(booked(1, SLOT, late_minutes=5)), CONFIG, MONDAY, MONDAY))
    assert "<script" not in page and not re.search(r'(src|href)="https?:', page)
    cells = re.findall(r'data-figure="([^"]+)"', page)
    assert cells == [name for name, _ in COLUMNS]
    assert page.count("<svg") >= 3 and "<style>" in page
