"""The timing rules run here with the process's own time zone far from UTC.

Lambda's is UTC, and so is this machine's: a rule that read the process's zone instead
of the contact's (`astimezone()` with no zone) would pass everywhere it runs. Chatham's
+12:45/+13:45 moves every local date and hour such a mistake would touch.
"""

import os
import time
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def process_time_zone_far_from_utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Chatham"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()
