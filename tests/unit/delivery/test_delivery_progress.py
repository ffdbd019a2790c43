"""What one SES event does to a sent email's record (`attendry.delivery.rules`).

Examples per event type, then the two properties that make arrival order irrelevant:
applying an event to what it produced changes nothing, and events of different types
end in the same record whatever order they come in.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attendry.db.enums import DeliveryStatus
from attendry.delivery.rules import Progress, SentFacts, progress
from attendry.delivery.schemas import SesEvent
from tests.fixtures.ses import DETAIL_TIME, ses_event

SENT_AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SENT = SentFacts(delivery_status=DeliveryStatus.SENT)


DETAIL = {**DETAIL_TIME, "Reject": "reject", "Rendering Failure": "failure"}


def event(name: str, *, at: datetime | None = None, **detail: Any) -> SesEvent:
    """SES's event `name` (a fixture file) at `at`, with fields of its detail object replaced."""
    record = ses_event(name, message_id="m-1", sent_at=SENT_AT, at=at)
    if detail:
        record[DETAIL[record["eventType"]]].update(detail)
    return SesEvent.model_validate(record)


def after(facts: SentFacts, moved: Progress) -> SentFacts:
    """The record with the changes written, as the service writes them."""
    known = {name: value for name, value in moved.changes.items() if hasattr(facts, name)}
    return replace(facts, **known)


def at(minutes: int) -> datetime:
    return SENT_AT + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- examples


def test_a_delivery_marks_the_email_delivered_at_the_events_own_time() -> None:
    moved = progress(SENT, event("delivery", at=at(1)))

    assert moved == Progress({"delivery_status": DeliveryStatus.DELIVERED, "delivered_at": at(1)})


def test_a_delivery_of_an_email_still_sending_moves_it_on_too() -> None:
    sending = SentFacts(delivery_status=DeliveryStatus.SENDING)

    moved = progress(sending, event("delivery", at=at(1)))

    assert moved.changes["delivery_status"] is DeliveryStatus.DELIVERED


def test_a_second_delivery_changes_nothing() -> None:
    delivered = SentFacts(delivery_status=DeliveryStatus.DELIVERED, delivered_at=at(1))

    assert progress(delivered, event("delivery", at=at(9))) == Progress({})


def test_a_late_delivery_never_undoes_a_bounce_but_its_time_is_kept() -> None:
    bounced = SentFacts(delivery_status=DeliveryStatus.BOUNCED, bounced_at=at(2))

    moved = progress(bounced, event("delivery", at=at(1)))

    assert moved == Progress({"delivered_at": at(1)})


def test_a_hard_bounce_records_its_type_and_diagnostic_and_is_new() -> None:
    moved = progress(SENT, event("bounce_permanent", at=at(3)))

    assert moved == Progress(
        {
            "delivery_status": DeliveryStatus.BOUNCED,
            "bounced_at": at(3),
            "bounce_type": "Permanent",
            "bounce_subtype": "General",
            "bounce_diagnostic": "smtp; 550 5.1.1 user unknown",
        },
        bounced=True,
    )


def test_a_bounce_after_a_delivery_still_bounces_the_email() -> None:
    delivered = SentFacts(delivery_status=DeliveryStatus.DELIVERED, delivered_at=at(1))

    moved = progress(delivered, event("bounce_transient", at=at(5)))

    assert moved.changes["delivery_status"] is DeliveryStatus.BOUNCED
    assert moved.changes["bounce_type"] == "Transient"
    assert moved.bounced is True


def test_a_second_bounce_changes_nothing_and_is_not_new() -> None:
    bounced = SentFacts(delivery_status=DeliveryStatus.BOUNCED, bounced_at=at(3))

    assert progress(bounced, event("bounce_permanent", at=at(9))) == Progress({})


def test_a_bounce_after_a_complaint_keeps_the_complaint_status_and_records_the_bounce() -> None:
    complained = SentFacts(delivery_status=DeliveryStatus.COMPLAINED, complained_at=at(2))

    moved = progress(complained, event("bounce_permanent", at=at(3)))

    assert "delivery_status" not in moved.changes
    assert moved.changes["bounced_at"] == at(3)
    assert moved.bounced is True


def test_a_complaint_marks_the_email_complained_and_notes_the_feedback() -> None:
    moved = progress(SENT, event("complaint", at=at(4)))

    assert moved == Progress(
        {
            "delivery_status": DeliveryStatus.COMPLAINED,
            "complained_at": at(4),
            "meta": {
                "complaint": {
                    "subtype": None,
                    "feedback_type": "abuse",
                    "feedback_id": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
                }
            },
        },
        complained=True,
    )


def test_a_complaint_without_a_feedback_type_counts_as_one() -> None:
    moved = progress(SENT, event("complaint", at=at(4), complaintFeedbackType=None))

    assert moved.complained is True
    assert moved.changes["delivery_status"] is DeliveryStatus.COMPLAINED


def test_a_second_complaint_changes_nothing() -> None:
    complained = SentFacts(
        delivery_status=DeliveryStatus.COMPLAINED,
        complained_at=at(4),
        meta={"complaint": {"feedback_type": "abuse"}},
    )

    assert progress(complained, event("complaint", at=at(8))) == Progress({})


@pytest.mark.parametrize("feedback", ["not-spam", " Not-Spam "])
def test_not_spam_feedback_is_only_noted(feedback: str) -> None:
    facts = SentFacts(delivery_status=DeliveryStatus.DELIVERED, meta={"send_attempt": 1})

    moved = progress(facts, event("complaint", at=at(4), complaintFeedbackType=feedback))

    assert moved == Progress(
        {"meta": {"send_attempt": 1, "not_spam_feedback": {"at": at(4).isoformat()}}}
    )


def test_not_spam_feedback_twice_is_noted_once() -> None:
    noted = SentFacts(
        delivery_status=DeliveryStatus.DELIVERED,
        meta={"not_spam_feedback": {"at": at(4).isoformat()}},
    )

    moved = progress(noted, event("complaint", at=at(9), complaintFeedbackType="not-spam"))

    assert moved == Progress({})


def test_a_complaint_after_not_spam_feedback_keeps_both_notes() -> None:
    noted = SentFacts(
        delivery_status=DeliveryStatus.DELIVERED,
        meta={"not_spam_feedback": {"at": at(4).isoformat()}},
    )

    moved = progress(noted, event("complaint", at=at(9)))

    assert set(moved.changes["meta"]) == {"not_spam_feedback", "complaint"}


@pytest.mark.parametrize(("name", "field"), [("open", "opened_at"), ("click", "clicked_at")])
def test_the_first_open_or_click_is_recorded_once_without_moving_the_status(
    name: str, field: str
) -> None:
    first = progress(SENT, event(name, at=at(60)))
    later = progress(replace(SENT, **{field: at(60)}), event(name, at=at(90)))

    assert first == Progress({field: at(60)})
    assert later == Progress({})


def test_a_reject_fails_the_email_for_good_with_the_reason() -> None:
    moved = progress(SentFacts(delivery_status=DeliveryStatus.SENDING), event("reject"))

    assert moved == Progress(
        {
            "delivery_status": DeliveryStatus.REJECTED,
            "meta": {"ses_reject": {"reason": "Bad content", "at": SENT_AT.isoformat()}},
        }
    )


def test_a_second_reject_changes_nothing() -> None:
    rejected = SentFacts(delivery_status=DeliveryStatus.REJECTED, meta={"ses_reject": {}})

    assert progress(rejected, event("reject")) == Progress({})


def test_a_rendering_failure_fails_the_email_with_what_went_wrong() -> None:
    moved = progress(SENT, event("rendering_failure"))

    assert moved == Progress(
        {
            "delivery_status": DeliveryStatus.FAILED,
            "meta": {
                "rendering_failure": {
                    "error_message": "Attribute 'attributeName' is not present in the "
                    "rendering data.",
                    "template_name": "MyTemplate",
                }
            },
        }
    )


def test_a_delivery_delay_is_noted_once_and_moves_nothing() -> None:
    first = progress(SENT, event("delivery_delay", at=at(30)))
    again = progress(after(SENT, first), event("delivery_delay", at=at(50)))

    assert first == Progress(
        {
            "meta": {
                "delivery_delay": {
                    "type": "TransientCommunicationFailure",
                    "at": at(30).isoformat(),
                    "expires_at": "2020-06-16T00:25:40.914000+00:00",
                }
            }
        }
    )
    assert again == Progress({})


def test_a_delivery_delay_without_an_expiry_says_so() -> None:
    moved = progress(SENT, event("delivery_delay", at=at(30), expirationTime=None))

    assert moved.changes["meta"]["delivery_delay"]["expires_at"] is None


@pytest.mark.parametrize("name", ["send", "subscription"])
def test_send_and_subscription_events_change_nothing(name: str) -> None:
    assert progress(SENT, event(name)) == Progress({})


def test_an_event_type_ses_added_later_changes_nothing() -> None:
    record = ses_event("delivery", message_id="m-1", sent_at=SENT_AT)
    record["eventType"] = "Quarantine"

    assert progress(SENT, SesEvent.model_validate(record)) == Progress({})


@pytest.mark.parametrize(
    ("carried", "detail"),
    [
        ("bounce_permanent", "bounce"),
        ("complaint", "complaint"),
        ("open", "open"),
        ("click", "click"),
        ("delivery_delay", "deliveryDelay"),
    ],
)
def test_an_event_is_applied_by_its_type_not_by_the_objects_it_carries(
    carried: str, detail: str
) -> None:
    # Given a Send record that also carries another type's object
    record = ses_event("send", message_id="m-1", sent_at=SENT_AT)
    record[detail] = ses_event(carried, at=at(5))[detail]

    # Then it is applied as a Send: nothing changes
    assert progress(SENT, SesEvent.model_validate(record)) == Progress({})


def test_a_rendering_failure_without_its_details_still_fails_the_email() -> None:
    record = ses_event("rendering_failure", message_id="m-1", sent_at=SENT_AT)
    del record["failure"]

    moved = progress(SENT, SesEvent.model_validate(record))

    assert moved == Progress(
        {
            "delivery_status": DeliveryStatus.FAILED,
            "meta": {"rendering_failure": {"error_message": None, "template_name": None}},
        }
    )


def test_a_reject_without_its_reason_still_rejects_the_email() -> None:
    record = ses_event("reject", message_id="m-1", sent_at=SENT_AT)
    del record["reject"]

    moved = progress(SENT, SesEvent.model_validate(record))

    assert moved.changes["delivery_status"] is DeliveryStatus.REJECTED
    assert moved.changes["meta"] == {"ses_reject": {"reason": None, "at": SENT_AT.isoformat()}}


def test_the_record_given_is_left_as_it_was() -> None:
    meta = {"send_attempt": 1}
    facts = SentFacts(delivery_status=DeliveryStatus.SENT, meta=meta)

    progress(facts, event("complaint", at=at(4)))

    assert facts.meta is meta
    assert meta == {"send_attempt": 1}


# ------------------------------------------------------------------------- properties

EVENT_NAMES = [
    "delivery",
    "bounce_permanent",
    "bounce_transient",
    "complaint",
    "open",
    "click",
    "reject",
    "rendering_failure",
    "delivery_delay",
    "send",
]
STATUSES = list(DeliveryStatus)
moments = st.integers(0, 10_000).map(at)


@st.composite
def sent_facts(draw: st.DrawFn) -> SentFacts:
    maybe = st.none() | moments
    return SentFacts(
        delivery_status=draw(st.sampled_from(STATUSES)),
        delivered_at=draw(maybe),
        opened_at=draw(maybe),
        clicked_at=draw(maybe),
        bounced_at=draw(maybe),
        complained_at=draw(maybe),
        meta=draw(st.sampled_from([{}, {"send_attempt": 1}, {"complaint": {}}])),
    )


@settings(max_examples=300, deadline=None)
@given(sent_facts(), st.sampled_from(EVENT_NAMES), moments)
def test_an_event_applied_again_changes_nothing(
    facts: SentFacts, name: str, when: datetime
) -> None:
    once = progress(facts, event(name, at=when))

    assert progress(after(facts, once), event(name, at=when)) == Progress({})


@settings(max_examples=300, deadline=None)
@given(sent_facts(), st.sampled_from(EVENT_NAMES), moments)
def test_the_status_only_moves_forward_and_recorded_times_stay(
    facts: SentFacts, name: str, when: datetime
) -> None:
    moved = progress(facts, event(name, at=when))
    status = moved.changes.get("delivery_status", facts.delivery_status)

    assert status == facts.delivery_status or status.rank > facts.delivery_status.rank
    for field in ("delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"):
        if getattr(facts, field) is not None:
            assert field not in moved.changes


def apply_all(facts: SentFacts, names: list[str]) -> SentFacts:
    for name in names:
        facts = after(facts, progress(facts, event(name, at=at(EVENT_NAMES.index(name)))))
    return facts


@settings(max_examples=200, deadline=None)
@given(st.permutations(["delivery", "bounce_permanent", "open", "click", "delivery_delay"]))
def test_events_of_different_kinds_end_the_same_whatever_their_order(order: list[str]) -> None:
    # Bounce and complaint (or reject) share the last rank, so whichever comes first
    # stands: they are not mixed here.
    expected = apply_all(SENT, ["delivery", "bounce_permanent", "open", "click", "delivery_delay"])

    assert apply_all(SENT, order) == expected
    assert expected.delivery_status is DeliveryStatus.BOUNCED
