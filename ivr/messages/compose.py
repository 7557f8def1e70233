"""The practice's message to a patient, from its menu file's `messages` section: or none at all.

Pure: the config, the event and the times in, a draft for the outbox out. A message goes only to a mobile
number, only when the practice turned messages on for that event, and never says why the patient called.
"""

from __future__ import annotations

import datetime as dt

from common.phone import is_mobile
from dialplan.schema import Messages
from storage.outbox import MessageDraft
from storage.status import MessageEvent

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def spoken_day(day: dt.date, today: dt.date) -> str:
    """ "vandaag", "morgen", else "maandag 24 november": how the text names the day of the callback."""
    if day == today:
        return "vandaag"
    if day == today + dt.timedelta(days=1):
        return "morgen"
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def compose(
    config: Messages,
    event: MessageEvent,
    *,
    practice: str,
    phone: str,
    now: dt.datetime,
    tz: dt.tzinfo,
    slot_start: dt.datetime | None = None,
) -> MessageDraft | None:
    """The draft to put in the outbox with the booking or the attempt's end, or None when none is due."""
    if not config.enabled or event.value not in config.events or not is_mobile(phone):
        return None
    local_now = now.astimezone(tz)
    moment = (slot_start or now).astimezone(tz)
    text = config.texts.booked if event == MessageEvent.BOOKED else config.texts.not_reached
    body = text.format(
        praktijk=practice, dag=spoken_day(moment.date(), local_now.date()), tijd=moment.strftime("%H:%M")
    )
    return MessageDraft(event=event, channel=config.channel, phone=phone, body=body)
