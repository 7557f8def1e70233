"""Delivery reports from the message provider (Twilio's status callback): "afgeleverd" in the screen.

The route is not behind a login (the provider cannot log in) but behind the provider's signature over the
configured callback URL and the form, checked with the account's auth token; anything unsigned or wrongly
signed is refused and changes nothing. Only a message that went out, found by the provider's id, changes.
"""

from __future__ import annotations

from aiohttp import web

from ivr.db.door import StoreUnavailable
from ivr.messages.twilio_api import valid_signature
from ivr.web.context import context_of
from storage.outbox import mark_delivery

TWILIO_STATUS_PATH = "/hooks/twilio/status"
DELIVERED = frozenset({"delivered", "read"})
NOT_DELIVERED = frozenset({"undelivered", "failed"})


async def twilio_status(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    reports = ctx.delivery_reports
    if reports is None:
        raise web.HTTPNotFound()
    form = {name: str(value) for name, value in (await request.post()).items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not valid_signature(reports.auth_token, reports.url, form, signature):
        raise web.HTTPForbidden(text="invalid signature")
    status = form.get("MessageStatus", "")
    message_id = form.get("MessageSid", "")
    if message_id and (status in DELIVERED or status in NOT_DELIVERED):
        error = f"{status} (code {form['ErrorCode']})" if form.get("ErrorCode") else status
        try:
            changed = await ctx.db.run(
                mark_delivery,
                message_id,
                delivered=status in DELIVERED,
                error=None if status in DELIVERED else error,
                now=ctx.clock(),
            )
        except StoreUnavailable:
            raise web.HTTPServiceUnavailable() from None  # the provider tries the report again
        if changed:
            ctx.notifier.publish("callbacks")
    return web.Response(status=204)
