"""What the assistant hears before the patient is dialled: the number, the promised time or kept place,
and the caller's recorded question if there is one."""

from __future__ import annotations

import datetime as dt

from dialplan.schema import PracticeConfig
from ivr import sounds
from ivr.core.media import RECORDING_PREFIX
from prompts.spoken import say_moment, say_number
from storage.models import CallbackRequest
from storage.status import RequestKind


def whisper(request: CallbackRequest, cfg: PracticeConfig, now: dt.datetime) -> list[str]:
    prompts = [sounds.FLUISTER_TERUGBELVERZOEK, *say_number(request.phone)]
    if request.kind == RequestKind.SLOT and request.slot_start is not None:
        prompts += [sounds.FLUISTER_GEPLAND, *say_moment(request.slot_start.astimezone(cfg.tz), now)]
    else:
        prompts.append(sounds.FLUISTER_WACHTRIJ)
    if request.voice_note_ref:
        prompts += [sounds.FLUISTER_VRAAG, f"{RECORDING_PREFIX}{request.voice_note_ref}"]
    prompts.append(sounds.FLUISTER_BELLEN)
    return prompts
