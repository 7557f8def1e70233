"""The number a callback goes to: the caller id when it is a usable Dutch number, else typed and confirmed."""

from __future__ import annotations

import structlog

from common.phone import callback_number
from dialplan.schema import CallbackAction
from ivr.call import Call
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
    """The caller pressed the spoed key during the callback offer."""


async def ask_number(call: Call, action: CallbackAction, *, spoed_key: str) -> str | None:
    """Have the caller type a number, read it back, and confirm it; None after too many invalid tries.

    The spoed key cannot break through while digits are typed (every digit may be part of the number);
    it does during the read-back.
    """
    intro = ["terugbel_nummer_intoetsen"]
    invalid = 0
    # Valid numbers that are never confirmed must not keep the caller in a loop either.
    for _ in range(action.number_attempts + 2):
        if invalid >= action.number_attempts:
            break
        await call.play(intro, interrupt=())
        call.digits.clear()  # keys pressed during the instruction are not part of the number
        log.info("typed_number_waiting", attempt=invalid + 1)
        typed = await read_typed_number(call)
        number = callback_number(typed)
        if number is None:
            invalid += 1
            log.info("typed_number_invalid", digits=len(typed), attempt=invalid)
            intro = ["terugbel_nummer_ongeldig", "terugbel_nummer_intoetsen"]
            continue
        readback = ["terugbel_nummer_herhaling", *say_number(number), "terugbel_nummer_keuze"]
        log.info("typed_number_read_back", digits=len(number))
        keys = {action.confirm_key, action.other_key, spoed_key}
        key = await call.play(readback, interrupt=keys)
        if key is None:
            key = await call.wait_digit(action.timeout, allowed=keys)
        if key == spoed_key:
            raise SpoedRequested
        if key == action.confirm_key:
            log.info("typed_number_confirmed", digits=len(number))
            return number
        # Not confirmed (other key or silence): type it again; it does not count as an invalid number.
        intro = ["terugbel_nummer_intoetsen"]
    return None
