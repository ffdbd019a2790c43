"""Which drafter a process uses: Gemini when it has a key, the offline one otherwise."""

from typing import Protocol

from attendry.drafting.models import DraftRequest, DraftResult
from attendry.drafting.offline import OfflineDrafter
from attendry.drafting.settings import LlmSettings


class Drafter(Protocol):
    def draft(self, request: DraftRequest) -> DraftResult: ...


def drafter_from_settings(settings: LlmSettings) -> Drafter:
    """Choosing by the key alone keeps local mode and the demo working with no account."""
    if settings.gemini_api_key is None:
        return OfflineDrafter()
    from attendry.drafting.gemini import GeminiDrafter

    return GeminiDrafter(settings)
