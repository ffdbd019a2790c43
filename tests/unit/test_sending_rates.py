"""When a user's bounce or complaint rate pauses their sending: pure rules."""

import pytest

from attendry.sending.rates import (
    PauseReason,
    RateLimits,
    SendingSample,
    SendOutcome,
    pause_explanation,
    pause_reason_text,
    reasons_to_pause,
    sample_of,
)

LIMITS = RateLimits(max_bounce_rate=0.05, max_complaint_rate=0.001, minimum_sends=50)


@pytest.mark.parametrize(
    ("sample", "reasons"),
    [
        pytest.param(SendingSample(49, 20, 5), (), id="under-the-minimum-sample"),
        pytest.param(SendingSample(100, 5, 0), (), id="bounces-at-the-limit"),
        pytest.param(SendingSample(100, 6, 0), (PauseReason.BOUNCE_RATE,), id="bounces-over"),
        pytest.param(SendingSample(1000, 0, 1), (), id="complaints-at-the-limit"),
        pytest.param(
            SendingSample(1000, 0, 2), (PauseReason.COMPLAINT_RATE,), id="complaints-over"
        ),
        pytest.param(
            SendingSample(50, 3, 1),
            (PauseReason.BOUNCE_RATE, PauseReason.COMPLAINT_RATE),
            id="both",
        ),
    ],
)
def test_a_rate_strictly_over_its_limit_pauses(
    sample: SendingSample, reasons: tuple[PauseReason, ...]
) -> None:
    assert reasons_to_pause(sample, LIMITS) == reasons


def test_only_what_ses_counts_is_counted() -> None:
    outcomes = [
        SendOutcome(),
        SendOutcome(bounce_type="Permanent", bounce_subtype="General"),
        SendOutcome(bounce_type="Permanent", bounce_subtype="OnAccountSuppressionList"),
        SendOutcome(bounce_type="Transient", bounce_subtype="MailboxFull"),
        SendOutcome(complained=True),
        SendOutcome(complained=True, complaint_subtype="OnAccountSuppressionList"),
    ]

    assert sample_of(outcomes) == SendingSample(sends=6, bounces=1, complaints=1)


def test_the_notification_says_why_and_gives_the_ses_context() -> None:
    sample = SendingSample(60, 4, 0)

    reason = pause_reason_text(sample, LIMITS, [PauseReason.BOUNCE_RATE])
    explanation = pause_explanation(sample, LIMITS, [PauseReason.BOUNCE_RATE])

    assert reason == "4 of your last 60 emails bounced (6.67%, over the 5% limit)"
    assert reason in explanation
    assert "under review at a 5% bounce rate or a 0.1% complaint rate" in explanation
    assert "at 10% or 0.5%" in explanation
