"""Why a drafting failed, in the two kinds the task runner must tell apart.

Permanent (`DraftingError`): trying again with the same input cannot help, so the task
fails with the message. Transient (`LlmRateLimited`, `LlmUnavailable`): raised only once
the client's own retries are spent, so the runner retries the task later through the
message's visibility. Every error carries the tokens already billed, so usage is recorded
even for a drafting that failed.
"""

from typing import ClassVar

from pydantic import ValidationError

from attendry.core.errors import DomainError
from attendry.drafting.models import LlmUsage


class LlmError(DomainError):
    """Base of every drafting failure; `retryable` is what the task runner looks at."""

    code = "llm_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, usage: LlmUsage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class DraftingError(LlmError):
    """The LLM answered but never with a usable draft, or refused the request itself."""

    code = "drafting_failed"


class LlmTransientError(LlmError):
    """The LLM could not be reached or would not answer now; later may work."""

    code = "llm_unavailable"
    retryable = True


class LlmRateLimited(LlmTransientError):  # noqa: N818 - the name the task runner knows
    """429 after the client's retries; `retry_after_s` is the server's hint when it gave one."""

    code = "llm_rate_limited"

    def __init__(
        self, message: str, *, usage: LlmUsage | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, usage=usage)
        self.retry_after_s = retry_after_s


class LlmUnavailable(LlmTransientError):  # noqa: N818 - the name the task runner knows
    """5xx, a timeout or a connection failure after the client's retries."""

    code = "llm_unavailable"


def validation_summary(exc: ValidationError) -> str:
    """The first few problems of a draft that failed its schema, each with its field."""
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
        for err in exc.errors()[:3]
    ]
    return "; ".join(parts)
