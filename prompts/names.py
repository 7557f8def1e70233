"""What a prompt name may look like: it becomes a file name that Asterisk plays, so keep it plain."""

from __future__ import annotations

import re

# No dots, slashes or spaces: the name is joined into a path and into an ARI `sound:` URI.
PROMPT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

# The tone played before a recording starts; synthesised, not spoken, unless a practice records its own.
BEEP = "piep"


def is_valid_prompt_name(name: str) -> bool:
    """Whether `name` can be used as a prompt name (letters, digits, `_` and `-`, at most 64)."""
    return bool(PROMPT_NAME_PATTERN.match(name))

# Played while a caller waits in the queue, between announcements; a practice may record real music
# under this name (mind the licence: most recorded music needs one for telephone use).
HOLD_MUSIC = "wachtmuziek"

TONES = (BEEP, HOLD_MUSIC)
