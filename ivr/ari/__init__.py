"""The only place that talks to Asterisk's REST Interface. Nothing outside ivr/ari imports an ARI library.

See docs/decisions/0001-thin-ari-client.md for why this is a small aiohttp client and not aioari.
"""

from ivr.ari.client import AriClient, AriError, AriNotFound, AriUnavailable
from ivr.ari.events import ApplicationReplaced, EventStream

__all__ = ["ApplicationReplaced", "AriClient", "AriError", "AriNotFound", "AriUnavailable", "EventStream"]
