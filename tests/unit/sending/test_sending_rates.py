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
    assert sample_of([SendOutcome(complained=True)] * 2).complaints == 2


def test_the_notification_says_why_and_gives_the_ses_context() -> None:
    sample = SendingSample(60, 4, 0)

    reason = pause_reason_text(sample, LIMITS, [PauseReason.BOUNCE_RATE])
    explanation = pause_explanation(sample, LIMITS, [PauseReason.BOUNCE_RATE])

    assert reason == "4 of your last 60 emails bounced (6.67%, over the 5% limit)"
    assert reason in explanation
    assert "under review at a 5% bounce rate or a 0.1% complaint rate" in explanation
    assert "at 10% or 0.5%" in explanation


def test_the_complaint_rate_and_both_rates_are_told_in_full() -> None:
    sample = SendingSample(1000, 60, 2)
    both = [PauseReason.BOUNCE_RATE, PauseReason.COMPLAINT_RATE]

    complaints = pause_reason_text(sample, LIMITS, [PauseReason.COMPLAINT_RATE])

    assert complaints == (
        "2 of your last 1000 emails were marked as spam (0.2%, over the 0.1% limit)"
    )
    assert pause_reason_text(sample, LIMITS, both) == (
        "60 of your last 1000 emails bounced (6%, over the 5% limit); " + complaints
    )


def test_the_notification_says_what_to_do_word_for_word() -> None:
    explanation = pause_explanation(SendingSample(60, 4, 0), LIMITS, [PauseReason.BOUNCE_RATE])

    assert explanation == (
        "Email sending is paused: 4 of your last 60 emails bounced (6.67%, over the 5% "
        "limit). Amazon SES puts a sending account under review at a 5% bounce rate or a "
        "0.1% complaint rate, and may stop all of its email at 10% or 0.5%. Approved emails "
        "wait and nothing is lost. Remove the addresses that bounced or complained from your "
        "contacts, then resume sending; rates are then counted again from the emails sent "
        "after the resume."
    )
