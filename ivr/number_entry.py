"""Typing a phone number on the keypad: read back digit by digit and confirmed (offer and kept place)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from common.phone import callback_number
from ivr import log_events as ev
from ivr import sounds
from ivr.core.call import Call
from prompts.spoken import say_number

log = structlog.get_logger(__name__)

FIRST_DIGIT_SECONDS = 10.0
NEXT_DIGIT_SECONDS = 5.0
MAX_DIGITS = 14  # 00 31 6 12345678 is 13; anything longer is a slip of the finger


async def read_typed_number(call: Call) -> str:
    """Keys until # (or a pause after the last key); empty when the caller typed nothing."""
    typed: list[str] = []
    while len(typed) <= MAX_DIGITS:
        key = await call.wait_digit(NEXT_DIGIT_SECONDS if typed else FIRST_DIGIT_SECONDS)
        if key is None or key == "#":
            break
        if key == "*":  # a fresh start, as on most voice menus
            typed.clear()
            continue
        typed.append(key)
    return "".join(typed)


class SpoedRequested(Exception):
    """The caller pressed the spoed key where it breaks through (an offer, a read-back)."""


@dataclass(frozen=True)
class NumberKeys:
    """The keys of the read-back: this number is right, or type it again."""

    confirm: str
    again: str


async def ask_number(
    call: Call, keys: NumberKeys, *, attempts: int, answer_seconds: float, spoed_key: str
) -> str | None:
    """Have the caller type a number, read it back, and confirm it; None after `attempts` invalid ones.

    The spoed key cannot break through while digits are typed (every digit may be part of the number);
    it does during the read-back.
    """
    intro = [sounds.NUMMER_INTOETSEN]
    invalid = 0
    # Valid numbers that are never confirmed must not keep the caller in a loop either.
    for _ in range(attempts + 2):
        if invalid >= attempts:
            break
        await call.play(intro, interrupt=())
        # Keys pressed during the instruction are not part of the number (play dropped them already);
        # keys already queued behind its end are the first digits of the number and stay.
        call.digits.clear()
        log.info(ev.TYPED_NUMBER_WAITING, attempt=invalid + 1)
        typed = await read_typed_number(call)
        number = callback_number(typed)
        if number is None:
            invalid += 1
            log.info(ev.TYPED_NUMBER_INVALID, digits=len(typed), attempt=invalid)
            intro = [sounds.NUMMER_ONGELDIG, sounds.NUMMER_INTOETSEN]
            continue
        readback = [sounds.NUMMER_HERHALING, *say_number(number), sounds.NUMMER_KEUZE]
        log.info(ev.TYPED_NUMBER_READ_BACK, digits=len(number))
        allowed = {keys.confirm, keys.again, spoed_key}
        key = await call.play(readback, interrupt=allowed)
        if key is None:
            key = await call.wait_digit(answer_seconds, allowed=allowed)
        if key == spoed_key:
            raise SpoedRequested
        if key == keys.confirm:
            log.info(ev.TYPED_NUMBER_CONFIRMED, digits=len(number))
            return number
        # Not confirmed (other key or silence): type it again; it does not count as an invalid number.
        intro = [sounds.NUMMER_INTOETSEN]
    return None
