"""Real SIP user agents for the end-to-end tests: headsets that register, patients that call and press keys.

pjsua2 runs in the test's own thread (threadCnt=0, mainThreadOnly) and is pumped while a test waits, so
every wait is "pump until this is true or the deadline passes" (docs/domain-facts.md §5).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pjsua2 as pj

ASTERISK = "127.0.0.1:5060"
PRACTICE_URI = f"sip:0201234567@{ASTERISK}"


class SipTimeout(AssertionError):
    """What a test waited for did not happen before its deadline."""


@dataclass
class Incoming:
    """One call that reached a headset (or the provider): when, and from whom."""

    remote_uri: str
    local_uri: str
    at: float
    call: HeadsetCall
    answered: bool = False


def connect_audio(call: pj.Call) -> None:
    """Wire the call to the (null) sound device, as a real phone would, so media keeps flowing."""
    info = call.getInfo()
    for index, media in enumerate(info.media):
        if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
            audio = call.getAudioMedia(index)
            manager = pj.Endpoint.instance().audDevManager()
            manager.getCaptureDevMedia().startTransmit(audio)
            audio.startTransmit(manager.getPlaybackDevMedia())


class PatientCall(pj.Call):
    """A call placed by a patient; keeps its state where the test can read it."""

    def __init__(self, account: pj.Account) -> None:
        super().__init__(account)
        self.state = "new"
        self.confirmed_at: float | None = None
        self.disconnected_at: float | None = None
        self.players: list[pj.AudioMediaPlayer] = []

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.state = "confirmed"
            self.confirmed_at = time.monotonic()
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.state = "disconnected"
            self.disconnected_at = time.monotonic()

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        connect_audio(self)

    def rtp_packets_received(self) -> int:
        """RTP packets received so far: how a test knows the patient hears a prompt."""
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return 0

    def press(self, digits: str) -> float:
        """Send RFC 4733 DTMF; returns the moment it was sent."""
        self.dialDtmf(digits)
        return time.monotonic()

    def say(self, wav: str) -> None:
        """Speak into the call: stream a WAV file to the practice once (for recorded messages)."""
        player = pj.AudioMediaPlayer()
        player.createPlayer(wav, pj.PJMEDIA_FILE_NO_LOOP)
        for index, media in enumerate(self.getInfo().media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                player.startTransmit(self.getAudioMedia(index))
        player.thisown = False  # destroying a player that is still transmitting aborts pjsua
        self.players.append(player)

    def hang_up(self) -> None:
        if self.state != "disconnected":
            self.hangup(pj.CallOpParam(True))


class HeadsetCall(pj.Call):
    def __init__(self, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.state = "incoming"

    def rtp_packets_received(self) -> int:
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return 0

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        connect_audio(self)

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.state = "confirmed"
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.state = "disconnected"


class Headset(pj.Account):
    """An assistant's headset: registers with Asterisk and rings (optionally answers) on INVITE."""

    def __init__(self, phones: Phones, name: str, auto_answer: bool) -> None:
        super().__init__()
        self.phones = phones
        self.name = name
        self.auto_answer = auto_answer
        self.registered = False
        self.incoming: list[Incoming] = []

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.registered = prm.code == 200 and prm.expiration > 0

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = HeadsetCall(self, prm.callId)
        self.phones.keep(call)
        op = pj.CallOpParam()
        op.statusCode = 200 if self.auto_answer else 180
        try:
            call.answer(op)
            info = call.getInfo()
        except pj.Error as exc:
            print(f"{self.name}: incoming call failed: {exc.info()}")
            return
        self.incoming.append(
            Incoming(
                remote_uri=info.remoteUri,
                local_uri=info.localUri,
                at=time.monotonic(),
                call=call,
                answered=self.auto_answer,
            )
        )

    def call_from(self, number: str) -> Incoming | None:
        """The call this headset got from a patient's number (tests use a number of their own)."""
        return next((i for i in self.incoming if number in i.remote_uri), None)

    def answer(self, number: str) -> Incoming:
        incoming = self.call_from(number)
        assert incoming is not None, f"{self.name} has no call from {number}"
        op = pj.CallOpParam()
        op.statusCode = 200
        try:
            incoming.call.answer(op)
        except pj.Error as exc:
            raise AssertionError(f"{self.name} could not answer: {exc.info()}") from None
        incoming.answered = True
        return incoming


class Patient(Headset):
    """A patient's phone: calls the practice, and answers when the practice calls back."""

    def __init__(self, phones: Phones, number: str) -> None:
        super().__init__(phones, number, auto_answer=True)
        self.number = number


@dataclass
class Phones:
    """One pjsua2 library for the whole test session, with one UDP transport per user agent."""

    ep: pj.Endpoint = field(default_factory=pj.Endpoint)
    _objects: list[object] = field(default_factory=list)
    _next_port: int = 5070
    _provider: Headset | None = None
    _patients: list[Patient] = field(default_factory=list)
    _patient_transports: list[int] = field(default_factory=list)
    _patient_count: int = 0
    _media_base: int = 20000

    def start(self) -> None:
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        # One library plays every patient and headset of a test at once; pjsua's default is 4 calls.
        cfg.uaConfig.maxCalls = 32
        cfg.logConfig.level = int(__import__("os").environ.get("PJ_LOG", "1"))
        cfg.logConfig.consoleLevel = int(__import__("os").environ.get("PJ_LOG", "1"))
        cfg.medConfig.noVad = True
        # The null sound device clocks the conference bridge, and with it every RTP stream: pjsua closes an
        # "idle" device after a second, which silently stops RTP (and RFC 4733 DTMF) mid-call.
        cfg.medConfig.sndAutoCloseTime = -1
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        self.ep.libStart()
        # First account of all: pjsua gives an INVITE for a user it has no account of to the first account
        # on that host, and a callback to an unknown patient number must reach the provider, not a patient.
        self.provider_account()

    def stop(self) -> None:
        for obj in self._objects:
            if isinstance(obj, pj.Call):
                try:
                    obj.hangup(pj.CallOpParam(True))
                except pj.Error:
                    pass
        self.pump(0.2)
        # pjsua2 aborts or crashes when a Call or Account is destroyed after (or during) libDestroy, and
        # test frames may still hold some. Nothing is destroyed: Python gives up ownership of the C++
        # objects and the library goes with the test process, whose sockets the kernel closes.
        for obj in self._objects:
            if isinstance(obj, Headset):
                obj.incoming.clear()
            obj.thisown = False  # type: ignore[attr-defined]
        self._objects.clear()
        self.ep.thisown = False

    def keep(self, obj: object) -> None:
        self._objects.append(obj)

    def _transport(self, port: int | None = None) -> tuple[int, int]:
        if port is None:
            port = self._next_port
            self._next_port += 1
        tcfg = pj.TransportConfig()
        tcfg.port = port
        tcfg.boundAddress = "127.0.0.1"
        tcfg.publicAddress = "127.0.0.1"
        return self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg), port

    def _media_on_loopback(self, acfg: pj.AccountConfig) -> None:
        acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
        # Each user agent gets its own RTP port range, clear of Asterisk's (rtp.conf: 10000-19999).
        self._media_base += 40
        acfg.mediaConfig.transportConfig.port = self._media_base
        acfg.mediaConfig.transportConfig.portRange = 40

    def headset(self, name: str, password: str, *, auto_answer: bool = False) -> Headset:
        """Register an assistant's headset and wait until Asterisk accepted it."""
        tid, _port = self._transport()
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{name}@127.0.0.1"
        acfg.regConfig.registrarUri = f"sip:{ASTERISK}"
        acfg.regConfig.timeoutSec = 300
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", name, 0, password))
        acfg.sipConfig.transportId = tid
        self._media_on_loopback(acfg)
        headset = Headset(self, name, auto_answer)
        headset.create(acfg)
        self.keep(headset)
        self.wait(lambda: headset.registered, 10, f"{name} to register")
        return headset

    def provider(self, port: int = 5090, *, number: str = "0881234567", auto_answer: bool = True) -> Headset:
        """The outside world behind the provider trunk: the huisartsenpost's number (also the overflow)."""
        tid, _ = self._transport(port)
        acfg = pj.AccountConfig()
        # pjsua picks the account for an incoming INVITE by the request URI's user, not by transport.
        acfg.idUri = f"sip:{number}@127.0.0.1"
        acfg.sipConfig.transportId = tid
        self._media_on_loopback(acfg)
        account = Headset(self, "provider", auto_answer)
        account.create(acfg)
        self.keep(account)
        return account

    def provider_account(self) -> Headset:
        """The provider user agent, created once (its port is fixed by asterisk-config), reset per call."""
        if self._provider is None:
            self._provider = self.provider()
        self._provider.incoming.clear()
        return self._provider

    def patient(self, number: str) -> Patient:
        """A patient's phone calling from `number`. pjsua holds at most 8 accounts, so old patients go."""
        while len(self._patients) >= 3:
            self._patients.pop(0).shutdown()
        # pjsua also has a small fixed number of transports: patients share three of them.
        if len(self._patient_transports) < 3:
            self._patient_transports.append(self._transport()[0])
        tid = self._patient_transports[self._patient_count % 3]
        self._patient_count += 1
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{number}@127.0.0.1"
        acfg.sipConfig.transportId = tid
        self._media_on_loopback(acfg)
        patient = Patient(self, number)
        patient.create(acfg)
        self.keep(patient)
        self._patients.append(patient)
        return patient

    def call_practice(self, patient: Patient, *, wait_answer: bool = True) -> PatientCall:
        call = PatientCall(patient)
        self.keep(call)
        call.makeCall(PRACTICE_URI, pj.CallOpParam(True))
        if call.state == "new":
            call.state = "calling"  # placed: something to end if the test leaves it
        if wait_answer:
            self.wait(lambda: call.state == "confirmed", 10, "the practice to answer")
        return call

    def end_calls(self, seconds: float = 10) -> None:
        """End every call still up from an earlier test (patients' calls, headsets ringing) and wait for it.

        A test that stops the controller leaves Asterisk's fallback ringing headsets; each ringing call
        holds one of pjsua's call slots (maxCalls), and a later test's first call was refused with
        PJ_ETOOMANY until they timed out. Every test starts with no call up instead.
        """
        self._hang_up(self._open_calls())
        self.pump(0.3)  # INVITEs and CANCELs still in flight arrive
        left = self._open_calls()
        self._hang_up(left)
        self.wait(
            lambda: all(c.state == "disconnected" for c in left), seconds, "calls of earlier tests to end"
        )
        for obj in self._objects:
            if isinstance(obj, Headset):
                obj.incoming.clear()

    def _open_calls(self) -> list[pj.Call]:
        calls: list[pj.Call] = [o for o in self._objects if isinstance(o, PatientCall)]
        calls += [i.call for o in self._objects if isinstance(o, Headset) for i in o.incoming]
        # "new": a call that was never placed (its makeCall failed) has nothing to end.
        return [c for c in calls if c.state not in ("disconnected", "new")]

    @staticmethod
    def _hang_up(calls: list[pj.Call]) -> None:
        for call in calls:
            try:
                call.hangup(pj.CallOpParam(True))
            except pj.Error:
                pass  # it ended meanwhile

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.ep.libHandleEvents(10)

    def wait(self, condition: Callable[[], object], seconds: float, what: str) -> float:
        """Pump SIP events until `condition()` is true; return the moment it became true."""
        end = time.monotonic() + seconds
        while True:
            if condition():
                return time.monotonic()
            if time.monotonic() > end:
                raise SipTimeout(f"timed out after {seconds} s waiting for {what}")
            self.ep.libHandleEvents(10)

    def wait_rtp(self, call: PatientCall, packets: int, seconds: float, what: str) -> None:
        self.wait(lambda: call.rtp_packets_received() >= packets, seconds, what)
