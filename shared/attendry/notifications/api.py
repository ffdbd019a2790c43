"""Routes for the user's activity feed."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.db.engine import read_connection, session_scope
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.schemas import Page
from attendry.notifications import service as notifications
from attendry.notifications.schemas import Notification

router = Router()


@router.get("/notifications", summary="Your activity feed, newest first", tags=["notifications"])
def list_notifications(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    unread: Annotated[bool, Query(description="Only notifications not yet read.")] = False,
) -> Page[Notification]:
    with read_connection() as connection:
        rows, next_cursor = notifications.list_notifications(
            connection, current_user_id(router), limit=limit, cursor=cursor, unread_only=unread
        )
    return Page[Notification].of(rows, next_cursor)


@router.post(
    "/notifications/<notification_id>/read",
    summary="Mark a notification read",
    tags=["notifications"],
)
def mark_read(notification_id: UUID) -> Notification:
    with session_scope() as session:
        row = notifications.mark_read(session, current_user_id(router), notification_id)
        return Notification.model_validate(row)
