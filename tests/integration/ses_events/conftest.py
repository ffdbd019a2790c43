"""SES events against real PostgreSQL: sent rows made directly, events from the fixtures."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.engine import get_engine
from attendry.db.enums import AgentType, Channel, DeliveryStatus, DraftStatus
from attendry.db.models import Agent, Contact, Notification, OutreachDraft, OutreachSent
from attendry.delivery.service import SesEventPolicies, SesEventResult, apply_sns_notification
from tests.fixtures.ses import ses_event
from tests.integration.api.conftest import ApiResponse, LambdaContext, _load_handler, http_event

SENT_AT = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)


def new_ses_message_id() -> str:
    return f"0100019a{uuid.uuid4().hex[:8]}-{uuid.uuid4()}-000000"


@dataclass(frozen=True)
class SentEmail:
    """One email of the user's, as the Sender left it: its ids and recipient."""

    user_id: str
    sent_id: uuid.UUID
    draft_id: uuid.UUID
    contact_id: uuid.UUID
    agent_id: uuid.UUID
    recipient: str
    ses_message_id: str

    def event(
        self, name: str, *, at: datetime | None = None, tagged: bool = True
    ) -> dict[str, Any]:
        """SES's event `name` (a fixture file) for this email."""
        return ses_event(
            name,
            message_id=self.ses_message_id,
            sent_id=self.sent_id if tagged else None,
            sent_at=SENT_AT,
            at=at,
            recipient=self.recipient,
        )

    def row(self, session: Session) -> OutreachSent:
        sent = session.get(OutreachSent, self.sent_id, populate_existing=True)
        assert sent is not None
        return sent


MakeSent = Callable[..., SentEmail]


@pytest.fixture
def make_sent(database_url: str) -> MakeSent:
    """`make_sent(user_id, recorded=False)` leaves the row `sending`, its outcome lost."""

    def make(
        user_id: str,
        *,
        recipient: str | None = None,
        recorded: bool = True,
        sent_at: datetime = SENT_AT,
        agent_id: uuid.UUID | None = None,
    ) -> SentEmail:
        address = recipient or f"ada-{uuid.uuid4().hex[:10]}@example.com"
        ses_message_id = new_ses_message_id()
        with Session(get_engine(), expire_on_commit=False) as session:
            if agent_id is None:
                agent = Agent(user_id=user_id, agent_type=AgentType.OUTREACH, name="Outreach")
                session.add(agent)
                session.flush()
                agent_id = agent.id
            contact = Contact(user_id=user_id, name="Ada Lovelace", email=address)
            session.add(contact)
            session.flush()
            draft = OutreachDraft(
                user_id=user_id,
                agent_id=agent_id,
                contact_id=contact.id,
                channel=Channel.EMAIL,
                subject="Your keynote at DataConf",
                message_body="Hi Ada",
                recipient_email=address,
                status=DraftStatus.SENT if recorded else DraftStatus.SENDING,
                approved_at=sent_at - timedelta(minutes=1),
            )
            session.add(draft)
            session.flush()
            sent = OutreachSent(
                user_id=user_id,
                draft_id=draft.id,
                agent_id=agent_id,
                contact_id=contact.id,
                channel=Channel.EMAIL,
                recipient_email=address,
                subject=draft.subject,
                message_body=draft.message_body,
                delivery_status=DeliveryStatus.SENT if recorded else DeliveryStatus.SENDING,
                sent_at=sent_at if recorded else None,
                ses_message_id=ses_message_id if recorded else None,
                idempotency_key=str(draft.id),
                meta={} if recorded else {"send_attempt": {"number": 1, "started_at": "x"}},
            )
            session.add(sent)
            session.commit()
            return SentEmail(
                user_id, sent.id, draft.id, contact.id, agent_id, address, ses_message_id
            )

    return make


Apply = Callable[..., SesEventResult]


@pytest.fixture
def apply(database_url: str) -> Apply:
    """`apply(event, sns_message_id=None)`: the notification applied, as both ways in do."""

    def run(
        event: dict[str, Any], sns_message_id: str | None = None, **policies: Any
    ) -> SesEventResult:
        defaults = SesEventPolicies.from_environment()
        return apply_sns_notification(
            sns_message_id or str(uuid.uuid4()),
            event,
            datetime.now(UTC),
            policies=SesEventPolicies(
                suppression=policies.get("suppression", defaults.suppression),
                account_safety=policies.get("account_safety", defaults.account_safety),
                default_region=defaults.default_region,
            ),
            clock=system_clock,
        )

    return run


def notifications(session: Session, user_id: str, kind: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind)
            .order_by(Notification.created_at)
        )
    )


@pytest.fixture(scope="session")
def ses_api_handler(database_url: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return _load_handler()


@pytest.fixture
def call_api(
    ses_api_handler: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> Callable[..., ApiResponse]:
    def call(method: str, path: str, *, user: str | None, **kwargs: Any) -> ApiResponse:
        result = ses_api_handler(http_event(method, path, user=user, **kwargs), LambdaContext())
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return ApiResponse(result["statusCode"], headers, result.get("body") or "")

    return call
