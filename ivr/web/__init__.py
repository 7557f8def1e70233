"""The assistants' screen, the admin pages and their logins, served by the controller's own aiohttp server.

Above the call flows: it reads the controller's live state (ivr.live) and acts through the dispatcher's
and the stores' typed interfaces, never by writing their fields. Nothing in the call core imports it; the
composition root (ivr/app.py) starts it.
"""
