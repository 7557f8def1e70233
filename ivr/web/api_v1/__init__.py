"""The intake API, version 1: JSON under /api/v1 for triage forms, with bearer tokens (issue 11)."""

from ivr.web.api_v1.auth import api_guard
from ivr.web.api_v1.routes import add_api_routes

__all__ = ["add_api_routes", "api_guard"]
