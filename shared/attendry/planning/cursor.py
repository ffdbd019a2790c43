"""A position in the ranking of events, as the opaque cursor of a page of it."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from attendry.core.errors import InvalidInputError


@dataclass(frozen=True)
class RankCursor:
    """A position in the ranking: best score first, then the earlier event, then the id."""

    score: float
    starts_at: str
    id: str

    @property
    def key(self) -> tuple[float, str, str]:
        return (-self.score, self.starts_at, self.id)

    @classmethod
    def of(cls, score: float, starts: datetime | None, event_id: UUID) -> "RankCursor":
        # In UTC, so the strings sort as the times do; undated events after dated ones of
        # the same score ("~" sorts after any digit).
        return cls(score, starts.astimezone(UTC).isoformat() if starts else "~", str(event_id))

    def encode(self) -> str:
        raw = json.dumps([self.score, self.starts_at, self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "RankCursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            score, starts_at, row_id = json.loads(raw)
            return cls(float(score), str(starts_at), str(UUID(row_id)))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
            raise InvalidInputError(
                "The cursor is not valid.",
                details=[{"field": "query.cursor", "message": "not a cursor this API issued"}],
            ) from error
