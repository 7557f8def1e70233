"""Online requests booked by the caller's planner and rules: priority for U3, the preferred window, a full
day, cancelling; and the patient's confirmation written in the booking's own transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from capacity.config import CapacityConfig
from dialplan.schema import Messages
from ivr.callback.store import CallbackStore
from ivr.intake.service import Booked, Intake, IntakeService, NotBooked
from ivr.messages.compose import compose
from storage.models import CallbackRequest
from storage.models_intake import OutboundMessage
from storage.status import MessageEvent, Urgency
from tests.fakes.practice import START, FakePractice, demo_menu

MOBILE, LANDLINE = "0612000701", "0201234567"


def one_slot_a_quarter(reserved: int = 0) -> CapacityConfig:
    """Every quarter of Monday 10:00-12:00 holds 1 ordinary place (plus `reserved` for priority)."""
    return CapacityConfig.model_validate(
        {
            "calls_per_assistant_per_hour": 4 * (1 + reserved),
            "blocks": {"monday": [{"start": "10:00", "end": "12:00", "assistants": 1}]},
            "priority_reserved_per_slot": reserved,
            "min_lead_minutes": 0,
            "horizon_days": 0,
            "public_holidays": False,
        }
    )


def intake(urgency: Urgency = Urgency.U4, phone: str = MOBILE, **window: Any) -> Intake:
    return Intake(
        phone=phone,
        name="J. de Vries",
        urgency=urgency,
        summary="Keelpijn sinds 3 dagen, geen koorts.",
        answers={"koorts": False, "dagen": 3},
        **window,
    )


async def service(tmp_path: Path, capacity: CapacityConfig, messages: Messages | None = None):
    practice = FakePractice(tmp_path, demo_menu(), capacity=capacity)
    await practice.migrate()
    config = messages or Messages(enabled=True)
    written: list[int] = []
    store = CallbackStore(
        practice.db,
        practice.registry,
        lambda: capacity,
        messages=lambda event, phone, slot: compose(
            config,
            event,
            practice="De Linde",
            phone=phone,
            now=practice.now(),
            tz=capacity.tz,
            slot_start=slot,
        ),
        message_written=lambda: written.append(1),
    )
    return practice, IntakeService(store, practice.db, practice.registry, practice.now), written


async def rows(practice: FakePractice, model: Any) -> list[Any]:
    return await practice.sql(lambda s: _all(s, model))


async def _all(session: Any, model: Any) -> list[Any]:
    return list(await session.scalars(select(model).order_by(model.id)))


async def test_an_online_request_is_booked_in_the_earliest_slot_with_its_triage_and_a_message(
    tmp_path: Path,
) -> None:
    """U4 at 09:00: 10:00, source online, name, urgency, answers; a text "belt u vandaag om 10:00 terug"."""
    practice, intake_service, written = await service(tmp_path, one_slot_a_quarter())
    try:
        booked = await intake_service.book(intake(), client="triage")
        assert isinstance(booked, Booked)
        [request] = await rows(practice, CallbackRequest)
        assert request.slot_start == START.replace(hour=10)
        assert (request.source, request.number_source, request.priority) == ("online", "online", False)
        assert (request.patient_name, request.urgency) == ("J. de Vries", "U4")
        assert request.triage == {"answers": {"koorts": False, "dagen": 3}}
        assert request.reason == "Keelpijn sinds 3 dagen, geen koorts."
        [message] = await rows(practice, OutboundMessage)
        assert (message.request_id, message.event, message.status) == (request.id, "booked", "pending")
        assert message.body == "De Linde belt u vandaag om 10:00 terug."
        assert "Keelpijn" not in message.body and written == [1]
    finally:
        await practice.close()


async def test_u3_may_use_the_place_held_back_for_priority(tmp_path: Path) -> None:
    """One ordinary and one reserved place at 10:00: two U4 requests fill 10:00 and 10:15, a U3 gets 10:00."""
    practice, intake_service, _ = await service(tmp_path, one_slot_a_quarter(reserved=1))
    try:
        first = await intake_service.book(intake(phone="0612000711"), client="t")
        second = await intake_service.book(intake(phone="0612000712"), client="t")
        urgent = await intake_service.book(intake(Urgency.U3, phone="0612000713"), client="t")
        assert isinstance(first, Booked) and isinstance(second, Booked) and isinstance(urgent, Booked)
        ten = START.replace(hour=10)
        assert first.request.slot_start == ten and second.request.slot_start == ten + dt.timedelta(minutes=15)
        assert urgent.request.slot_start == ten and urgent.request.priority
    finally:
        await practice.close()


async def test_the_preferred_window_is_kept_or_the_answer_says_why_not(tmp_path: Path) -> None:
    """From 11:00: 11:00 booked. Window 13:00-14:00 on a day whose slots end at 12:00: outside_window."""
    practice, intake_service, _ = await service(tmp_path, one_slot_a_quarter())
    try:
        eleven = START.replace(hour=11)
        booked = await intake_service.book(intake(window_from=eleven), client="t")
        assert isinstance(booked, Booked) and booked.request.slot_start == eleven
        late = await intake_service.book(
            intake(phone="0612000721", window_from=eleven, window_to=eleven + dt.timedelta(minutes=15)),
            client="t",
        )
        assert late == NotBooked("outside_window", START.date())
    finally:
        await practice.close()


async def test_a_full_day_is_not_booked_and_nothing_is_written(tmp_path: Path) -> None:
    """Eight places, nine requests: the ninth gets the planner's reason and the next day with room."""
    practice, intake_service, _ = await service(tmp_path, one_slot_a_quarter())
    try:
        for n in range(8):
            assert isinstance(
                await intake_service.book(intake(phone=f"06120007{30 + n}"), client="t"), Booked
            )
        full = await intake_service.book(intake(phone="0612000799"), client="t")
        assert full == NotBooked("full_horizon", dt.date(2026, 11, 30)), "the next Monday has room"
        assert len(await rows(practice, CallbackRequest)) == 8
        assert len(await rows(practice, OutboundMessage)) == 8
    finally:
        await practice.close()


async def test_no_message_to_a_landline_or_when_the_practice_has_messages_off(tmp_path: Path) -> None:
    """A landline gets no text; with messages off a mobile gets none either: the booking stands alone."""
    practice, intake_service, written = await service(tmp_path, one_slot_a_quarter(), Messages(enabled=False))
    try:
        assert isinstance(await intake_service.book(intake(), client="t"), Booked)
        assert await rows(practice, OutboundMessage) == [] and written == []
    finally:
        await practice.close()
    practice, intake_service, _ = await service(tmp_path / "b", one_slot_a_quarter())
    try:
        assert isinstance(await intake_service.book(intake(phone=LANDLINE), client="t"), Booked)
        assert await rows(practice, OutboundMessage) == []
    finally:
        await practice.close()


async def test_cancelling_gives_the_place_back_and_is_refused_once_it_has_ended(tmp_path: Path) -> None:
    """Cancelled: the slot is free for the next request; unknown ids are not found."""
    practice, intake_service, _ = await service(tmp_path, one_slot_a_quarter())
    try:
        booked = await intake_service.book(intake(), client="t")
        assert isinstance(booked, Booked)
        assert await intake_service.cancel(booked.request.id, client="t") == "cancelled"
        assert await intake_service.cancel(booked.request.id, client="t") == "cancelled"
        assert await intake_service.cancel(9999, client="t") == "not_found"
        again = await intake_service.book(intake(phone="0612000740"), client="t")
        assert isinstance(again, Booked) and again.request.slot_start == START.replace(hour=10)
        assert (await intake_service.status(booked.request.id)).status == "cancelled"  # type: ignore[union-attr]
    finally:
        await practice.close()


async def test_u1_and_u2_are_never_booked(tmp_path: Path) -> None:
    """The service refuses them outright: the API answers 112 or the spoed line before it gets here."""
    practice, intake_service, _ = await service(tmp_path, one_slot_a_quarter())
    try:
        for urgency in (Urgency.U1, Urgency.U2):
            with pytest.raises(ValueError):
                await intake_service.book(intake(urgency), client="t")
        assert await rows(practice, CallbackRequest) == []
    finally:
        await practice.close()


def test_the_message_names_the_day_as_a_patient_says_it() -> None:
    """Today: "vandaag"; tomorrow: "morgen"; later: "woensdag 25 november"; only for the chosen events."""
    config = Messages(enabled=True, events=["booked"])
    now = START
    texts = [
        compose(config, MessageEvent.BOOKED, practice="De Linde", phone=MOBILE, now=now, tz=START.tzinfo,
                slot_start=now + dt.timedelta(days=d)).body  # type: ignore[union-attr]
        for d in (0, 1, 2)
    ]  # fmt: skip
    assert texts == [
        "De Linde belt u vandaag om 09:00 terug.",
        "De Linde belt u morgen om 09:00 terug.",
        "De Linde belt u woensdag 25 november om 09:00 terug.",
    ]
    not_reached = compose(
        config, MessageEvent.NOT_REACHED, practice="x", phone=MOBILE, now=now, tz=START.tzinfo
    )
    assert not_reached is None, "not_reached is not among the events chosen"
