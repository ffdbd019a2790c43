"""One local system per test module, wired exactly as `make dev` wires it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from attendry_local.runtime import LocalRuntime
from attendry_local.system import local_system

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def system(database_url: str) -> Iterator[LocalRuntime]:
    with local_system(
        TEMPLATE, database_url=database_url, api_port=0, aws_port=0, run_schedules=False
    ) as runtime:
        yield runtime
