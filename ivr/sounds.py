"""Every prompt the controller's own code plays (menus name theirs in the YAML, checked at load).

The controller refuses to start when one of these is missing from the practice's prompt catalog (texts or
recordings): a missing prompt would otherwise surface as an error in the middle of a patient's call or a
callback attempt (issue 8, defect 9). tests/unit/ivr/test_ivr_sounds.py checks that the code plays no
prompt by a literal name, so this list stays complete.
"""

from __future__ import annotations

from prompts.names import BEEP, HOLD_MUSIC
from prompts.spoken import generated_texts

NIEMAND_BEREIKBAAR = "niemand_bereikbaar"
STORING = "storing"
TOT_ZIENS = "tot_ziens"

TERUGBEL_AANBOD = "terugbel_aanbod"
TERUGBEL_TIJD = "terugbel_tijd"
TERUGBEL_KEUZE = "terugbel_keuze"
TERUGBEL_GEEN_LATER = "terugbel_geen_later"
TERUGBEL_TIJD_VERGEVEN = "terugbel_tijd_vergeven"
TERUGBEL_GENOTEERD = "terugbel_genoteerd"
TERUGBEL_GENOTEERD_SLOT = "terugbel_genoteerd_slot"
TERUGBEL_GEEN_KEUZE_EINDE = "terugbel_geen_keuze_einde"
TERUGBEL_VOL = "terugbel_vol"
TERUGBEL_VOL_VANDAAG = "terugbel_vol_vandaag"
TERUGBEL_VRAAG_INSPREKEN = "terugbel_vraag_inspreken"
TERUGBEL_VRAAG_ONTVANGEN = "terugbel_vraag_ontvangen"
GEEN_KEUZE = "geen_keuze"
ONGELDIGE_KEUZE = "ongeldige_keuze"

NUMMER_INTOETSEN = "terugbel_nummer_intoetsen"
NUMMER_ONGELDIG = "terugbel_nummer_ongeldig"
NUMMER_HERHALING = "terugbel_nummer_herhaling"
NUMMER_KEUZE = "terugbel_nummer_keuze"
NUMMER_MISLUKT = "terugbel_nummer_mislukt"

WACHT_POSITIE = "wacht_positie"
WACHT_TIJD = "wacht_tijd"
WACHT_MINUTEN = "wacht_minuten"
WACHT_MINDER_DAN_MINUUT = "wacht_minder_dan_minuut"
WACHT_PLEK_BEWAREN = "wacht_plek_bewaren"
WACHT_PLEK_BEWAARD = "wacht_plek_bewaard"
WACHTMUZIEK = HOLD_MUSIC
PIEP = BEEP

FLUISTER_TERUGBELVERZOEK = "fluister_terugbelverzoek"
FLUISTER_GEPLAND = "fluister_gepland"
FLUISTER_WACHTRIJ = "fluister_wachtrij"
FLUISTER_VRAAG = "fluister_vraag"
FLUISTER_BELLEN = "fluister_bellen"
FLUISTER_NIET_BEREIKT = "fluister_niet_bereikt"


def required() -> frozenset[str]:
    """The names above plus every generated piece of a spoken time, day, number or position."""
    own = {value for name, value in globals().items() if name.isupper() and isinstance(value, str)}
    return frozenset(own | set(generated_texts()))
