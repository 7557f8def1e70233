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
from ivr import log_events as ev
from ivr import sounds
from ivr.ari import AriError, AriUnavailable
from ivr.callback.store import CallbackStore
from ivr.core.call import Call, CallGone
from ivr.db.door import StoreUnavailable
from ivr.number_entry import NumberKeys, SpoedRequested, ask_number
from ivr.recording import record_message, recording_name
from prompts.spoken import say_moment
from storage.call_events import EventKind
from storage.models import CallbackRequest
from storage.status import NumberSource

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
    store: CallbackStore,
    action: CallbackAction,
    *,
    spoed_key: str,
    clock: Callable[[], dt.datetime],
) -> OfferOutcome:
    """Offer, confirm and book a callback; see OfferOutcome for what the menu does next."""
    progress = _Progress()
    try:
        return await _offer(call, store, action, spoed_key=spoed_key, clock=clock, progress=progress)
    except SpoedRequested:
        log.info(ev.CALLBACK_SPOED, stage=progress.stage)
        store.event(call.call_id, EventKind.CALLBACK_SPOED, stage=progress.stage)
        return OfferOutcome.SPOED
    except StoreUnavailable as exc:
        log.error(ev.CALLBACK_UNAVAILABLE, stage=progress.stage, error=str(exc))
        store.event(call.call_id, EventKind.CALLBACK_UNAVAILABLE, stage=progress.stage)
        return OfferOutcome.UNAVAILABLE
    except CallGone:
        if progress.stage != "booked":
            log.info(ev.CALLBACK_ABANDONED, stage=progress.stage)
            slot = progress.slot.isoformat() if progress.slot else None
            store.event(call.call_id, EventKind.CALLBACK_ABANDONED, stage=progress.stage, slot=slot)
        raise


async def _offer(
    call: Call,
    store: CallbackStore,
    action: CallbackAction,
    *,
    spoed_key: str,
    clock: Callable[[], dt.datetime],
    progress: _Progress,
) -> OfferOutcome:
    # Is there anything to offer at all? Asking for a number first would waste the caller's time.
    first = await store.earliest(clock())
    if isinstance(first, NoSlot):
        return await _turn_away(call, store, first, spoed_key=spoed_key)
    if await call.play([sounds.TERUGBEL_AANBOD], interrupt={spoed_key}) is not None:
        raise SpoedRequested
    phone, source = await _number(call, action, store, spoed_key=spoed_key, progress=progress)
    if phone is None:
        return OfferOutcome.DECLINED

    progress.stage = "offer"
    # Typing a number takes time: plan again so the first offer is as fresh as can be.
    offer_or_none = await store.earliest(clock())
    if isinstance(offer_or_none, NoSlot):
        return await _turn_away(call, store, offer_or_none, spoed_key=spoed_key)
    offer: Offer = offer_or_none
    request = await _choose_and_book(
        call,
        store,
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
    await call.play([sounds.TERUGBEL_GENOTEERD, *when, sounds.TERUGBEL_GENOTEERD_SLOT], interrupt=())
    if action.voice_note:
        await _voice_note(call, store, action, request)
    else:
        await call.play([sounds.TOT_ZIENS], interrupt=())
    return OfferOutcome.BOOKED


async def _number(
    call: Call, action: CallbackAction, store: CallbackStore, *, spoed_key: str, progress: _Progress
) -> tuple[str | None, NumberSource]:
    phone = callback_number(call.caller_number)
    if phone is not None:
        return phone, NumberSource.CALLER_ID
    progress.stage = "number"
    log.info("callback_number_needed", caller_id="withheld" if not call.caller_number else "not usable")
    keys = NumberKeys(confirm=action.confirm_key, again=action.other_key)
    phone = await ask_number(
        call, keys, attempts=action.number_attempts, answer_seconds=action.timeout, spoed_key=spoed_key
    )
    if phone is None:
        store.event(call.call_id, EventKind.CALLBACK_NUMBER_FAILED)
        await call.play([sounds.NUMMER_MISLUKT], interrupt=())
    return phone, NumberSource.TYPED


async def _choose_and_book(
    call: Call,
    store: CallbackStore,
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
        log.info(ev.CALLBACK_OFFERED, slot=offer.slot_start.isoformat(), spoken=spoken)
        store.event(call.call_id, EventKind.CALLBACK_OFFERED, slot=offer.slot_start.isoformat())
        # A key pressed before the offer (a second press at the read-back) must not choose a time the
        # caller never heard.
        call.flush_digits()
        key = await call.play([*before, sounds.TERUGBEL_TIJD, *spoken, sounds.TERUGBEL_KEUZE])
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
            log.info(ev.CALLBACK_OFFER_MISS, key=key, silences=silences, wrong_keys=wrong_keys)
            # No input: the offer is repeated once, then the call ends politely (nothing booked).
            if silences > 1 or wrong_keys > 2:
                store.event(call.call_id, EventKind.CALLBACK_DECLINED, slot=offer.slot_start.isoformat())
                await call.play([sounds.TERUGBEL_GEEN_KEUZE_EINDE], interrupt=())
                return OfferOutcome.DECLINED
            before = [sounds.GEEN_KEUZE if key is None else sounds.ONGELDIGE_KEUZE]
            continue
        if key == action.other_key:
            later = await store.earliest(clock(), after=offer.slot_start)
            if isinstance(later, NoSlot):
                before = [sounds.TERUGBEL_GEEN_LATER]
            else:
                offer = later
            continue
        progress.stage = "booking"
        request = await store.book(offer, phone=phone, number_source=source, call_id=call.call_id)
        if request is not None:
            log.info(
                ev.CALLBACK_CONFIRMED, request_id=request.id, slot=offer.slot_start.isoformat(), source=source
            )
            store.event(
                call.call_id,
                EventKind.CALLBACK_BOOKED,
                request_id=request.id,
                slot=offer.slot_start.isoformat(),
            )
            return request
        # Another caller took the last place while this one listened: offer the next free time.
        progress.stage = "offer"
        log.info(ev.CALLBACK_SLOT_TAKEN, slot=offer.slot_start.isoformat())
        store.event(call.call_id, EventKind.CALLBACK_SLOT_TAKEN, slot=offer.slot_start.isoformat())
        fresh = await store.earliest(clock())
        if isinstance(fresh, NoSlot):
            return await _turn_away(call, store, fresh, spoed_key=spoed_key)
        offer, before = fresh, [sounds.TERUGBEL_TIJD_VERGEVEN]


async def _turn_away(call: Call, store: CallbackStore, none: NoSlot, *, spoed_key: str) -> OfferOutcome:
    """No time left to offer: say so with the spoed advice, and count the caller (demand a cap hides)."""
    next_day = none.next_open_day.isoformat() if none.next_open_day else None
    log.info(ev.CALLBACK_TURNED_AWAY, reason=none.reason, next_open_day=next_day)
    store.event(call.call_id, EventKind.CALLBACK_TURNED_AWAY, reason=none.reason, next_open_day=next_day)
    prompt = (
        sounds.TERUGBEL_VOL_VANDAAG if none.reason in ("full_today", "closed_today") else sounds.TERUGBEL_VOL
    )
    key = await call.play([prompt], interrupt={spoed_key})
    if key is None:
        key = await call.wait_digit(SPOED_ADVICE_SECONDS, allowed={spoed_key})
    if key == spoed_key:
        raise SpoedRequested
    return OfferOutcome.TURNED_AWAY


async def _voice_note(
    call: Call, store: CallbackStore, action: CallbackAction, request: CallbackRequest
) -> None:
    """The caller's question in a few words, stored with the booked request for the assistant."""
    name = recording_name(call, VOICE_NOTE_PREFIX)
    await call.play([sounds.TERUGBEL_VRAAG_INSPREKEN], interrupt=())
    log.info(ev.VOICE_NOTE_RECORDING, request_id=request.id)
    try:
        recorded = await record_message(
            call, prefix=VOICE_NOTE_PREFIX, max_seconds=action.voice_note_seconds, name=name
        )
    except CallGone:
        # Hanging up instead of pressing # is the usual way to finish: Asterisk keeps what was said.
        await store.attach_voice_note(request.id, name)
        log.info(ev.VOICE_NOTE_STORED, request_id=request.id, ended_by="hangup")
        raise
    except (AriError, AriUnavailable) as exc:
        # The booking stands and was confirmed; a recorder failure only costs the spoken question.
        log.error("voice_note_failed", request_id=request.id, error=str(exc))
        recorded = None
    if recorded is None:
        # Nothing was stored, so the caller must not be told the assistant will hear it.
        await call.play([sounds.TOT_ZIENS], interrupt=())
        return
    await store.attach_voice_note(request.id, recorded)
    log.info(ev.VOICE_NOTE_STORED, request_id=request.id, ended_by="key_or_silence")
    await call.play([sounds.TERUGBEL_VRAAG_ONTVANGEN], interrupt=())
