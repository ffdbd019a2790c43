"""Routes for a user's contacts (saved speaker profiles)."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.api.auth import current_user_id
from attendry.api.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.api.responses import answers
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.schemas.common import Page
from attendry.schemas.contacts import Contact, ContactCreate
from attendry.schemas.replies import ReplyMarked
from attendry.services import contacts

router = Router()


@router.post(
    "/contacts",
    summary="Save a contact",
    tags=["contacts"],
    responses=answers(
        HTTPStatus.CREATED,
        Contact,
        "The contact, saved.",
        conflict="`conflict`: you already saved a contact with this email address.",
    ),
)
def create_contact(body: ContactCreate) -> tuple[Contact, int]:
    with session_scope() as session:
        contact = contacts.create_contact(session, current_user_id(router), body)
        return Contact.model_validate(contact), HTTPStatus.CREATED


@router.get("/contacts", summary="List your contacts, newest first", tags=["contacts"])
def list_contacts(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    opportunity_id: Annotated[UUID | None, Query()] = None,
) -> Page[Contact]:
    with read_connection() as connection:
        rows, next_cursor = contacts.list_contacts(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            opportunity_id=opportunity_id,
        )
    return Page[Contact].of(rows, next_cursor)


@router.get("/contacts/<contact_id>", summary="Read a contact", tags=["contacts"])
def get_contact(contact_id: UUID) -> Contact:
    with read_scope() as session:
        contact = contacts.get_contact(session, current_user_id(router), contact_id)
        return Contact.model_validate(contact)


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
    from attendry.services import replies

    with session_scope() as session:
        recorded = replies.mark_replied(session, current_user_id(router), contact_id)
        return ReplyMarked(
            contact_id=contact_id,
            sent_id=recorded.sent_id,
            response_received_at=recorded.response_received_at,
            already_recorded=recorded.sent_id is not None and not recorded.first_reply,
            followups_cancelled=recorded.followups_cancelled,
        )
