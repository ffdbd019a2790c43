"""Routes for the follow-up schedule: list, cancel, move."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.core.clock import system_clock
from attendry.db.engine import read_connection, session_scope
from attendry.db.enums import FollowupStatus
from attendry.followups import changes as followups
from attendry.followups.schemas import Followup, FollowupUpdate
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.responses import answers
from attendry.http.schemas import Page

router = Router()
TAGS = ["followups"]
NOT_SCHEDULED = "`invalid_followup_state`: the follow-up is no longer scheduled."


@router.get("/followups", summary="Your follow-up schedule, newest first", tags=TAGS)
def list_followups(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    status: Annotated[FollowupStatus | None, Query()] = None,
    contact_id: Annotated[UUID | None, Query()] = None,
    agent_id: Annotated[UUID | None, Query()] = None,
) -> Page[Followup]:
    with read_connection() as connection:
        rows, next_cursor = followups.list_followups(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            status=status,
            contact_id=contact_id,
            agent_id=agent_id,
        )
    return Page[Followup].of(rows, next_cursor)


@router.post(
    "/followups/<followup_id>/cancel",
    summary="Cancel a scheduled follow-up",
    description="Reason `cancelled_by_user`. Only a `scheduled` follow-up can be cancelled "
    "(409 `invalid_followup_state` otherwise).",
    tags=TAGS,
    responses=answers(HTTPStatus.OK, Followup, "The follow-up, cancelled.", conflict=NOT_SCHEDULED),
)
def cancel_followup(followup_id: UUID) -> Followup:
    with session_scope() as session:
        row = followups.cancel_followup(session, current_user_id(router), followup_id)
        return Followup.model_validate(row)


@router.patch(
    "/followups/<followup_id>",
    summary="Move a scheduled follow-up",
    description="The timing rules still apply: a time they forbid answers 422 with the rule "
    "as the error code: `before_cadence`, `in_the_past`, `outside_send_window`, `weekend`, "
    "`event_blackout` or `event_passed`.",
    tags=TAGS,
    responses=answers(HTTPStatus.OK, Followup, "The follow-up, moved.", conflict=NOT_SCHEDULED),
)
def update_followup(followup_id: UUID, body: FollowupUpdate) -> Followup:
    with session_scope() as session:
        row = followups.reschedule_followup(
            session, current_user_id(router), followup_id, body.due_at, now=system_clock()
        )
        return Followup.model_validate(row)
