"""An online request in the assistants' list: source online, the patient's name, the triage level and
summary, and the state of the text message sent about it."""

from __future__ import annotations

from ivr.intake.service import Booked, Intake
from storage.outbox import MessageDraft, add_message, mark_sent
from storage.status import Urgency
from tests.unit.web.conftest import Web


async def test_an_online_request_shows_its_name_level_summary_and_message_state(web: Web) -> None:
    """Booked through the intake service, its confirmation sent: the row says all of it, number masked."""
    await web.login("anna")
    intake = Intake(
        phone="0612000950",
        name="J. de Vries",
        urgency=Urgency.U3,
        summary="Benauwd bij traplopen sinds gisteren.",
        answers={"koorts": False},
    )
    assert web.ctx.intake is not None
    booked = await web.ctx.intake.book(intake, client="test")
    assert isinstance(booked, Booked)
    draft = MessageDraft("booked", "sms", "0612000950", "De Linde belt u vandaag om 10:00 terug.")
    async with web.ctx.db.sessions() as session, session.begin():
        message = add_message(
            session,
            practice_id=booked.request.practice_id,
            request_id=booked.request.id,
            draft=draft,
            now=web.clock(),
        )
    await mark_sent(
        web.ctx.db.sessions, message.id, provider="log", provider_message_id="log-1", now=web.clock()
    )
    body = await (await web.client.get("/api/screen")).json()
    [row] = [r for group in body["callbacks"]["groups"] for r in group["rows"]]
    assert (row["source"], row["name"], row["urgency"], row["priority"]) == (
        "online",
        "J. de Vries",
        "U3",
        True,
    )
    assert row["reason"] == "Benauwd bij traplopen sinds gisteren."
    assert row["messages"] == ["bericht bevestiging: verzonden"]
    assert row["number"] == "********50"
