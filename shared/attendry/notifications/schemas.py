"""The user's activity feed as the API gives it."""

from datetime import datetime
from typing import Any
from uuid import UUID

from attendry.http.schemas import Resource


class Notification(Resource):
    id: UUID
    kind: str
    payload: dict[str, Any]
    read_at: datetime | None
    created_at: datetime
