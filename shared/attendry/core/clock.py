"""The product's one clock.

Use cases take a `Clock` (or the instant it read) and never read the wall clock
themselves: the composition roots pass `system_clock`, and a test a fixed one instead of
patching time.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current instant as an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)
