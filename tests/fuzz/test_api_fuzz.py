"""The schema fuzzer's bounded pass in `make test`: the local system, every operation, two
users, a fixed seed, and nothing found. `make fuzz` is the thorough run (tests/fuzz/driver.py);
tests/fuzz/test_driver.py shows this run can fail."""

import pytest

from attendry_local.postgres import scratch_database
from tests.fuzz.driver import FuzzSettings, fuzz_local_system

pytestmark = pytest.mark.integration

# About 80 s on a shared 2-core machine: every phase `make fuzz` runs, the coverage phase
# whole (every boundary the schema defines; it takes no bound) and five cases per operation
# in the fuzzing and stateful ones, where `make fuzz` takes a hundred.
BOUNDED = FuzzSettings(max_examples=5, seed=20261207, phases="coverage,fuzzing,stateful")


def test_every_operation_as_two_users_finds_nothing(database_server_url: str) -> None:
    with scratch_database(database_server_url, "attendry_fuzz") as database_url:
        result = fuzz_local_system(BOUNDED, database_url)

    assert result.operations > 30, result.summary()
    assert result.clean, result.summary() + "\n\n" + result.output[-20_000:]
