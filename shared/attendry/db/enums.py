"""The closed value sets of the schema, in one place.

The database enforces each with a CHECK constraint built from these enums, and the API
validates against the same enums, so a value the API accepts is one the database stores.
Adding a value means a migration that replaces the constraint.
"""

from enum import StrEnum


class AgentType(StrEnum):
    OUTREACH = "outreach"
    FOLLOWUP = "followup"
    PLANNING = "planning"


class AgentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class OpportunityStatus(StrEnum):
    NEW = "new"
    WATCHING = "watching"
    DELEGATED = "delegated"
    ARCHIVED = "archived"


class TaskType(StrEnum):
    DRAFT_OUTREACH = "draft_outreach"
    DRAFT_FOLLOWUP = "draft_followup"
    HANDLE_MESSAGE = "handle_message"


class TaskStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    EMAIL = "email"
    LINKEDIN = "linkedin"


class DraftKind(StrEnum):
    INITIAL = "initial"
    FOLLOWUP = "followup"


class DraftStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """Where a sent message is, in the order it can only move forward.

    `sending` is recorded before SES is called (the outcome may be lost in a crash until
    the SES `Send` event reconciles it); `sent` once SES accepted it; `delivered` once the
    recipient's server did. The last four are final outcomes: a bounce or complaint may
    still arrive after `delivered`, but nothing moves a message back from them.
    """

    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Progress order: a status may replace another only with a strictly higher rank."""
        return _DELIVERY_RANK[self]


_DELIVERY_RANK = {
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.BOUNCED: 3,
    DeliveryStatus.COMPLAINED: 3,
    DeliveryStatus.REJECTED: 3,
    DeliveryStatus.FAILED: 3,
}


class FollowupStatus(StrEnum):
    SCHEDULED = "scheduled"
    DRAFTED = "drafted"
    SENT = "sent"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"


class FollowupReason(StrEnum):
    """Why a follow-up stopped (docs/rules.md, "Follow-up timing") or was escalated to the user."""

    REPLIED = "replied"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    EVENT_PASSED = "event_passed"
    AGENT_PAUSED = "agent_paused"
    CANCELLED_BY_USER = "cancelled_by_user"
    MAX_FOLLOWUPS_REACHED = "max_followups_reached"
    DRAFT_FAILED = "draft_failed"
    SEND_FAILED = "send_failed"


class MessageStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"


class SuppressionScope(StrEnum):
    """`global` refuses the address for every user; `user` only for the user who asked."""

    GLOBAL = "global"
    USER = "user"


class InboundMatch(StrEnum):
    """How an inbound email was tied to the sent message it answers (NULL: it was not)."""

    REPLY_ADDRESS = "reply_address"
    """Sent to the per-email Reply-To address, whose token names the sent row."""
    MESSAGE_ID = "message_id"
    """In-Reply-To or References names the Message-ID SES gave a sent email."""
    UNSUBSCRIBE_ADDRESS = "unsubscribe_address"
    """Sent to the List-Unsubscribe mailto address of a sent email."""
