"""Replies a user records by hand: the route that stops a contact's follow-ups without mail."""

from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router

from attendry.core.clock import system_clock
from attendry.db.engine import session_scope
from attendry.http.auth import current_user_id
from attendry.inbound.schemas import ReplyMarked

router = Router()


@router.post(
    "/contacts/<contact_id>/replied",
    summary="Mark that the contact replied (stops their scheduled follow-ups)",
    description="For a reply that did not come back by email (a call, another address): "
    "the latest message sent to the contact is marked answered, once, and every "
    "scheduled follow-up to them is cancelled with reason `replied`. Idempotent.",
    tags=["contacts"],
)
def mark_replied(contact_id: UUID) -> ReplyMarked:
    # The reply service carries the inbound-mail stack (MIME parsing, reply-address
    # crypto); only this route needs it, so it is not part of the API's cold start.
    from attendry.inbound import service as replies

    with session_scope() as session:
        recorded = replies.mark_replied(
            session, current_user_id(router), contact_id, clock=system_clock
        )
        return ReplyMarked(
            contact_id=contact_id,
            sent_id=recorded.sent_id,
            response_received_at=recorded.response_received_at,
            already_recorded=recorded.sent_id is not None and not recorded.first_reply,
            followups_cancelled=recorded.followups_cancelled,
        )
