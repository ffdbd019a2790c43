"""Writing `email_suppressions`: each address once per scope, so a repeat changes nothing.

Reading them (whether an address may be sent to) is `send_policy.find_suppression`.
"""

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.db.enums import SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression


def suppress_for_user(
    session: Session,
    user_id: str,
    address: str,
    reason: SuppressionReason = SuppressionReason.UNSUBSCRIBE,
) -> bool:
    """Suppress `address` for `user_id` only; True if this call added it.

    One statement (INSERT ... ON CONFLICT DO NOTHING on the per-user unique index), so two
    unsubscribes at once add one row and exactly one of them learns it was the first.
    """
    stmt = (
        insert(EmailSuppression)
        .values(
            address=address.strip().lower(),
            reason=reason,
            scope=SuppressionScope.USER,
            user_id=user_id,
        )
        .on_conflict_do_nothing(
            index_elements=["address", "user_id"], index_where=text("scope = 'user'")
        )
        .returning(EmailSuppression.id)
    )
    return session.execute(stmt).first() is not None
