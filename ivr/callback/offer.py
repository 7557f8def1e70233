"""The callback offer: a concrete time, confirmed by a key, stored before the caller hears "genoteerd".

Nothing is held while the caller listens: the slot is taken atomically when the confirm key comes
(storage.bookings), so an offer that is never confirmed needs no release, and a caller who loses the
race for the last place simply hears the next free time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from capacity.planner import NoSlot, Offer
from common.phone import callback_number
from dialplan.schema import CallbackAction
from ivr.ari import AriError, AriUnavailable
from ivr.call import Call, CallGone
from ivr.callback.desk import CallbackDesk
from ivr.callback.number import SpoedRequested, ask_number
from ivr.practice_db import DeskUnavailable
from ivr.recording import record_message, recording_name
from prompts.spoken import say_moment
from storage.models import CallbackRequest, NumberSource

log = structlog.get_logger(__name__)

VOICE_NOTE_PREFIX = "terugbelverzoek"
SPOED_ADVICE_SECONDS = 5.0


class OfferOutcome(enum.Enum):
    BOOKED = "booked"
    DECLINED = "declined"  # no choice made, or no number could be noted
    TURNED_AWAY = "turned_away"  # no slot left in the horizon
    SPOED = "spoed"  # the caller pressed the spoed key: the caller of this function connects spoed
    UNAVAILABLE = "unavailable"  # the database failed: the caller of this function rings an assistant


@dataclass
class _Progress:
    """What the caller has reached, for the call event when they hang up halfway."""

    stage: str = "start"
    slot: dt.datetime | None = None


async def run_callback_offer(
    call: Call,
    desk: CallbackDesk,
    action: CallbackAction,
    *,
    spoed_key: str,
    clock: Callable[[], dt.datetime],
) -> OfferOutcome:
    """Offer, confirm and book a callback; see OfferOutcome for what the menu does next."""
    progress = _Progress()
    try:
        return await _offer(call, desk, action, spoed_key=spoed_key, clock=clock, progress=progress)
    except SpoedRequested:
        log.info("callback_spoed", stage=progress.stage)
        await desk.event(call.call_id, "callback_spoed", stage=progress.stage)
        return OfferOutcome.SPOED
    except DeskUnavailable as exc:
        log.error("callback_desk_unavailable", stage=progress.stage, error=str(exc))
        return OfferOutcome.UNAVAILABLE
    except CallGone:
        if progress.stage != "booked":
            log.info("callback_abandoned", stage=progress.stage)
            slot = progress.slot.isoformat() if progress.slot else None
            await desk.event(call.call_id, "callback_abandoned", stage=progress.stage, slot=slot)
        raise


async def _offer(
    call: Call,
    desk: CallbackDesk,
    action: CallbackAction,
    *,
    spoed_key: str,
    clock: Callable[[], dt.datetime],
    progress: _Progress,
) -> OfferOutcome:
    # Is there anything to offer at all? Asking for a number first would waste the caller's time.
    first = await desk.earliest(clock())
    if isinstance(first, NoSlot):
        return await _turn_away(call, desk, first, spoed_key=spoed_key)
    if await call.play(["terugbel_aanbod"], interrupt={spoed_key}) is not None:
        raise SpoedRequested
    phone, source = await _number(call, action, desk, spoed_key=spoed_key, progress=progress)
    if phone is None:
        return OfferOutcome.DECLINED

    progress.stage = "offer"
    # Typing a number takes time: plan again so the first offer is as fresh as can be.
    offer_or_none = await desk.earliest(clock())
    if isinstance(offer_or_none, NoSlot):
        return await _turn_away(call, desk, offer_or_none, spoed_key=spoed_key)
    offer: Offer = offer_or_none
    request = await _choose_and_book(
        call,
        desk,
        action,
        offer,
        phone=phone,
        source=source,
        spoed_key=spoed_key,
        clock=clock,
        progress=progress,
    )
    if isinstance(request, OfferOutcome):
        return request

    progress.stage = "booked"
    # Only now, with the booking committed, does the caller hear that it is noted.
    when = say_moment(request.slot_start.astimezone(offer.slot_start.tzinfo), clock())
    await call.play(["terugbel_genoteerd", *when, "terugbel_genoteerd_slot"], interrupt=())
    if action.voice_note:
        await _voice_note(call, desk, action, request)
    else:
        await call.play(["tot_ziens"], interrupt=())
    return OfferOutcome.BOOKED


async def _number(
    call: Call, action: CallbackAction, desk: CallbackDesk, *, spoed_key: str, progress: _Progress
) -> tuple[str | None, NumberSource]:
    phone = callback_number(call.caller_number)
    if phone is not None:
        return phone, "caller_id"
    progress.stage = "number"
    log.info("callback_number_needed", caller_id="withheld" if not call.caller_number else "not usable")
    phone = await ask_number(call, action, spoed_key=spoed_key)
    if phone is None:
        await desk.event(call.call_id, "callback_number_failed")
        await call.play(["terugbel_nummer_mislukt"], interrupt=())
    return phone, "typed"


async def _choose_and_book(
    call: Call,
    desk: CallbackDesk,
    action: CallbackAction,
    offer: Offer,
    *,
    phone: str,
    source: NumberSource,
    spoed_key: str,
    clock: Callable[[], dt.datetime],
    progress: _Progress,
) -> CallbackRequest | OfferOutcome:
    """Offer times until one is confirmed and booked; an OfferOutcome when the caller does not book."""
    silences = wrong_keys = 0
    before: list[str] = []
    while True:
        progress.slot = offer.slot_start
        spoken = say_moment(offer.slot_start, clock())
        log.info("callback_offered", slot=offer.slot_start.isoformat(), spoken=spoken)
        await desk.event(call.call_id, "callback_offered", slot=offer.slot_start.isoformat())
        key = await call.play([*before, "terugbel_tijd", *spoken, "terugbel_keuze"])
        if key is None:
            key = await call.wait_digit(action.timeout)
        before = []
        if key == spoed_key:
            raise SpoedRequested
        if key is None or key not in (action.confirm_key, action.other_key):
            if key is None:
                silences += 1
            else:
                wrong_keys += 1
            log.info("callback_offer_miss", key=key, silences=silences, wrong_keys=wrong_keys)
            # No input: the offer is repeated once, then the call ends politely (nothing booked).
            if silences > 1 or wrong_keys > 2:
                await desk.event(call.call_id, "callback_declined", slot=offer.slot_start.isoformat())
                await call.play(["terugbel_geen_keuze_einde"], interrupt=())
                return OfferOutcome.DECLINED
            before = ["geen_keuze" if key is None else "ongeldige_keuze"]
            continue
        if key == action.other_key:
            later = await desk.earliest(clock(), after=offer.slot_start)
            if isinstance(later, NoSlot):
                before = ["terugbel_geen_later"]
            else:
                offer = later
            continue
        progress.stage = "booking"
        request = await desk.book(offer, phone=phone, number_source=source, call_id=call.call_id)
        if request is not None:
            log.info(
                "callback_confirmed", request_id=request.id, slot=offer.slot_start.isoformat(), source=source
            )
            await desk.event(
                call.call_id, "callback_booked", request_id=request.id, slot=offer.slot_start.isoformat()
            )
            return request
        # Another caller took the last place while this one listened: offer the next free time.
        progress.stage = "offer"
        log.info("callback_slot_taken", slot=offer.slot_start.isoformat())
        await desk.event(call.call_id, "callback_slot_taken", slot=offer.slot_start.isoformat())
        fresh = await desk.earliest(clock())
        if isinstance(fresh, NoSlot):
            return await _turn_away(call, desk, fresh, spoed_key=spoed_key)
        offer, before = fresh, ["terugbel_tijd_vergeven"]


async def _turn_away(call: Call, desk: CallbackDesk, none: NoSlot, *, spoed_key: str) -> OfferOutcome:
    """No time left to offer: say so with the spoed advice, and count the caller (demand a cap hides)."""
    next_day = none.next_open_day.isoformat() if none.next_open_day else None
    log.info("callback_turned_away", reason=none.reason, next_open_day=next_day)
    await desk.event(call.call_id, "callback_turned_away", reason=none.reason, next_open_day=next_day)
    prompt = "terugbel_vol_vandaag" if none.reason in ("full_today", "closed_today") else "terugbel_vol"
    key = await call.play([prompt], interrupt={spoed_key})
    if key is None:
        key = await call.wait_digit(SPOED_ADVICE_SECONDS, allowed={spoed_key})
    if key == spoed_key:
        raise SpoedRequested
    return OfferOutcome.TURNED_AWAY


async def _voice_note(
    call: Call, desk: CallbackDesk, action: CallbackAction, request: CallbackRequest
) -> None:
    """The caller's question in a few words, stored with the booked request for the assistant."""
    name = recording_name(call, VOICE_NOTE_PREFIX)
    await call.play(["terugbel_vraag_inspreken"], interrupt=())
    log.info("voice_note_recording", request_id=request.id)
    try:
        recorded = await record_message(
            call, prefix=VOICE_NOTE_PREFIX, max_seconds=action.voice_note_seconds, name=name
        )
    except CallGone:
        # Hanging up instead of pressing # is the usual way to finish: Asterisk keeps what was said.
        await desk.attach_voice_note(request.id, name)
        log.info("voice_note_stored", request_id=request.id, ended_by="hangup")
        raise
    except (AriError, AriUnavailable) as exc:
        # The booking stands and was confirmed; a recorder failure only costs the spoken question.
        log.error("voice_note_failed", request_id=request.id, error=str(exc))
        recorded = None
    if recorded is not None:
        await desk.attach_voice_note(request.id, recorded)
        log.info("voice_note_stored", request_id=request.id, ended_by="key_or_silence")
    await call.play(["terugbel_vraag_ontvangen"], interrupt=())
