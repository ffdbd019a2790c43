"""How the features are put together, listed once: who hears of which domain event, and
which feature runs which task type.

Every function's handler calls `connect_features()` at cold start (so does the test
suite), whatever its own features publish: a subscription is wired the same everywhere.
The change feed and webhooks of later features subscribe here too.
"""

from functools import partial

from attendry.core.clock import system_clock
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


# The follow-up schedule's handlers read the time; built once, so subscribing is idempotent.
_after_email_sent = partial(after_email_sent, clock=system_clock)
_after_draft_failed = partial(after_draft_failed, clock=system_clock)


def connect_features() -> None:
    """Subscribe every feature to the events it acts on; calling it again changes nothing."""
    subscribe(EmailSent, _after_email_sent)
    subscribe(SendFailed, after_send_failed)
    subscribe(DraftRejected, stop_for_rejected_draft)
    subscribe(TaskFailed, _after_draft_failed)
    subscribe(ConversationEnded, on_conversation_ended)
