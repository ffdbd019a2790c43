"""One local system per test module, wired exactly as `make dev` wires it."""

from collections.abc import Iterator

import pytest

from attendry_local.runtime import LocalRuntime
from attendry_local.system import local_system
from tests.fixtures.paths import TEMPLATE


@pytest.fixture(scope="module")
def system(database_url: str) -> Iterator[LocalRuntime]:
    with local_system(
        TEMPLATE, database_url=database_url, api_port=0, aws_port=0, run_schedules=False
    ) as runtime:
        yield runtime
