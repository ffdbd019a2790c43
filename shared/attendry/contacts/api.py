"""Routes for a user's contacts (saved speaker profiles)."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.contacts import service as contacts
from attendry.contacts.schemas import Contact, ContactCreate
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.responses import answers
from attendry.http.schemas import Page

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
