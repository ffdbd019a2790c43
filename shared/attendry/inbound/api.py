"""Received mail the user reads (replies, a contact's thread), and replies recorded by hand."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.core.clock import system_clock
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.db.models.inbound import InboundKind
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.schemas import Page
from attendry.inbound import reads
from attendry.inbound.schemas import Reply, ReplyDetail, ReplyMarked, Thread, ThreadMessage

router = Router()


@router.get(
    "/replies",
    summary="Email received for you, newest first, matched to your messages or not",
    description="Every email that reached you: replies to your messages (`matched: true`) "
    "and mail that came to you but answers no message found (`matched: false`), so nothing "
    "that arrives is hidden. Mail that matched no user at all belongs to nobody and is "
    "shown to no one. `classification` filters by what the email is (reply, auto_reply, "
    "bounce, list, other); `agent_id` keeps the replies to that agent's messages.",
    tags=["replies"],
)
def list_replies(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    classification: Annotated[InboundKind | None, Query()] = None,
    contact_id: Annotated[UUID | None, Query()] = None,
    agent_id: Annotated[UUID | None, Query()] = None,
    matched: Annotated[bool | None, Query()] = None,
) -> Page[Reply]:
    with read_connection() as connection:
        rows, next_cursor = reads.list_replies(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            classification=classification,
            contact_id=contact_id,
            agent_id=agent_id,
            matched=matched,
        )
    return Page[Reply](items=[Reply.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/replies/<reply_id>",
    summary="Read a received email: its text, full and extracted, and why it was classed so",
    tags=["replies"],
)
def get_reply(reply_id: UUID) -> ReplyDetail:
    user_id = current_user_id(router)
    with read_scope() as session:
        reply = ReplyDetail.from_row(reads.get_reply(session, user_id, reply_id))
        if reply.contact_id is not None:
            entries = reads.thread_of(session.connection(), user_id, reply.contact_id)
            reply.thread = [ThreadMessage.model_validate(entry) for entry in entries]
    return reply


@router.get(
    "/contacts/<contact_id>/thread",
    summary="Everything sent to and received from a contact, oldest first",
    description="Each message with its direction (`sent` or `received`) and time; a "
    "received one shows the contact's own words (quoted text cut) and its classification.",
    tags=["contacts"],
)
def get_thread(contact_id: UUID) -> Thread:
    with read_connection() as connection:
        entries = reads.contact_thread(connection, current_user_id(router), contact_id)
    return Thread(
        contact_id=contact_id,
        items=[ThreadMessage.model_validate(entry) for entry in entries],
    )


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
