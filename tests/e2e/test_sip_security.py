"""Who may call through the practice: patients and the provider by address only, headsets by password.

A raw SIP user agent (a plain UDP socket, no pjsua) sends the INVITE, so the test controls the source
address: 127.0.0.2 is another local address on Linux's loopback, a stranger to pjsip.conf, while the
sandbox's patients come from 127.0.0.1.
"""

from __future__ import annotations

import re
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pjsua2 as pj
import pytest

from tests.e2e.helpers import Ari
from tests.e2e.sip import ASTERISK, Headset, PatientCall, Phones

pytestmark = pytest.mark.e2e

ASTERISK_ADDR = ("127.0.0.1", 5060)
PRACTICE_NUMBER = "0201234567"
STRANGER = "127.0.0.2"  # any other loopback address: not in pjsip.conf's identify sections
PATIENTS_ADDRESS = "127.0.0.1"  # asterisk-config/pjsip.conf [patients] identify match
REFUSED = (401, 403, 404)
RESPONSE_SECONDS = 5.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    raw: str


class RawSipCaller:
    """One SIP dialog by hand over UDP from a chosen source address: INVITE, then ACK and BYE or CANCEL."""

    def __init__(self, source: str, from_user: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.source, self.port = self.sock.getsockname()
        self.from_user = from_user
        self.call_id = f"{secrets.token_hex(8)}@{source}"
        self.from_tag = secrets.token_hex(4)
        self.branch = ""
        self.request_uri = f"sip:{PRACTICE_NUMBER}@{ASTERISK}"
        self.responses: list[Response] = []

    def close(self) -> None:
        self.sock.close()

    def _via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.source}:{self.port};rport;branch={branch}"

    def _send(self, method: str, uri: str, branch: str, cseq: int, to: str, body: str = "") -> None:
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: {self._via(branch)}",
            "Max-Forwards: 70",
            f"From: <sip:{self.from_user}@{self.source}>;tag={self.from_tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{self.from_user}@{self.source}:{self.port}>",
            "User-Agent: terugbel-e2e-raw",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), ASTERISK_ADDR)

    def invite(self) -> Response:
        """Send the INVITE; return the first final response, or the last provisional one at the deadline."""
        self.branch = f"z9hG4bK{secrets.token_hex(8)}"
        sdp = "\r\n".join(
            [
                "v=0",
                f"o=- 1 1 IN IP4 {self.source}",
                "s=-",
                f"c=IN IP4 {self.source}",
                "t=0 0",
                f"m=audio {self.port + 2} RTP/AVP 0 101",
                "a=rtpmap:0 PCMU/8000",
                "a=rtpmap:101 telephone-event/8000",
                "a=sendrecv",
                "",
            ]
        )
        self._send("INVITE", self.request_uri, self.branch, 1, f"<{self.request_uri}>", sdp)
        return self._await_final("INVITE", RESPONSE_SECONDS)

    def _await_final(self, method: str, seconds: float) -> Response:
        end = time.monotonic() + seconds
        last: Response | None = None
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except TimeoutError:
                break
            response = parse_response(data)
            if response is None or not response.headers.get("cseq", "").endswith(method):
                continue
            self.responses.append(response)
            last = response
            if response.status >= 200:
                return response
        if last is None:
            raise AssertionError(f"no response at all to {method} from {self.source} in {seconds} s")
        return last

    def finish(self, response: Response) -> None:
        """End the dialog so Asterisk stops retransmitting: ACK a final answer, then BYE or CANCEL."""
        to = response.headers.get("to", f"<{self.request_uri}>")
        if 200 <= response.status < 300:
            contact = re.search(r"<([^>]+)>", response.headers.get("contact", "")) or None
            target = contact.group(1) if contact else self.request_uri
            self._send("ACK", target, f"z9hG4bK{secrets.token_hex(8)}", 1, to)
            self._send("BYE", target, f"z9hG4bK{secrets.token_hex(8)}", 2, to)
            self._await_final("BYE", RESPONSE_SECONDS)
        elif response.status >= 300:
            self._send("ACK", self.request_uri, self.branch, 1, to)
        else:
            self._send("CANCEL", self.request_uri, self.branch, 1, f"<{self.request_uri}>")
            final = self._await_final("INVITE", RESPONSE_SECONDS)
            if final.status >= 300:
                self._send("ACK", self.request_uri, self.branch, 1, final.headers.get("to", to))


def parse_response(data: str) -> Response | None:
    head = data.split("\r\n\r\n", 1)[0].split("\r\n")
    match = re.match(r"SIP/2\.0 (\d{3})", head[0])
    if not match:
        return None  # a request from Asterisk (an OPTIONS, a retransmitted BYE): not ours to answer
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(match.group(1)), headers, data)


def channels_of(ari: Ari, caller: str) -> list[dict]:
    return [c for c in ari.channels() if c.get("caller", {}).get("number") == caller]


def hang_up_channels(ari: Ari, caller: str) -> None:
    """Remove what a call that got in left behind (only before the fix), so later tests start clean."""
    for channel in channels_of(ari, caller):
        request = urllib.request.Request(
            f"{ari.url}/channels/{channel['id']}", method="DELETE", headers=ari.headers
        )
        try:
            urllib.request.urlopen(request, timeout=3).close()
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise


@pytest.fixture
def caller_factory(ari: Ari) -> Iterator[object]:
    made: list[RawSipCaller] = []

    def make(source: str, from_user: str) -> RawSipCaller:
        caller = RawSipCaller(source, from_user)
        made.append(caller)
        return caller

    yield make
    for caller in made:
        hang_up_channels(ari, caller.from_user)
        caller.close()


@pytest.mark.parametrize("from_user", ["patients", "provider", "assistent1"])
def test_stranger_claiming_a_trusted_name_is_refused(
    from_user: str, ari: Ari, caller_factory, controller_factory
) -> None:
    """An INVITE from an unknown address as patients/provider/assistent1 is refused and makes no channel."""
    controller_factory()
    caller = caller_factory(STRANGER, from_user)
    response = caller.invite()
    leaked = channels_of(ari, from_user)
    caller.finish(response)
    assert response.status in REFUSED and not leaked, (
        f"INVITE from {STRANGER} as {from_user!r} got {response.status}, channels: "
        f"{[(c['name'], c['dialplan']['context']) for c in leaked]}"
    )


@pytest.mark.parametrize("from_user", ["0612000090", "patients"])
def test_patients_address_is_still_answered(from_user: str, ari: Ari, caller_factory, controller_factory):
    """An INVITE from the patients' address reaches the practice menu and is answered (200 OK)."""
    controller_factory()
    caller = caller_factory(PATIENTS_ADDRESS, from_user)
    response = caller.invite()
    try:
        assert response.status == 200, f"INVITE from {PATIENTS_ADDRESS} got {response.status}"
        contexts = {c["dialplan"]["context"] for c in channels_of(ari, from_user)}
        assert contexts == {"from-patients"}, contexts
    finally:
        caller.finish(response)


@contextmanager
def g711_only(phones: Phones) -> Iterator[None]:
    """Offer only G.711 while an INVITE is built: with the digest answer added, pjsua's default SDP pushes
    the INVITE past 1,300 bytes and pjsip then insists on TCP, which Asterisk does not listen on here."""
    before = {codec.codecId: codec.priority for codec in phones.ep.codecEnum2()}
    try:
        for codec_id in before:
            phones.ep.codecSetPriority(codec_id, 128 if codec_id.startswith(("PCMU/", "PCMA/")) else 0)
        yield
    finally:
        for codec_id, priority in before.items():
            phones.ep.codecSetPriority(codec_id, priority)


def test_headsets_register_and_call_each_other(phones: Phones, headsets: dict[str, Headset]) -> None:
    """A registered headset (password checked) calls another one, which rings with the caller's name."""
    call = PatientCall(headsets["assistent1"])
    phones.keep(call)
    with g711_only(phones):
        call.makeCall(f"sip:assistent2@{ASTERISK}", pj.CallOpParam(True))
    phones.wait(lambda: headsets["assistent2"].call_from("assistent1"), 10, "assistent2 to ring")
    call.hang_up()
    phones.wait(lambda: call.state == "disconnected", 10, "the headset call to end")
