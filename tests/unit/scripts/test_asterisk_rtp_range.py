"""asterisk-config/rtp.conf: room for a busy day's calls, clear of the test phones' own RTP ports."""

from __future__ import annotations

import configparser
from pathlib import Path

from tests.e2e.sip import Phones

RTP_CONF = Path(__file__).resolve().parents[3] / "asterisk-config" / "rtp.conf"
CALLS = 1000  # patients on the line at once that one install must carry
LEGS_PER_CALL = 2  # the patient's leg and the headset's (or the provider's) leg it is bridged with
PORTS_PER_LEG = 2  # RTP on an even port, RTCP on the odd one above it


def rtp_range() -> tuple[int, int]:
    conf = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";",))
    conf.read(RTP_CONF)
    return conf.getint("general", "rtpstart"), conf.getint("general", "rtpend")


def test_rtp_range_holds_a_thousand_calls_with_their_headset_legs() -> None:
    """Asterisk's RTP ports suffice for 1,000 calls of two legs each, with room for legs still ringing."""
    start, end = rtp_range()
    assert (end - start + 1) // PORTS_PER_LEG >= CALLS * LEGS_PER_CALL * 2


def test_rtp_range_stays_clear_of_the_test_phones() -> None:
    """The range ends below the first RTP port the e2e phones take (tests/e2e/sip.py), and above 1023."""
    start, end = rtp_range()
    first_phone_port = Phones.__dataclass_fields__["_media_base"].default
    assert 1024 <= start <= end < first_phone_port
