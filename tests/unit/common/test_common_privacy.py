"""Phone numbers never reach a log line unmasked."""

from __future__ import annotations

from common.privacy import mask_number
from ivr.logs import mask_numbers


def test_mask_number_keeps_only_the_last_two_digits() -> None:
    """A number is masked to its last two digits, keeping its punctuation."""
    assert mask_number("0612345678") == "********78"
    assert mask_number("+31 6 1234 5678") == "+** * **** **78"
    assert mask_number("") == ""


def test_log_processor_masks_numbers_in_any_field() -> None:
    """A number inside free text of any log field is masked, other values are left alone."""
    out = mask_numbers(None, "info", {"event": "Called 0881234567@provider", "caller": "0612345678", "n": 3})
    assert out == {"event": "Called ********67@provider", "caller": "********78", "n": 3}
