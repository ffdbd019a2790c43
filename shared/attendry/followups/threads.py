"""The follow-up schedule answering the Sender's questions about a draft's thread."""

from sqlalchemy.orm import Session

from attendry.db.enums import FollowupReason
from attendry.db.models import OutreachDraft, OutreachSent
from attendry.followups.history import schedule_for_draft, thread_messages
from attendry.followups.stops import stop_reason_at_send


class ScheduledThreads:
    """Threads as the follow-up schedule knows them (`attendry.sending.service.FollowupThreads`)."""

    def references(self, session: Session, draft: OutreachDraft) -> list[str]:
        row = schedule_for_draft(session, draft)
        original = session.get(OutreachSent, row.sent_id) if row is not None else None
        if row is None or original is None:
            return []
        return [
            message.rfc822_message_id
            for message in thread_messages(session, original, row.attempt)
            if message.rfc822_message_id
        ]

    def stop_reason(self, session: Session, draft: OutreachDraft) -> FollowupReason | None:
        return stop_reason_at_send(session, draft)
