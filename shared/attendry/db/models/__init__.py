"""The tables as SQLAlchemy 2 typed models, one module per feature that owns them.

They live here, below every feature, rather than in the features: most tables are read
by several features of different layers (a sent row by sending, delivery, follow-ups and
inbound), and the import contract lets a feature import `db` but no sibling or higher
feature. Importing this package registers every table on `Base.metadata`, which the
migrations compare with.

The migrations in `attendry/db/migrations` create exactly this schema (a test compares
them). Conventions, so each query can rely on them:

- every row a user owns carries `user_id` (the JWT `sub`), and each listable table has an
  index on `(user_id, created_at DESC, id DESC)` for owner-scoped keyset pages;
- ids are UUIDs the database generates (`gen_random_uuid()`, built in since PostgreSQL 13);
- every closed value set is a text column with a named CHECK built from `attendry.db.enums`;
- history survives the deletion of what it points at (`SET NULL`); work items that mean
  nothing without their agent or contact go with it (`CASCADE`).
"""

from attendry.db.models.agents import Agent
from attendry.db.models.base import Base, EnumText, Timestamped, UserOwned
from attendry.db.models.contacts import Contact
from attendry.db.models.delivery import SesEvent
from attendry.db.models.followups import FollowupSchedule
from attendry.db.models.inbound import InboundEmail
from attendry.db.models.messaging import AgentMessage
from attendry.db.models.notifications import Notification
from attendry.db.models.opportunities import Opportunity
from attendry.db.models.outreach import OutreachDraft, OutreachSent
from attendry.db.models.sending import UserSendingState
from attendry.db.models.suppression import EmailBounce, EmailSuppression
from attendry.db.models.tasks import AgentTask
from attendry.db.models.usage import LlmUsage

__all__ = [
    "Agent",
    "AgentMessage",
    "AgentTask",
    "Base",
    "Contact",
    "EmailBounce",
    "EmailSuppression",
    "EnumText",
    "FollowupSchedule",
    "InboundEmail",
    "LlmUsage",
    "Notification",
    "Opportunity",
    "OutreachDraft",
    "OutreachSent",
    "SesEvent",
    "Timestamped",
    "UserOwned",
    "UserSendingState",
]
