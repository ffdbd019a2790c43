"""The database itself refuses what the application must never store."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attendry.db.enums import (
    AgentStatus,
    AgentType,
    DeliveryStatus,
    DraftStatus,
    FollowupStatus,
    SuppressionReason,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    Agent,
    AgentTask,
    Base,
    Contact,
    EmailSuppression,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
)

pytestmark = pytest.mark.integration


def _agent(session: Session, user_id: str) -> Agent:
    agent = Agent(user_id=user_id, agent_type=AgentType.OUTREACH, name="Outreach")
    session.add(agent)
    session.flush()
    return agent


def _contact(session: Session, user_id: str) -> Contact:
    contact = Contact(user_id=user_id, name="Ada Lovelace", email="ada@example.com")
    session.add(contact)
    session.flush()
    return contact


def _sent(session: Session, user_id: str, **values: Any) -> OutreachSent:
    sent = OutreachSent(
        user_id=user_id,
        recipient_email="ada@example.com",
        message_body="Hello",
        idempotency_key=f"send-{uuid.uuid4()}",
        **values,
    )
    session.add(sent)
    session.flush()
    return sent


def _violated_constraint(session: Session, row: Base) -> str:
    """Add `row`, expect the database to refuse it, and name the constraint it broke."""
    session.add(row)
    with pytest.raises(IntegrityError) as refused:
        session.flush()
    session.rollback()
    constraint: str = refused.value.orig.diag.constraint_name  # type: ignore[union-attr]
    return constraint


def test_server_fills_ids_defaults_and_timestamps(db_session: Session, user_id: str) -> None:
    agent = _agent(db_session, user_id)
    db_session.commit()

    stored = db_session.scalars(select(Agent).where(Agent.id == agent.id)).one()
    assert isinstance(stored.id, uuid.UUID)
    assert stored.status is AgentStatus.ACTIVE
    assert stored.agent_type is AgentType.OUTREACH
    assert stored.settings == {}
    assert stored.created_at.tzinfo is not None
    assert stored.updated_at == stored.created_at


def test_an_update_moves_updated_at(db_session: Session, user_id: str) -> None:
    agent = _agent(db_session, user_id)
    db_session.commit()

    agent.status = AgentStatus.PAUSED
    db_session.commit()
    db_session.refresh(agent)

    assert agent.updated_at > agent.created_at


BadRow = Callable[[Session, str], Base]

BAD_STATUS_ROWS: dict[str, BadRow] = {
    "ck_ai_agents_status": lambda s, u: Agent(
        user_id=u, agent_type=AgentType.OUTREACH, name="x", status="sleeping"
    ),
    "ck_ai_agents_agent_type": lambda s, u: Agent(user_id=u, agent_type="sales", name="x"),
    "ck_agent_tasks_status": lambda s, u: AgentTask(
        user_id=u, agent_id=_agent(s, u).id, task_type=TaskType.DRAFT_OUTREACH, status="done"
    ),
    "ck_agent_tasks_task_type": lambda s, u: AgentTask(
        user_id=u, agent_id=_agent(s, u).id, task_type="draft_tweet"
    ),
    "ck_agent_outreach_drafts_status": lambda s, u: OutreachDraft(
        user_id=u,
        agent_id=_agent(s, u).id,
        contact_id=_contact(s, u).id,
        message_body="Hi",
        status="maybe",
    ),
    "ck_agent_outreach_sent_delivery_status": lambda s, u: OutreachSent(
        user_id=u, message_body="Hi", idempotency_key=str(uuid.uuid4()), delivery_status="lost"
    ),
    "ck_agent_followup_schedule_status": lambda s, u: FollowupSchedule(
        user_id=u,
        agent_id=_agent(s, u).id,
        sent_id=_sent(s, u).id,
        contact_id=_contact(s, u).id,
        attempt=1,
        due_at=datetime.now(UTC),
        status="later",
    ),
    "ck_email_suppressions_reason": lambda s, u: EmailSuppression(
        address="a@example.com", reason="annoyed", scope=SuppressionScope.GLOBAL
    ),
}


@pytest.mark.parametrize("constraint", BAD_STATUS_ROWS)
def test_check_constraints_refuse_unknown_values(
    db_session: Session, user_id: str, constraint: str
) -> None:
    row = BAD_STATUS_ROWS[constraint](db_session, user_id)

    assert _violated_constraint(db_session, row) == constraint


def test_known_values_are_read_back_as_enums(db_session: Session, user_id: str) -> None:
    task = AgentTask(
        user_id=user_id, agent_id=_agent(db_session, user_id).id, task_type="draft_outreach"
    )
    db_session.add(task)
    db_session.commit()

    db_session.expire(task)
    assert task.task_type is TaskType.DRAFT_OUTREACH
    assert task.status is TaskStatus.QUEUED


def test_ses_message_id_is_unique(db_session: Session, user_id: str) -> None:
    _sent(db_session, user_id, ses_message_id="0100018f-ses-1")
    db_session.commit()

    duplicate = OutreachSent(
        user_id=user_id,
        message_body="Hello again",
        idempotency_key=f"send-{uuid.uuid4()}",
        ses_message_id="0100018f-ses-1",
    )

    assert _violated_constraint(db_session, duplicate) == "uq_agent_outreach_sent_ses_message_id"


def test_send_idempotency_key_is_unique(db_session: Session, user_id: str) -> None:
    first = _sent(db_session, user_id)
    db_session.commit()

    again = OutreachSent(
        user_id=user_id, message_body="Hello", idempotency_key=first.idempotency_key
    )

    assert _violated_constraint(db_session, again) == "uq_agent_outreach_sent_idempotency_key"


def test_task_idempotency_key_is_unique_per_user(db_session: Session, user_id: str) -> None:
    other_user = f"user-{uuid.uuid4()}"
    mine = _agent(db_session, user_id)
    theirs = _agent(db_session, other_user)
    for owner, agent in [(user_id, mine), (other_user, theirs)]:
        db_session.add(
            AgentTask(
                user_id=owner,
                agent_id=agent.id,
                task_type=TaskType.DRAFT_OUTREACH,
                idempotency_key="key-1",
            )
        )
    for _ in range(2):
        db_session.add(
            AgentTask(user_id=user_id, agent_id=mine.id, task_type=TaskType.DRAFT_OUTREACH)
        )
    db_session.commit()

    reused = AgentTask(
        user_id=user_id,
        agent_id=mine.id,
        task_type=TaskType.DRAFT_OUTREACH,
        idempotency_key="key-1",
    )

    assert _violated_constraint(db_session, reused) == "uq_agent_tasks_user_idempotency_key"


def test_foreign_keys_are_enforced(db_session: Session, user_id: str) -> None:
    orphan = AgentTask(user_id=user_id, agent_id=uuid.uuid4(), task_type=TaskType.DRAFT_OUTREACH)

    assert _violated_constraint(db_session, orphan) == "fk_agent_tasks_agent_id"


def test_deleting_an_agent_removes_its_work_and_keeps_what_was_sent(
    db_session: Session, user_id: str
) -> None:
    agent = _agent(db_session, user_id)
    task = AgentTask(user_id=user_id, agent_id=agent.id, task_type=TaskType.DRAFT_OUTREACH)
    db_session.add(task)
    sent = _sent(db_session, user_id, agent_id=agent.id)
    db_session.commit()
    task_id, sent_id = task.id, sent.id

    db_session.delete(agent)
    db_session.commit()
    db_session.expunge_all()

    assert db_session.get(AgentTask, task_id) is None
    kept = db_session.get(OutreachSent, sent_id)
    assert kept is not None
    assert kept.agent_id is None
    assert kept.delivery_status is DeliveryStatus.SENDING


def test_suppressions_are_unique_per_scope_and_user(db_session: Session, user_id: str) -> None:
    address = f"{uuid.uuid4().hex}@example.com"
    other_user = f"user-{uuid.uuid4()}"
    db_session.add_all(
        [
            EmailSuppression(
                address=address, reason=SuppressionReason.BOUNCE, scope=SuppressionScope.GLOBAL
            ),
            EmailSuppression(
                address=address,
                reason=SuppressionReason.UNSUBSCRIBE,
                scope=SuppressionScope.USER,
                user_id=user_id,
            ),
            EmailSuppression(
                address=address,
                reason=SuppressionReason.UNSUBSCRIBE,
                scope=SuppressionScope.USER,
                user_id=other_user,
            ),
        ]
    )
    db_session.commit()

    global_again = EmailSuppression(
        address=address, reason=SuppressionReason.COMPLAINT, scope=SuppressionScope.GLOBAL
    )
    assert _violated_constraint(db_session, global_again) == "uq_email_suppressions_global_address"

    user_again = EmailSuppression(
        address=address,
        reason=SuppressionReason.UNSUBSCRIBE,
        scope=SuppressionScope.USER,
        user_id=user_id,
    )
    assert _violated_constraint(db_session, user_again) == "uq_email_suppressions_user_address"


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        (
            {"address": "Ada@Example.com", "scope": SuppressionScope.GLOBAL},
            "ck_email_suppressions_address_lower_case",
        ),
        (
            {"address": "ada@example.com", "scope": SuppressionScope.USER},
            "ck_email_suppressions_scope_user",
        ),
        (
            {"address": "ada@example.com", "scope": SuppressionScope.GLOBAL, "user_id": "u"},
            "ck_email_suppressions_scope_user",
        ),
    ],
)
def test_suppression_rows_must_be_well_formed(
    db_session: Session, values: dict[str, Any], constraint: str
) -> None:
    row = EmailSuppression(reason=SuppressionReason.BOUNCE, **values)

    assert _violated_constraint(db_session, row) == constraint


def test_a_followup_attempt_is_scheduled_once_per_thread(db_session: Session, user_id: str) -> None:
    agent = _agent(db_session, user_id)
    contact = _contact(db_session, user_id)
    sent = _sent(db_session, user_id, agent_id=agent.id, contact_id=contact.id)
    values = {
        "user_id": user_id,
        "agent_id": agent.id,
        "sent_id": sent.id,
        "contact_id": contact.id,
        "attempt": 1,
        "due_at": datetime.now(UTC),
    }
    db_session.add(FollowupSchedule(**values))
    db_session.commit()

    again = FollowupSchedule(**values, status=FollowupStatus.SCHEDULED)

    assert _violated_constraint(db_session, again) == "uq_agent_followup_schedule_sent_attempt"


def test_draft_defaults(db_session: Session, user_id: str) -> None:
    draft = OutreachDraft(
        user_id=user_id,
        agent_id=_agent(db_session, user_id).id,
        contact_id=_contact(db_session, user_id).id,
        message_body="Hi Ada",
    )
    db_session.add(draft)
    db_session.commit()

    assert draft.status is DraftStatus.PENDING_APPROVAL
    assert draft.sequence_step == 0
    assert draft.edited_by_user is False
    assert draft.generator == {}
