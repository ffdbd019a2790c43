"""The sweep: each due follow-up acted on once, every stop condition re-checked first."""

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.enums import (
    AgentStatus,
    DeliveryStatus,
    FollowupReason,
    FollowupStatus,
    MessageStatus,
    SuppressionReason,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    AgentMessage,
    EmailSuppression,
    OutreachSent,
    UserSendingState,
)
from attendry.followups.sweep import SweepResult, due_followups
from attendry.platform.sqs import SqsQueue
from tests.fixtures.followup_threads import Thread, queued_task_ids, ses_ids

pytestmark = pytest.mark.integration

Sweep = Callable[..., SweepResult]


def test_a_due_follow_up_becomes_one_draft_task_however_often_the_time_fires(
    session: Session, threads: Callable[..., Thread], sweep: Sweep, agent_tasks: SqsQueue
) -> None:
    # Given a follow-up due Thursday 09:00 UTC
    thread = threads()
    row = thread.schedule(session)
    fired_at = row.due_at + timedelta(minutes=2)

    # When the schedule fires for the same time twice
    sweep(fired_at)
    sweep(fired_at)

    # Then one draft_followup task exists, queued once, and the row is drafted with it
    [task] = thread.tasks(session)
    [drafted] = thread.rows(session)
    assert task.task_type is TaskType.DRAFT_FOLLOWUP
    assert task.status is TaskStatus.QUEUED
    assert task.input == {"followup_id": str(row.id)}
    assert task.opportunity_id == thread.event.id
    assert drafted.status is FollowupStatus.DRAFTED
    assert drafted.task_id == task.id
    assert queued_task_ids(agent_tasks).count(str(task.id)) == 1


def test_a_follow_up_not_yet_due_is_left_alone(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    thread = threads()
    row = thread.schedule(session)

    sweep(row.due_at - timedelta(seconds=1))

    assert [r.status for r in thread.rows(session)] == [FollowupStatus.SCHEDULED]
    assert thread.tasks(session) == []


def test_two_sweeps_at_once_claim_each_due_row_once(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    # Given 40 due follow-ups (ten threads of four attempts)
    made = [threads(followup_settings={"max_followups": 10}) for _ in range(10)]
    for thread in made:
        for attempt in range(1, 5):
            thread.schedule(session, attempt=attempt)
    fired_at = made[0].original_sent_at + timedelta(days=3, minutes=5)

    # When two sweeps run at the same moment, in small batches so they interleave
    start = threading.Barrier(2)
    results: list[SweepResult] = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(sweep(fired_at, batch_size=3, max_batches=100))
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    # Then every row was drafted exactly once, each with a task of its own
    assert failures == []
    rows = [row for thread in made for row in thread.rows(session)]
    tasks = [task for thread in made for task in thread.tasks(session)]
    assert {row.status for row in rows} == {FollowupStatus.DRAFTED}
    assert len(tasks) == 40
    assert sorted(str(row.task_id) for row in rows) == sorted(str(task.id) for task in tasks)
    assert sum(result.outcomes.get("drafted", 0) for result in results) >= 40


def _another_email_replied_to(session: Session, thread: Thread) -> None:
    """The contact answered a different email of the user's, sent after this thread began."""
    ses_id, message_id = ses_ids()
    session.add(
        OutreachSent(
            user_id=thread.user_id,
            agent_id=thread.outreach_agent.id,
            contact_id=thread.contact.id,
            recipient_email=thread.contact.email,
            subject="Another topic",
            message_body="Hi again",
            sent_at=thread.original_sent_at + timedelta(hours=1),
            delivery_status=DeliveryStatus.DELIVERED,
            ses_message_id=ses_id,
            rfc822_message_id=message_id,
            idempotency_key=f"other-{uuid.uuid4()}",
            response_received_at=thread.original_sent_at + timedelta(days=1),
            meta={},
        )
    )


def _suppress(session: Session, thread: Thread, scope: SuppressionScope) -> None:
    session.add(
        EmailSuppression(
            address=str(thread.contact.email),
            reason=SuppressionReason.UNSUBSCRIBE
            if scope is SuppressionScope.USER
            else SuppressionReason.BOUNCE,
            scope=scope,
            user_id=thread.user_id if scope is SuppressionScope.USER else None,
        )
    )


def _event_over(thread: Thread) -> None:
    thread.event.starts_at = thread.original_sent_at + timedelta(days=2)
    thread.event.ends_at = thread.original_sent_at + timedelta(days=2, hours=8)


STOPS: dict[str, Callable[[Session, Thread], object]] = {
    "replied": lambda s, t: setattr(
        t.original, "response_received_at", t.original_sent_at + timedelta(hours=5)
    ),
    "replied_to_another_email": _another_email_replied_to,
    "bounced": lambda s, t: setattr(t.original, "delivery_status", DeliveryStatus.BOUNCED),
    "complained": lambda s, t: setattr(t.original, "delivery_status", DeliveryStatus.COMPLAINED),
    "unsubscribed": lambda s, t: _suppress(s, t, SuppressionScope.USER),
    "suppressed_for_everyone": lambda s, t: _suppress(s, t, SuppressionScope.GLOBAL),
    "agent_paused": lambda s, t: setattr(t.followup_agent, "status", AgentStatus.PAUSED),
    "event_passed": lambda s, t: _event_over(t),
}


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("replied", FollowupReason.REPLIED),
        ("replied_to_another_email", FollowupReason.REPLIED),
        ("bounced", FollowupReason.BOUNCED),
        ("complained", FollowupReason.COMPLAINED),
        ("unsubscribed", FollowupReason.UNSUBSCRIBED),
        ("suppressed_for_everyone", FollowupReason.BOUNCED),
        ("agent_paused", FollowupReason.AGENT_PAUSED),
        ("event_passed", FollowupReason.EVENT_PASSED),
    ],
)
def test_every_stop_condition_is_checked_right_before_acting(
    kind: str,
    reason: FollowupReason,
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
) -> None:
    # Given a due follow-up, and then a reason to stop that arrived after it was planned
    thread = threads()
    row = thread.schedule(session)
    session.add_all([thread.original, thread.followup_agent, thread.event])
    STOPS[kind](session, thread)
    session.commit()

    # When the sweep comes to it
    result = sweep(row.due_at + timedelta(minutes=1))

    # Then it is cancelled with the reason, and nothing is drafted
    [stopped] = thread.rows(session)
    assert (stopped.status, stopped.reason) == (FollowupStatus.CANCELLED, reason)
    assert thread.tasks(session) == []
    assert result.outcomes.get("cancelled", 0) >= 1


def test_a_follow_up_cancelled_by_the_user_is_not_picked_up(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    thread = threads()
    row = thread.schedule(session, status=FollowupStatus.CANCELLED)
    row.reason = FollowupReason.CANCELLED_BY_USER
    session.commit()

    sweep(row.due_at + timedelta(minutes=1))

    [kept] = thread.rows(session)
    assert (kept.status, kept.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.CANCELLED_BY_USER,
    )
    assert thread.tasks(session) == []


def test_paused_sending_makes_a_follow_up_wait_not_stop(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    # Given a due follow-up of a user whose sending is paused (account safety)
    thread = threads()
    row = thread.schedule(session)
    state = UserSendingState(user_id=thread.user_id, paused=True, reason="bounce rate")
    session.add(state)
    session.commit()
    fired_at = row.due_at + timedelta(minutes=1)

    # When the sweep runs, it leaves the follow-up scheduled
    sweep(fired_at)
    assert [r.status for r in thread.rows(session)] == [FollowupStatus.SCHEDULED]

    # When sending resumes, the next run drafts it
    state.paused = False
    session.commit()
    sweep(fired_at + timedelta(minutes=5))
    assert [r.status for r in thread.rows(session)] == [FollowupStatus.DRAFTED]


def test_a_late_sweep_outside_the_window_moves_the_follow_up_to_the_next_opening(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    # Given a follow-up due Thursday 09:00 UTC, and a sweep that only runs Friday 20:00 UTC
    # (22:00 in Berlin, after the window)
    thread = threads()
    due_at = thread.schedule(session).due_at
    friday_evening = due_at + timedelta(days=1, hours=11)

    sweep(friday_evening)

    # Then nothing is drafted on a Friday night: it waits for Monday 08:00 in Berlin
    [moved] = thread.rows(session)
    monday = (due_at + timedelta(days=4)).date()
    assert moved.status is FollowupStatus.SCHEDULED
    assert moved.due_at == datetime.combine(monday, time(8), tzinfo=ZoneInfo("Europe/Berlin"))
    assert thread.tasks(session) == []


def test_after_the_last_attempt_the_user_gets_an_escalation(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    # Given an agent allowed two follow-ups, and attempt 3 (the escalation) due
    thread = threads(followup_settings={"max_followups": 2})
    row = thread.schedule(session, attempt=3, due_at=thread.original_sent_at + timedelta(days=24))

    sweep(row.due_at + timedelta(minutes=1))

    # Then no email is drafted: the row is escalated, the agent tells the user
    [escalated] = thread.rows(session)
    assert (escalated.status, escalated.reason) == (
        FollowupStatus.ESCALATED,
        FollowupReason.MAX_FOLLOWUPS_REACHED,
    )
    assert thread.tasks(session) == []
    [message] = session.scalars(
        select(AgentMessage).where(AgentMessage.user_id == thread.user_id)
    ).all()
    assert message.from_agent_id == thread.followup_agent.id
    assert message.to_agent_id is None
    assert message.message_type == "followup.escalated"
    assert message.status is MessageStatus.PENDING
    assert message.payload["followups_sent"] == 2
    [notice] = thread.notifications(session, "followup.escalated")
    assert notice.payload["followup_id"] == str(row.id)
    assert notice.payload["contact_name"] == "Ada Lovelace"


def test_a_row_that_cannot_be_handled_does_not_hold_up_the_others(
    session: Session, threads: Callable[..., Thread], sweep: Sweep
) -> None:
    # Given two due follow-ups, one of an agent whose stored settings no longer validate
    broken, fine = threads(), threads()
    broken.followup_agent.settings = {"max_followups": "many"}
    session.add(broken.followup_agent)
    session.commit()
    first = broken.schedule(session, due_at=broken.original_sent_at + timedelta(days=3))
    fine.schedule(session, due_at=first.due_at + timedelta(seconds=1))

    sweep(first.due_at + timedelta(minutes=1))

    assert [r.status for r in broken.rows(session)] == [FollowupStatus.SCHEDULED]
    assert [r.status for r in fine.rows(session)] == [FollowupStatus.DRAFTED]


def test_the_claim_is_served_by_the_partial_index_in_due_order(session: Session) -> None:
    # Given the claim's statement, and a planner told to avoid sequential scans (the table
    # is small here; the benchmark shows the plan at a million rows)
    statement = due_followups(datetime.now(UTC), 100).compile(dialect=session.get_bind().dialect)
    connection = session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")

    plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", statement.params)]
    session.rollback()

    # Then the due rows come from the partial index, already in due_at order (no sort)
    assert plan[0].startswith("Limit")
    assert "LockRows" in plan[1]
    assert any("Index Scan using ix_agent_followup_schedule_due" in line for line in plan)
    assert not any("Sort" in line for line in plan)
