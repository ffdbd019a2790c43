"""Domain events: how one feature hears of another's facts, inside the same transaction.

The feature that owns a fact publishes it where the fact happens (the Sender when SES took
an email, the reply path when a contact answered); the features that care subscribe, and
`attendry.wiring` lists every subscription once. The publisher imports nothing of
its subscribers, so a new subscriber (the change feed, webhooks) changes no publisher.

Subscribers run at once, in the publisher's session and transaction, in the order they
were subscribed: what they write commits or rolls back with the fact itself, exactly as
the direct calls this replaced did. Events hold the ORM rows the publisher has in hand;
a subscriber reads them, and must not expect them outside that session.

A publisher that reports to its user what the subscribers did (how many follow-ups a
reply stopped) reads it from the event's own `stopped` list, which the subscribers fill:
the one place where an event is written to, kept visible in the event's type.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.orm import Session

from attendry.db.enums import FollowupReason
from attendry.db.models import AgentTask, OutreachDraft, OutreachSent


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event; the type is what subscribers are keyed on."""


@dataclass(frozen=True)
class EmailSent(DomainEvent):
    """SES took a draft's email; published once per draft, by whichever of the Sender and
    SES's Send event records it first."""

    draft: OutreachDraft
    sent: OutreachSent


@dataclass(frozen=True)
class SendFailed(DomainEvent):
    """A draft's email will not be sent: SES refused it, or the address was suppressed."""

    draft: OutreachDraft


@dataclass(frozen=True)
class DraftRejected(DomainEvent):
    """The user rejected a draft."""

    draft: OutreachDraft


@dataclass(frozen=True)
class TaskFailed(DomainEvent):
    """An agent task failed for good (its retries spent, or its input unusable)."""

    task: AgentTask


@dataclass(frozen=True)
class ConversationEnded(DomainEvent):
    """The contact's side ended the conversation (a reply, an unsubscribe, a hard bounce
    or a complaint): nothing more may be written to them on this user's behalf.

    `contact_id` and `address` both name the contact: the row may be gone, or hold another
    address now. `stopped` is filled by the subscribers with the ids of what they stopped.
    """

    user_id: str
    reason: FollowupReason
    contact_id: UUID | None = None
    address: str | None = None
    stopped: list[UUID] = field(default_factory=list)


E = TypeVar("E", bound=DomainEvent)
Subscriber = Callable[[Session, E], None]
_subscribers: dict[type[DomainEvent], list[Callable[[Session, Any], None]]] = {}


def subscribe(event_type: type[E], subscriber: Subscriber[E]) -> None:
    """Call `subscriber` for every event of `event_type`; subscribing twice changes nothing."""
    listeners = _subscribers.setdefault(event_type, [])
    if subscriber not in listeners:
        listeners.append(subscriber)


def publish(session: Session, event: DomainEvent) -> None:
    """Tell every subscriber of the event's type, in the publisher's transaction."""
    for subscriber in _subscribers.get(type(event), ()):
        subscriber(session, event)
