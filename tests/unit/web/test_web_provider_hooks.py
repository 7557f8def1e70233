"""Twilio's delivery reports: a signed report marks the message delivered (or failed with its code); an
unsigned or wrongly signed one is refused and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import select

from ivr.messages.twilio_api import DeliveryReports
from storage.models_intake import OutboundMessage
from storage.outbox import MessageDraft, add_message, mark_sent
from tests.unit.web.conftest import Web

URL = "https://praktijk.example/hooks/twilio/status"
TOKEN = "twilio-auth-token"


def signed(form: dict[str, str], token: str = TOKEN) -> str:
    """What Twilio sends in X-Twilio-Signature (computed here independently of the product's code)."""
    payload = URL + "".join(k + form[k] for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


async def sent_message(web: Web, provider_id: str) -> int:
    draft = MessageDraft("booked", "sms", "0612000960", "De Linde belt u vandaag om 10:00 terug.")
    async with web.ctx.db.sessions() as session, session.begin():
        message = add_message(
            session, practice_id=await web.ctx.practice.id(), request_id=None, draft=draft, now=web.clock()
        )
    await mark_sent(
        web.ctx.db.sessions, message.id, provider="twilio", provider_message_id=provider_id, now=web.clock()
    )
    return message.id


async def state(web: Web, message_id: int) -> tuple[str, str | None]:
    async with web.ctx.db.sessions() as session:
        row = (await session.scalars(select(OutboundMessage).where(OutboundMessage.id == message_id))).one()
        return row.status, row.last_error


async def test_a_signed_report_marks_the_message_delivered_or_failed(web: Web) -> None:
    """delivered -> "delivered"; undelivered with code 30003 -> failed, the code kept for the screen."""
    web.ctx.delivery_reports = DeliveryReports(TOKEN, URL)
    first, second = await sent_message(web, "SM1"), await sent_message(web, "SM2")
    for sid, status, extra in (("SM1", "delivered", {}), ("SM2", "undelivered", {"ErrorCode": "30003"})):
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1", **extra}
        response = await web.client.post(
            "/hooks/twilio/status", data=form, headers={"X-Twilio-Signature": signed(form)}
        )
        assert response.status == 204
    assert await state(web, first) == ("delivered", None)
    assert await state(web, second) == ("failed", "undelivered (code 30003)")


async def test_a_report_with_a_wrong_or_no_signature_changes_nothing(web: Web) -> None:
    """Signed with another token, or not signed: 403, the message stays sent."""
    web.ctx.delivery_reports = DeliveryReports(TOKEN, URL)
    message_id = await sent_message(web, "SM9")
    form = {"MessageSid": "SM9", "MessageStatus": "failed"}
    for headers in ({"X-Twilio-Signature": signed(form, token="other")}, {}):
        response = await web.client.post("/hooks/twilio/status", data=form, headers=headers)
        assert response.status == 403
    assert await state(web, message_id) == ("sent", None)


async def test_without_reports_configured_the_hook_does_not_exist(web: Web) -> None:
    """No status callback URL set: 404, as for any unknown page."""
    response = await web.client.post("/hooks/twilio/status", data={"MessageSid": "SM1"})
    assert response.status == 404
