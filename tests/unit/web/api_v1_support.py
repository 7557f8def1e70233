"""Helpers for the intake API tests: tokens, headers, a valid body, and the rows the API wrote."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import ClientResponse
from sqlalchemy import select

from storage.api_tokens import create_token
from storage.models import CallbackRequest
from tests.unit.web.conftest import Web

COLLECTION = "/api/v1/callback-requests"
ALL_SCOPES = ("create", "read", "cancel")


def valid_body(**changes: Any) -> dict[str, Any]:
    """A request a triage form could send: U4, a Dutch mobile number, a summary and a few answers."""
    body: dict[str, Any] = {
        "phone": "06 12345678",
        "name": "J. de Vries",
        "urgency": "U4",
        "summary": "Keelpijn sinds drie dagen, slikken gaat moeilijk.\nGeen koorts.",
        "answers": {"koorts": False, "dagen": 3, "temperatuur": 37.2, "medicatie": "paracetamol"},
    }
    body.update(changes)
    return body


async def new_token(web: Web, scopes: Iterable[str] = ALL_SCOPES, name: str = "triageformulier") -> str:
    """Create an active token of the practice and return its plain text."""
    _, plain = await create_token(
        web.ctx.db.sessions,
        practice_id=await web.ctx.practice.id(),
        name=name,
        scopes=list(scopes),
        created_by="test",
        now=web.clock(),
    )
    return plain


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **{k.replace("_", "-"): v for k, v in headers.items()}}


async def create(web: Web, token: str, body: Any = None, **headers: str) -> ClientResponse:
    """POST a callback request (the valid body unless one is given)."""
    return await web.client.post(
        COLLECTION, json=valid_body() if body is None else body, headers=bearer(token, **headers)
    )


async def requests_in_db(web: Web) -> list[CallbackRequest]:
    async with web.ctx.db.sessions() as session:
        return list(await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))
