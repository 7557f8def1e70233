"""PromptCatalog: the packaged texts, practice recordings and media URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.yamlload import ConfigError, load_model
from dialplan.schema import PracticeConfig
from prompts.catalog import PromptCatalog

EXAMPLE = Path(__file__).resolve().parents[3] / "dialplan" / "examples" / "demo-practice.yaml"
REQUIRED = {
    "welkom",
    "ongeldige_keuze",
    "geen_keuze",
    "spoed_doorverbinden",
    "doorverbinden_assistente",
    "niemand_bereikbaar",
    "buiten_openingstijden",
    "doorverbinden_huisartsenpost",
    "herhaalrecepten_menu",
    "herhaalrecepten_portaal",
    "inspreken_na_piep",
    "bericht_ontvangen",
    "tot_ziens",
    "storing",
}


def test_packaged_texts_have_every_required_prompt() -> None:
    """The Dutch texts cover every prompt the controller and the example menu need, plus the beep."""
    catalog = PromptCatalog()
    assert catalog.names() >= REQUIRED | {"piep"}
    assert catalog.text("welkom").startswith("Welkom bij Huisartsenpraktijk De Linde.")


def test_example_menu_only_uses_known_prompts() -> None:
    """The example menu validates against the catalog's prompt names."""
    cfg = load_model(EXAMPLE, PracticeConfig, context={"known_prompts": PromptCatalog().names()})
    assert cfg.menu.prompt == "welkom"


def test_welcome_puts_112_and_spoed_first() -> None:
    """The welcome text mentions 112 and then spoed before any other choice."""
    text = PromptCatalog().text("welkom")
    assert text.index("1 1 2") < text.index("spoed, toets 1") < text.index("toets 2")


def test_texts_do_not_hedge() -> None:
    """No prompt uses the hedging the practice protocol forbids ("eventueel")."""
    catalog = PromptCatalog()
    assert not [n for n in catalog.names() if "eventueel" in (catalog.text(n) or "").lower()]


def test_recording_replaces_and_adds(tmp_path: Path) -> None:
    """A practice recording replaces a text prompt and a recording with a new name adds a prompt."""
    (tmp_path / "welkom.wav").write_bytes(b"")
    (tmp_path / "kerst.mp3").write_bytes(b"")
    (tmp_path / "notities.txt").write_text("not audio")
    catalog = PromptCatalog(recordings_dir=tmp_path)
    assert catalog.source("welkom").kind == "recording"
    assert catalog.source("kerst").recording == tmp_path / "kerst.mp3"
    assert catalog.text("kerst") is None
    assert "notities" not in catalog.names()


def test_recording_with_unusable_name_is_an_error(tmp_path: Path) -> None:
    """A recording whose file name cannot be a prompt name is refused, not ignored."""
    (tmp_path / "welkom kerst.wav").write_bytes(b"")
    with pytest.raises(ConfigError, match="welkom kerst"):
        PromptCatalog(recordings_dir=tmp_path)


def test_two_recordings_for_one_prompt_is_an_error(tmp_path: Path) -> None:
    """welkom.wav and welkom.mp3 together are ambiguous and refused."""
    (tmp_path / "welkom.wav").write_bytes(b"")
    (tmp_path / "welkom.mp3").write_bytes(b"")
    with pytest.raises(ConfigError, match="two recordings"):
        PromptCatalog(recordings_dir=tmp_path)


def test_broken_texts_file_reports_its_line(tmp_path: Path) -> None:
    """A texts file with an invalid prompt name is reported at that line."""
    texts = tmp_path / "texts.yaml"
    texts.write_text("welkom: Hallo\n'tot ziens': Dag\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        PromptCatalog(texts)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (2, "tot ziens")


def test_media_uri() -> None:
    """The media URI is `sound:` plus the absolute path without extension."""
    catalog = PromptCatalog()
    assert catalog.media_uri("welkom", "/var/lib/terugbel/sounds/") == "sound:/var/lib/terugbel/sounds/welkom"


def test_media_uri_of_unknown_prompt() -> None:
    """Asking for an unknown prompt's URI fails loudly instead of playing silence."""
    with pytest.raises(KeyError):
        PromptCatalog().media_uri("bestaat_niet", "/sounds")
