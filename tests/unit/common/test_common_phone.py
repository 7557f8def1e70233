"""Which numbers the practice may dial, which a callback may go to, and what a headset may show."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.phone import callback_number, caller_display, dutch_national, dutch_number_problem

EXTENSIONS = [
    "+31201234567;ext=123456789",
    "+31201234567;ext=1",
    "tel:+31201234567;ext=2",
    "088 123 4567 x 2",
    "088 123 4567 x2",
    "0881234567 ext. 2",
    "020 1234567 ext 12",
    "06-1234-5678 extension 5",
    "0881234567#2",
    "0881234567,2",
    "0881234567 toestel 2",
    "0881234567p2",
    "+31201234567;isub=12",
]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0612345678", "0612345678"),
        ("+31201234567", "0201234567"),
        ("0031612345678", "0612345678"),
        ("020-1234567", "0201234567"),
        ("0881234567", "0881234567"),
        ("(020) 1234567", "0201234567"),
        ("+31 (0)6 1234 5678", "0612345678"),
        (" 06.12.34.56.78\r\n", "0612345678"),
    ],
)
def test_usable_dutch_numbers_in_national_form(given: str, expected: str) -> None:
    """Any spelling of a Dutch fixed, mobile or company number becomes its national digits."""
    assert callback_number(given) == expected


@pytest.mark.parametrize(
    "given", ["", "anonymous", "112", "0612", "09001234567", "+4930123456", "06123456789"]
)
def test_withheld_short_premium_and_foreign_numbers_are_refused(given: str) -> None:
    """Withheld ids, emergency and premium numbers, foreign and malformed numbers are not called back."""
    assert callback_number(given) is None


def test_caller_id_with_a_long_extension_is_unusable_not_a_crash() -> None:
    """A caller id with a nine-digit extension gives None instead of raising NumberParseException."""
    assert callback_number("+31201234567;ext=123456789") is None


@pytest.mark.parametrize("given", EXTENSIONS)
def test_numbers_with_an_extension_are_refused_everywhere(given: str) -> None:
    """A number with an extension, in any spelling, is neither dialled nor called back."""
    assert dutch_national(given) is None
    assert callback_number(given) is None


@pytest.mark.parametrize("given", ["abc0612345678", "0612345678abc", "06-CALL-NOW1", "sip:0612345678@host"])
def test_numbers_with_letters_are_refused(given: str) -> None:
    """Letters are never read as digits (no vanity numbers), so text around a number is refused."""
    assert dutch_national(given) is None


@pytest.mark.parametrize("given", ["088 123 4567 x 2", "+31201234567;ext=12", "0881234567#2"])
def test_problem_message_names_the_extension(given: str) -> None:
    """The admin is told that the extension is what makes a configured number unusable."""
    problem = dutch_number_problem(given)
    assert problem is not None and "extension" in problem


@pytest.mark.parametrize(
    ("given", "snippet"),
    [("088 123 4567", None), ("", "empty"), ("+4930123456", "not a Dutch"), ("0612", "not a valid")],
)
def test_problem_message_for_other_numbers(given: str, snippet: str | None) -> None:
    """A usable number has no problem; an empty, foreign or malformed one says which it is."""
    problem = dutch_number_problem(given)
    assert (problem is None) if snippet is None else (problem is not None and snippet in problem)


@given(st.text())
def test_number_helpers_never_raise_on_any_text(text: str) -> None:
    """Whatever a caller id or a config field holds, the helpers answer; a usable number is 10 digits."""
    for answer in (dutch_national(text), callback_number(text)):
        assert answer is None or (len(answer) == 10 and answer.isascii() and answer.isdigit())
    assert isinstance(caller_display(text), str)
    assert dutch_number_problem(text) is None or dutch_national(text) is None


NUMBER_WITH_SUFFIX = st.builds(
    str.__add__,
    st.sampled_from(["+31201234567", "0612345678", "088 123 4567", "0031201234567"]),
    st.text(alphabet="0123456789 ;ext=x#,.", max_size=30),
)


@given(NUMBER_WITH_SUFFIX)
def test_number_helpers_never_raise_on_a_number_with_any_suffix(text: str) -> None:
    """A valid number followed by any extension-like suffix never raises and gives 10 digits or None."""
    for answer in (dutch_national(text), callback_number(text)):
        assert answer is None or len(answer) == 10


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+31201234567", "0201234567"),
        ("0031612345678", "0612345678"),
        ("06 1234 5678", "0612345678"),
        ("09001234567", "09001234567"),
        ("", "Anoniem"),
        ("anonymous", "Anoniem"),
        ("Anonymous", "Anoniem"),
        (" restricted ", "Anoniem"),
        ("private", "Anoniem"),
        ("withheld", "Anoniem"),
        ("unknown", "Onbekend nummer"),
        ("+4930123456", "Onbekend nummer"),
        ("+31201234567;ext=123456789", "Onbekend nummer"),
        ('0612345678" <sip:evil@x>', "Onbekend nummer"),
        ("0612345678\r\nX-Injected: yes", "Onbekend nummer"),
        ("112", "Onbekend nummer"),
    ],
)
def test_caller_display_shows_only_national_digits_or_a_fixed_word(raw: str, shown: str) -> None:
    """The headset shows a Dutch number's national digits, "Anoniem" or "Onbekend nummer", never raw text."""
    assert caller_display(raw) == shown


@given(st.text())
def test_caller_display_never_shows_raw_text(raw: str) -> None:
    """Whatever the caller id holds, the display is digits only or one of the two fixed words."""
    shown = caller_display(raw)
    assert shown in ("Anoniem", "Onbekend nummer") or (shown.isascii() and shown.isdigit())
