"""One local runtime per test process, over a small template of its own.

Ports are picked free by the operating system (port 0), so pytest-xdist workers each run
their own runtime side by side. Waiting is always a bounded poll.
"""

import os
from collections.abc import Iterator

import pytest

from attendry_local.runtime import LocalRuntime
from tests.fixtures.local_runtime import (
    APP_TEMPLATE,
    FAKE_DATABASE_URL,
    LEAK_CHECK_VARIABLE,
    QueueInbox,
)


@pytest.fixture(scope="session")
def runtime() -> Iterator[LocalRuntime]:
    """The app fixture running; a variable set in this process must not reach functions."""
    os.environ[LEAK_CHECK_VARIABLE] = "leaked"
    try:
        app = LocalRuntime(APP_TEMPLATE, api_port=0, aws_port=0, database_url=FAKE_DATABASE_URL)
        with app:
            yield app
    finally:
        os.environ.pop(LEAK_CHECK_VARIABLE, None)


@pytest.fixture(scope="session")
def results(runtime: LocalRuntime) -> QueueInbox:
    return QueueInbox(runtime, "ResultsQueue")
