"""How the features are put together, listed once: who hears of which domain event, and
which feature runs which task type.

Every function's handler calls `connect_features()` at cold start (so does the test
suite), whatever its own features publish: a subscription is wired the same everywhere.
The change feed and webhooks of later features subscribe here too.
"""

from attendry.db.enums import TaskType
from attendry.followups.agent import draft_followup
from attendry.followups.inbox import handle_message
from attendry.followups.service import after_draft_failed, after_email_sent, after_send_failed
from attendry.followups.stops import on_conversation_ended, stop_for_rejected_draft
from attendry.outreach.agent import draft_outreach
from attendry.platform.domain_events import (
    ConversationEnded,
    DraftRejected,
    EmailSent,
    SendFailed,
    TaskFailed,
    subscribe,
)
from attendry.tasks.runtime import TaskHandler

# Which feature runs each task type: a new agent type registers its handler here.
TASK_HANDLERS: dict[TaskType, TaskHandler] = {
    TaskType.DRAFT_OUTREACH: draft_outreach,
    TaskType.DRAFT_FOLLOWUP: draft_followup,
    TaskType.HANDLE_MESSAGE: handle_message,
}


def connect_features() -> None:
    """Subscribe every feature to the events it acts on; calling it again changes nothing."""
    subscribe(EmailSent, after_email_sent)
    subscribe(SendFailed, after_send_failed)
    subscribe(DraftRejected, stop_for_rejected_draft)
    subscribe(TaskFailed, after_draft_failed)
    subscribe(ConversationEnded, on_conversation_ended)
