"""Routes for outreach drafts (review, edit, approve, reject) and the messages sent."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.core.clock import system_clock
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.db.enums import DeliveryStatus, DraftStatus
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.responses import answers
from attendry.http.schemas import Page
from attendry.outreach import service as drafts
from attendry.outreach.schemas import Draft, DraftRejection, DraftUpdate, Sent

router = Router()
TAGS = ["drafts"]
NOT_PENDING = "`invalid_draft_state`: the draft is no longer waiting for review."


@router.get("/agents/outreach/drafts", summary="List drafts, newest first", tags=TAGS)
def list_drafts(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    status: Annotated[DraftStatus | None, Query()] = None,
    agent_id: Annotated[UUID | None, Query()] = None,
    contact_id: Annotated[UUID | None, Query()] = None,
) -> Page[Draft]:
    with read_connection() as connection:
        rows, next_cursor = drafts.list_drafts(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            status=status,
            agent_id=agent_id,
            contact_id=contact_id,
        )
    return Page[Draft](items=[Draft.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get("/agents/outreach/drafts/<draft_id>", summary="Read a draft", tags=TAGS)
def get_draft(draft_id: UUID) -> Draft:
    with read_scope() as session:
        return Draft.from_row(drafts.get_draft(session, current_user_id(router), draft_id))


@router.patch(
    "/agents/outreach/drafts/<draft_id>",
    summary="Edit a draft's subject or body before approval",
    tags=TAGS,
    responses=answers(HTTPStatus.OK, Draft, "The draft as edited.", conflict=NOT_PENDING),
)
def update_draft(draft_id: UUID, body: DraftUpdate) -> Draft:
    with session_scope() as session:
        row = drafts.update_draft(session, current_user_id(router), draft_id, body)
        return Draft.from_row(row)


@router.post(
    "/agents/outreach/drafts/<draft_id>/approve",
    summary="Approve a draft; an email draft is queued for sending",
    description="Answers 202: the email goes out shortly, through the sending queue. "
    "Refusals carry a code: `invalid_draft_state`, `invalid_recipient`, "
    "`recipient_suppressed`, `sending_paused`, `daily_send_cap_reached`.",
    tags=TAGS,
    responses=answers(
        HTTPStatus.ACCEPTED,
        Draft,
        "The draft, approved; an email draft is queued for sending.",
        conflict="`invalid_draft_state`, `recipient_suppressed`, `sending_paused` or "
        "`daily_send_cap_reached`: the draft cannot be sent now.",
    ),
)
def approve_draft(draft_id: UUID) -> tuple[Draft, int]:
    # The draft is queued for the Sender when this session commits (see approve_draft).
    with session_scope() as session:
        row = drafts.approve_draft(session, current_user_id(router), draft_id, now=system_clock())
    return Draft.from_row(row), HTTPStatus.ACCEPTED


@router.post(
    "/agents/outreach/drafts/<draft_id>/reject",
    summary="Reject a draft",
    tags=TAGS,
    responses=answers(HTTPStatus.OK, Draft, "The draft, rejected.", conflict=NOT_PENDING),
)
def reject_draft(draft_id: UUID, body: DraftRejection) -> Draft:
    with session_scope() as session:
        row = drafts.reject_draft(session, current_user_id(router), draft_id, body.reason)
        return Draft.from_row(row)


@router.get("/agents/outreach/sent", summary="Messages sent, newest first", tags=TAGS)
def list_sent(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    delivery_status: Annotated[DeliveryStatus | None, Query()] = None,
    agent_id: Annotated[UUID | None, Query()] = None,
    contact_id: Annotated[UUID | None, Query()] = None,
) -> Page[Sent]:
    with read_connection() as connection:
        rows, next_cursor = drafts.list_sent(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            delivery_status=delivery_status,
            agent_id=agent_id,
            contact_id=contact_id,
        )
    return Page[Sent](items=[Sent.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/agents/outreach/sent/<sent_id>",
    summary="A sent message and its delivery status",
    tags=TAGS,
)
def get_sent(sent_id: UUID) -> Sent:
    with read_scope() as session:
        return Sent.from_row(drafts.get_sent(session, current_user_id(router), sent_id))
