"""A user's contacts: the speakers and sponsors they saved to meet."""

from uuid import UUID

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from attendry.core.errors import ConflictError, InvalidInputError, NotFoundError
from attendry.db.models import Contact, Opportunity
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.schemas.contacts import ContactCreate

NOUN = "Contact"


def create_contact(session: Session, user_id: str, request: ContactCreate) -> Contact:
    if request.opportunity_id is not None:
        try:
            get_owned(session, Opportunity, user_id, request.opportunity_id, noun="Opportunity")
        except NotFoundError as error:
            raise InvalidInputError(
                error.message,
                details=[{"field": "body.opportunity_id", "message": "no such opportunity"}],
            ) from error
    email = request.email.lower() if request.email else None
    if email is not None:
        clash = select(Contact.id).where(
            Contact.user_id == user_id, func.lower(Contact.email) == email
        )
        if session.scalars(clash).first() is not None:
            raise ConflictError(f"You already saved a contact with the address {email}.")
    contact = Contact(
        user_id=user_id,
        name=request.name,
        email=email,
        title=request.title,
        company=request.company,
        bio=request.bio,
        topics=request.topics,
        timezone=request.timezone,
        linkedin_url=str(request.linkedin_url) if request.linkedin_url else None,
        opportunity_id=request.opportunity_id,
        meta=request.metadata,
    )
    session.add(contact)
    session.flush()
    session.refresh(contact)
    return contact


def get_contact(session: Session, user_id: str, contact_id: UUID) -> Contact:
    return get_owned(session, Contact, user_id, contact_id, noun=NOUN)


def list_contacts(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    opportunity_id: UUID | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        Contact,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=((Contact.opportunity_id, opportunity_id),),
    )
