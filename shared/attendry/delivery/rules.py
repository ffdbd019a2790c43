"""What one SES event does to a sent email's record: pure, no I/O.

Why the order events arrive in does not matter (status only moves forward, each fact is
recorded once with the event's own time) and why a `not-spam` complaint suppresses
nothing: docs/rules.md, "SES events in any order".
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from attendry.db.enums import DeliveryStatus
from attendry.delivery.schemas import SesEvent, SesEventType
from attendry.suppression.rules import complaint_suppresses


@dataclass(frozen=True)
class SentFacts:
    """What is recorded about a sent email now: the fields an event can change, listed
    here only. delivery/store.py reads and writes the sent row's columns of these names."""

    delivery_status: DeliveryStatus
    delivered_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    bounced_at: datetime | None = None
    complained_at: datetime | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    """The changes to make (attribute name to value; empty: nothing new), and what is new."""

    changes: dict[str, Any]
    bounced: bool = False
    complained: bool = False


class _Changes:
    def __init__(self, facts: SentFacts) -> None:
        self.facts = facts
        self.values: dict[str, Any] = {}

    def advance(self, status: DeliveryStatus) -> None:
        if status.rank > self.facts.delivery_status.rank:
            self.values["delivery_status"] = status

    def set_once(self, name: str, value: Any) -> bool:
        if getattr(self.facts, name) is not None or value is None:
            return False
        self.values[name] = value
        return True

    def note_once(self, key: str, value: dict[str, Any]) -> None:
        meta = self.values.get("meta", self.facts.meta)
        if key not in meta:
            self.values["meta"] = {**meta, key: value}


def progress(facts: SentFacts, event: SesEvent) -> Progress:
    changes = _Changes(facts)
    bounced = complained = False
    kind = event.kind
    if kind is SesEventType.DELIVERY and event.delivery is not None:
        changes.advance(DeliveryStatus.DELIVERED)
        changes.set_once("delivered_at", event.delivery.timestamp)
    elif kind is SesEventType.BOUNCE and event.bounce is not None:
        bounce = event.bounce
        changes.advance(DeliveryStatus.BOUNCED)
        if changes.set_once("bounced_at", bounce.timestamp):
            changes.values.update(
                bounce_type=bounce.bounce_type,
                bounce_subtype=bounce.bounce_sub_type,
                bounce_diagnostic=bounce.diagnostic,
            )
            bounced = True
    elif kind is SesEventType.COMPLAINT and event.complaint is not None:
        complaint = event.complaint
        if not complaint_suppresses(complaint.complaint_feedback_type):
            changes.note_once("not_spam_feedback", {"at": complaint.timestamp.isoformat()})
        else:
            changes.advance(DeliveryStatus.COMPLAINED)
            if changes.set_once("complained_at", complaint.timestamp):
                changes.note_once(
                    "complaint",
                    {
                        "subtype": complaint.complaint_sub_type,
                        "feedback_type": complaint.complaint_feedback_type,
                        "feedback_id": complaint.feedback_id,
                    },
                )
                complained = True
    elif kind is SesEventType.OPEN and event.open is not None:
        changes.set_once("opened_at", event.open.timestamp)
    elif kind is SesEventType.CLICK and event.click is not None:
        changes.set_once("clicked_at", event.click.timestamp)
    elif kind is SesEventType.REJECT:
        changes.advance(DeliveryStatus.REJECTED)
        reason = event.reject.reason if event.reject is not None else None
        changes.note_once("ses_reject", {"reason": reason, "at": event.occurred_at.isoformat()})
    elif kind is SesEventType.RENDERING_FAILURE:
        changes.advance(DeliveryStatus.FAILED)
        failure = event.failure
        changes.note_once(
            "rendering_failure",
            {
                "error_message": failure.error_message if failure else None,
                "template_name": failure.template_name if failure else None,
            },
        )
    elif kind is SesEventType.DELIVERY_DELAY and event.delivery_delay is not None:
        delay = event.delivery_delay
        changes.note_once(
            "delivery_delay",
            {
                "type": delay.delay_type,
                "at": delay.timestamp.isoformat(),
                "expires_at": delay.expiration_time.isoformat() if delay.expiration_time else None,
            },
        )
    return Progress(changes.values, bounced=bounced, complained=complained)
