"""Statuses, kinds, sources and outcomes: one enum each, shared by storage and the call flows.

StrEnum members are strings, so rows read back from the database (plain str) and flows that still
write literals compare equal to them. The models build their check constraints from these enums.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class RequestStatus(StrEnum):
    """Where a callback request stands."""

    BOOKED = "booked"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_REACHED = "not_reached"
    CANCELLED = "cancelled"


class RequestKind(StrEnum):
    """A slot booking, or a caller who left the live queue but kept their place in it."""

    SLOT = "slot"
    KEPT_PLACE = "kept_place"


class NumberSource(StrEnum):
    """Where the number to call back came from."""

    CALLER_ID = "caller_id"
    TYPED = "typed"
    ONLINE = "online"


class RequestSource(StrEnum):
    """How the request was made."""

    PHONE = "phone"
    ONLINE = "online"


class QueueStatus(StrEnum):
    """Where a caller in the live queue stands."""

    WAITING = "waiting"
    # An assistant is being rung for this caller.
    CONNECTING = "connecting"
    SERVED = "served"
    KEPT = "kept"
    ABANDONED = "abandoned"


class AttemptOutcome(StrEnum):
    """How one callback attempt ended."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    ASSISTANT_NO_ANSWER = "assistant_no_answer"
    INTERRUPTED = "interrupted"
    # An unexpected error during the attempt: capped, so a broken flow cannot ring a headset for ever.
    FAILED = "failed"


class UserRole(StrEnum):
    """What a user of the screen may do: assistants work the lists, admins also manage users and config."""

    ASSISTENT = "assistent"
    ADMIN = "admin"


class ConfigKind(StrEnum):
    """Which configuration file a stored version is of."""

    MENU = "menu"
    CAPACITY = "capacity"


class HeadsetState(StrEnum):
    """An assistant's own state for their headset, set on the screen."""

    OP_DIENST = "op_dienst"
    PAUZE = "pauze"
    # Only callbacks, no live callers from the queue.
    ALLEEN_TERUGBELLEN = "alleen_terugbellen"
    AFGEMELD = "afgemeld"


# Statuses that hold a place in a slot and that the planner and the dispatcher still work through.
ACTIVE_STATUSES: tuple[RequestStatus, ...] = (RequestStatus.BOOKED, RequestStatus.IN_PROGRESS)
# Statuses a request never leaves: what retention may delete once old enough.
FINAL_STATUSES: tuple[RequestStatus, ...] = (
    RequestStatus.DONE,
    RequestStatus.NOT_REACHED,
    RequestStatus.CANCELLED,
)
# Callers still on the line in the queue.
WAITING_STATUSES: tuple[QueueStatus, ...] = (QueueStatus.WAITING, QueueStatus.CONNECTING)
# The patient was dialled but not reached: counts as a try.
NOT_REACHED_OUTCOMES: tuple[AttemptOutcome, ...] = (
    AttemptOutcome.NOT_REACHED,
    AttemptOutcome.BUSY,
    AttemptOutcome.VOICEMAIL,
)
# The patient was never dialled: does not count, the request keeps its place.
NOT_TRIED_OUTCOMES: tuple[AttemptOutcome, ...] = (
    AttemptOutcome.ASSISTANT_NO_ANSWER,
    AttemptOutcome.INTERRUPTED,
)


def parse(enum: type[E], value: object, field: str) -> E:
    """Return ``value`` as a member of ``enum``, or raise ValueError naming the field and what is allowed."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"unknown {field} {value!r}; expected one of: {allowed}") from None


class MessageStatus(StrEnum):
    """Where a message to a patient stands in the outbox."""

    PENDING = "pending"  # to be sent (again) from next_attempt_at
    SENDING = "sending"  # handed to the provider right now
    SENT = "sent"  # the provider accepted it (its message id is kept)
    DELIVERED = "delivered"  # the provider reported it delivered
    FAILED = "failed"  # given up: permanent error, too many tries, or not known whether it went out


class MessageEvent(StrEnum):
    """What a message tells the patient."""

    BOOKED = "booked"
    NOT_REACHED = "not_reached"


class MessageChannel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"


class Urgency(StrEnum):
    """The Dutch triage levels (NTS): U1 life-threatening .. U5 advice; only U3-U5 may be a callback."""

    U1 = "U1"
    U2 = "U2"
    U3 = "U3"
    U4 = "U4"
    U5 = "U5"
