"""The worker's backoff and the idempotency hash: pure rules, checked over many inputs."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from attendry.platform.sqs import MAX_VISIBILITY_TIMEOUT_S
from attendry.tasks.runner import retry_delay_s
from attendry.tasks.schemas import DraftOutreachInput, DraftOutreachTask
from attendry.tasks.service import request_hash
from attendry.tasks.settings import TaskSettings

SETTINGS = TaskSettings(retry_base_delay_s=30, retry_max_delay_s=900)


@given(
    receive_count=st.integers(min_value=1, max_value=50),
    hint=st.none() | st.floats(min_value=0, max_value=100_000),
)
def test_retry_delay_grows_with_jitter_and_honours_the_hint(
    receive_count: int, hint: float | None
) -> None:
    ceiling = min(900, 30 * 2 ** (receive_count - 1))

    delay = retry_delay_s(receive_count, SETTINGS, hint)

    assert delay <= MAX_VISIBILITY_TIMEOUT_S
    if hint is None or hint <= ceiling / 2:
        assert ceiling / 2 <= delay <= ceiling
    else:
        assert delay >= min(hint, MAX_VISIBILITY_TIMEOUT_S)


def test_requests_equal_once_defaults_are_filled_hash_equal() -> None:
    agent_id, contact_id = uuid.uuid4(), uuid.uuid4()
    implicit = DraftOutreachTask.model_validate(
        {"task_type": "draft_outreach", "input": {"contact_id": str(contact_id)}}
    )
    explicit = DraftOutreachTask(
        task_type="draft_outreach",
        input=DraftOutreachInput(contact_id=contact_id, channel="email", instructions=None),
    )
    other = DraftOutreachTask(
        task_type="draft_outreach",
        input=DraftOutreachInput(contact_id=contact_id, instructions="x"),
    )

    assert request_hash(agent_id, implicit) == request_hash(agent_id, explicit)
    assert request_hash(agent_id, implicit) != request_hash(agent_id, other)
    assert request_hash(agent_id, implicit) != request_hash(uuid.uuid4(), implicit)
