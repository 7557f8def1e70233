"""Twilio's Messages REST API: SMS and WhatsApp through one endpoint.

POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth (AccountSid, AuthToken)
and the form fields To, From and Body; WhatsApp numbers carry a "whatsapp:" prefix on To and From. The
answer's "sid" is the message id. 4xx is the message's own fault (a wrong number, a blocked sender) and is
not retried, except 429 (rate limited); 5xx, timeouts and refused connections are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import aiohttp

from common.phone import international
from ivr.messages.provider import ProviderError

SEND_TIMEOUT_SECONDS = 10.0


class TwilioProvider:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = "https://api.twilio.com",
        session: aiohttp.ClientSession | None = None,
        status_callback: str | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.sender = sender
        # Where Twilio reports delivery (ivr/web/provider_hooks.py); None: messages stay "sent".
        self.status_callback = status_callback
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._session = session
        self._own_session = session is None

    async def send(self, channel: str, phone: str, body: str) -> str:
        number = international(phone)
        if number is None:
            raise ProviderError("not a Dutch number", retryable=False)
        prefix = "whatsapp:" if channel == "whatsapp" else ""
        form = {"To": prefix + number, "From": prefix + self.sender, "Body": body}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        session = self._session_now()
        try:
            async with session.post(
                self.url,
                data=form,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS),
            ) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ProviderError(f"twilio unreachable: {type(exc).__name__}", retryable=True) from None
        if status in (200, 201) and isinstance(answer, dict) and answer.get("sid"):
            return str(answer["sid"])
        detail = answer.get("message") if isinstance(answer, dict) else None
        retryable = status == 429 or status >= 500
        raise ProviderError(f"twilio {status}: {detail or 'no message id'}"[:200], retryable=retryable)

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()


@dataclass(frozen=True)
class DeliveryReports:
    """How to check the provider's delivery reports: its auth token and the callback URL it was given."""

    auth_token: str
    url: str


def valid_signature(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, url + each param name and value, sorted)).

    `url` is the callback URL as configured (what Twilio called), not what a proxy made of it.
    """
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)
