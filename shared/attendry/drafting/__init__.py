"""Email drafters of the Outreach agent: pure pieces, no database and no queue.

Importing this package never imports google.genai; only a Gemini draft does.
"""

from attendry.drafting.errors import (
    DraftingError,
    LlmError,
    LlmRateLimited,
    LlmTransientError,
    LlmUnavailable,
)
from attendry.drafting.factory import Drafter, drafter_from_settings
from attendry.drafting.models import (
    AgentStyle,
    ContactInfo,
    DraftRequest,
    DraftResult,
    EmailDraft,
    EventInfo,
    GeneratorInfo,
    LlmUsage,
    PreviousMessage,
)
from attendry.drafting.offline import OFFLINE_VERSION, OfflineDrafter
from attendry.drafting.prompt import PROMPT_VERSION
from attendry.drafting.settings import LlmSettings, llm_settings

__all__ = [
    "OFFLINE_VERSION",
    "PROMPT_VERSION",
    "AgentStyle",
    "ContactInfo",
    "DraftRequest",
    "DraftResult",
    "Drafter",
    "DraftingError",
    "EmailDraft",
    "EventInfo",
    "GeneratorInfo",
    "LlmError",
    "LlmRateLimited",
    "LlmSettings",
    "LlmTransientError",
    "LlmUnavailable",
    "LlmUsage",
    "OfflineDrafter",
    "PreviousMessage",
    "drafter_from_settings",
    "llm_settings",
]
