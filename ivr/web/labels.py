"""What the screen calls things, in Dutch: statuses, sources, outcomes, headset states."""

from __future__ import annotations

from ivr.queue.headsets import HeadsetState
from storage.status import (
    AttemptOutcome,
    MessageEvent,
    MessageStatus,
    RequestKind,
    RequestSource,
    RequestStatus,
)

STATUS = {
    RequestStatus.BOOKED: "gepland",
    RequestStatus.IN_PROGRESS: "wordt gebeld",
    RequestStatus.DONE: "afgehandeld",
    RequestStatus.NOT_REACHED: "niet bereikt",
    RequestStatus.CANCELLED: "verwijderd",
}

OUTCOME = {
    AttemptOutcome.REACHED: "bereikt",
    AttemptOutcome.NOT_REACHED: "neemt niet op",
    AttemptOutcome.BUSY: "in gesprek",
    AttemptOutcome.VOICEMAIL: "voicemail",
    AttemptOutcome.ASSISTANT_NO_ANSWER: "assistente nam niet op",
    AttemptOutcome.INTERRUPTED: "onderbroken",
    AttemptOutcome.FAILED: "mislukt",
}

HEADSET_STATE = {
    HeadsetState.OP_DIENST: "op dienst",
    HeadsetState.PAUZE: "pauze",
    HeadsetState.ALLEEN_TERUGBELLEN: "alleen terugbellen",
    HeadsetState.AFGEMELD: "afgemeld",
}


def source_label(kind: str, source: str) -> str:
    if kind == RequestKind.KEPT_PLACE:
        return "plek bewaard"
    return "online" if source == RequestSource.ONLINE else "telefoon"


def outcome_label(outcome: str | None) -> str:
    if outcome is None:
        return "bezig"
    return OUTCOME.get(AttemptOutcome(outcome), outcome) if outcome in OUTCOME else outcome


MESSAGE_EVENT = {MessageEvent.BOOKED: "bevestiging", MessageEvent.NOT_REACHED: "niet bereikt"}
MESSAGE_STATUS = {
    MessageStatus.PENDING: "wacht op verzenden",
    MessageStatus.SENDING: "wordt verzonden",
    MessageStatus.SENT: "verzonden",
    MessageStatus.DELIVERED: "afgeleverd",
    MessageStatus.FAILED: "mislukt",
}


def message_label(event: str, status: str) -> str:
    """ "bericht bevestiging: verzonden": one message to the patient and where it stands."""
    what = MESSAGE_EVENT.get(MessageEvent(event), event) if event in MESSAGE_EVENT else event
    state = MESSAGE_STATUS.get(MessageStatus(status), status) if status in MESSAGE_STATUS else status
    return f"bericht {what}: {state}"
