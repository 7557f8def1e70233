"""The controller's log lines: the configured structlog chain masks numbers and keeps ids readable."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from ivr import logs
from ivr.logs import mask_numbers


@pytest.fixture
def json_lines() -> Iterator[Any]:
    """Configure the controller's logging as `terugbel run` does; yield a reader of the JSON lines."""
    logs.configure("json")
    # Only the output end changes: the processors under test are the ones `configure` set up.
    out = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=out))

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    yield read
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


def test_configured_chain_masks_event_text_and_keyword_fields(json_lines: Any) -> None:
    """A number in the event text and in a keyword field is masked in the JSON line that is written."""
    structlog.get_logger().info("Bel 06/12345678 terug", number="(020) 1234567", digits="0612345678")
    [line] = json_lines()
    assert line["event"] == "Bel **/******78 terug"
    assert line["number"] == "(***) *****67"
    assert line["digits"] == "********78"


def test_configured_chain_masks_bound_context_nested_values_and_exceptions(json_lines: Any) -> None:
    """Numbers in bound context, in lists and dicts, in exception objects and in tracebacks are masked."""
    structlog.contextvars.bind_contextvars(call_id="a1b2c3d4e5f6", note="tel0612345678")
    log = structlog.get_logger()
    log.info(
        "originate", targets=["PJSIP/assistent1", "PJSIP/0612345678@provider"], args={"to": "+31612345678"}
    )
    log.warning("refused", error=ValueError("cannot dial 06.12.34.56.78"))
    try:
        raise RuntimeError("no answer from 0881234567")
    except RuntimeError:
        log.exception("dial_failed")
    text = json.dumps(json_lines())
    for secret in ("12345678", "1234567", "612345678", "88123456", "12.34.56"):
        assert secret not in text
    assert "a1b2c3d4e5f6" in text and "PJSIP/assistent1" in text


def test_configured_chain_keeps_timestamps_and_channel_ids(json_lines: Any) -> None:
    """The line's own timestamp, slot times and Asterisk channel ids come out unchanged."""
    structlog.get_logger().info(
        "slot_offered", slot="2026-11-23T10:15:00+01:00", channel="1732456789.123", position=3
    )
    [line] = json_lines()
    assert (line["slot"], line["channel"], line["position"]) == (
        "2026-11-23T10:15:00+01:00",
        "1732456789.123",
        3,
    )
    assert "*" not in line["timestamp"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("call_id", "123456789012"),
        ("leg", "123456789012-12345678"),
        ("channel", "123456789012-12345678"),
        ("bridge", "123456789012-12345678-br-cb"),
        ("bridge", "123456789012-br-012345"),
        ("playback", "123456789012-pb-12345678"),
        ("channel", "pbx01-1732456789.123"),
    ],
)
def test_ids_that_happen_to_be_all_digits_stay_readable_under_their_keys(key: str, value: str) -> None:
    """A call, leg, bridge or playback id made only of digits is kept under an id key."""
    assert mask_numbers(None, "info", {key: value}) == {key: value}


@pytest.mark.parametrize(
    ("key", "value", "masked"),
    [
        ("note", "123456789012", "**********12"),
        ("call_id", "0612345678", "********78"),
        ("channel", "PJSIP/0612345678@provider", "PJSIP/********78@provider"),
        ("leg", "+31612345678", "+*********78"),
    ],
)
def test_a_number_is_masked_under_any_key_when_it_is_not_shaped_like_an_id(
    key: str, value: str, masked: str
) -> None:
    """Only the exact shape of an id is kept under an id key; any other value there is masked."""
    assert mask_numbers(None, "info", {key: value}) == {key: masked}


def test_log_processor_masks_numbers_in_any_field() -> None:
    """A number inside free text of any log field is masked, other values are left alone."""
    out = mask_numbers(None, "info", {"event": "Called 0881234567@provider", "caller": "0612345678", "n": 3})
    assert out == {"event": "Called ********67@provider", "caller": "********78", "n": 3}
