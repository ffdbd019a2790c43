"""When a user's bounce or complaint rate must pause their sending: pure rules, no I/O.

SES watches an account's reputation: at a 5% bounce rate or a 0.1% complaint rate it
puts the account under review, at 10% or 0.5% it may pause the account's sending
(https://docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html). Every user of this
product sends through one SES account, so one user's bad list could stop everyone's
email. A user is paused when their own rate passes the review level, well before the
account's blended rate would.

What counts, as SES counts it: a bounce is a hard (`Permanent`) bounce; soft bounces do
not count, nor do bounces and complaints with subtype `OnAccountSuppressionList` (SES
never tried those addresses). Rates are over sends: emails SES accepted.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from attendry.suppression.rules import ON_ACCOUNT_SUPPRESSION_LIST, BounceType

SES_REVIEW_BOUNCE_RATE = 0.05
SES_REVIEW_COMPLAINT_RATE = 0.001
SES_PAUSE_BOUNCE_RATE = 0.10
SES_PAUSE_COMPLAINT_RATE = 0.005


@dataclass(frozen=True)
class SendOutcome:
    """What one send did, as far as the rates care."""

    bounce_type: str | None = None
    bounce_subtype: str | None = None
    complained: bool = False
    complaint_subtype: str | None = None


@dataclass(frozen=True)
class SendingSample:
    sends: int
    bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0


@dataclass(frozen=True)
class RateLimits:
    max_bounce_rate: float = SES_REVIEW_BOUNCE_RATE
    max_complaint_rate: float = SES_REVIEW_COMPLAINT_RATE
    minimum_sends: int = 50


class PauseReason(StrEnum):
    BOUNCE_RATE = "bounce_rate"
    COMPLAINT_RATE = "complaint_rate"


def counts_as_bounce(outcome: SendOutcome) -> bool:
    return (
        outcome.bounce_type == BounceType.PERMANENT
        and outcome.bounce_subtype != ON_ACCOUNT_SUPPRESSION_LIST
    )


def counts_as_complaint(outcome: SendOutcome) -> bool:
    return outcome.complained and outcome.complaint_subtype != ON_ACCOUNT_SUPPRESSION_LIST


def sample_of(outcomes: Iterable[SendOutcome]) -> SendingSample:
    listed = list(outcomes)
    return SendingSample(
        sends=len(listed),
        bounces=sum(1 for outcome in listed if counts_as_bounce(outcome)),
        complaints=sum(1 for outcome in listed if counts_as_complaint(outcome)),
    )


def reasons_to_pause(sample: SendingSample, limits: RateLimits) -> tuple[PauseReason, ...]:
    """Empty while sending may go on. A rate must be strictly over its limit, and is not
    judged at all before the sample holds `limits.minimum_sends` sends."""
    if sample.sends < limits.minimum_sends:
        return ()
    reasons = []
    if sample.bounce_rate > limits.max_bounce_rate:
        reasons.append(PauseReason.BOUNCE_RATE)
    if sample.complaint_rate > limits.max_complaint_rate:
        reasons.append(PauseReason.COMPLAINT_RATE)
    return tuple(reasons)


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


def pause_reason_text(
    sample: SendingSample, limits: RateLimits, reasons: Iterable[PauseReason]
) -> str:
    """One line saying which rate is too high: kept on the pause and shown on refusals."""
    parts = []
    for reason in reasons:
        if reason is PauseReason.BOUNCE_RATE:
            parts.append(
                f"{sample.bounces} of your last {sample.sends} emails bounced "
                f"({_percent(sample.bounce_rate)}, over the {_percent(limits.max_bounce_rate)} "
                "limit)"
            )
        else:
            parts.append(
                f"{sample.complaints} of your last {sample.sends} emails were marked as spam "
                f"({_percent(sample.complaint_rate)}, over the "
                f"{_percent(limits.max_complaint_rate)} limit)"
            )
    return "; ".join(parts)


def pause_explanation(
    sample: SendingSample, limits: RateLimits, reasons: Iterable[PauseReason]
) -> str:
    """What the user's notification says: why, what it protects, and what to do."""
    return (
        f"Email sending is paused: {pause_reason_text(sample, limits, reasons)}. "
        f"Amazon SES puts a sending account under review at a "
        f"{_percent(SES_REVIEW_BOUNCE_RATE)} bounce rate or a "
        f"{_percent(SES_REVIEW_COMPLAINT_RATE)} complaint rate, and may stop all of its "
        f"email at {_percent(SES_PAUSE_BOUNCE_RATE)} or {_percent(SES_PAUSE_COMPLAINT_RATE)}. "
        "Approved emails wait and nothing is lost. Remove the addresses that bounced or "
        "complained from your contacts, then resume sending; rates are then counted again "
        "from the emails sent after the resume."
    )
