"""Which bounces and complaints suppress an address for everyone: pure rules, no I/O.

SES's bounce types (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html,
"Bounce types"): a `Permanent` bounce means the address will not accept mail, so it is
suppressed at once, whatever the subtype (`General`, `NoEmail`, `Suppressed`,
`OnAccountSuppressionList`). A `Transient` bounce (mailbox full, message too large, ...)
may succeed later, and SES publishes one only after it gave up retrying; one alone
suppresses nothing, but `limit` of them within `window` does: an address that keeps
bouncing softly hurts the bounce rate as much as a dead one. `Undetermined` (SES could
not tell why) is counted with the transient ones, since it is not known to be permanent.

A complaint suppresses the address unless its feedback type is `not-spam`, which is an
ISP saying the message was *not* spam (https://www.iana.org/assignments/marf-parameters).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

NOT_SPAM_FEEDBACK = "not-spam"


class BounceType(StrEnum):
    """`bounce.bounceType`: only `Permanent` means the address will never accept mail."""

    PERMANENT = "Permanent"
    TRANSIENT = "Transient"
    UNDETERMINED = "Undetermined"


ON_ACCOUNT_SUPPRESSION_LIST = "OnAccountSuppressionList"
"""Bounce and complaint subtype: SES did not try the address, it is on the account's list."""


@dataclass(frozen=True)
class TransientBouncePolicy:
    limit: int = 3
    window: timedelta = timedelta(days=7)


def is_hard_bounce(bounce_type: str) -> bool:
    """A bounce that suppresses its address at once."""
    return bounce_type == BounceType.PERMANENT


def too_many_soft_bounces(bounced_at: Iterable[datetime], policy: TransientBouncePolicy) -> bool:
    """True when some stretch of `policy.window` (ends included) holds `policy.limit` of the
    soft bounces: the times may come in any order, as SES events do."""
    ordered = sorted(bounced_at)
    span = policy.limit - 1
    return any(
        ordered[last] - ordered[last - span] <= policy.window for last in range(span, len(ordered))
    )


def complaint_suppresses(feedback_type: str | None) -> bool:
    return (feedback_type or "").strip().lower() != NOT_SPAM_FEEDBACK
