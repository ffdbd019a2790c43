"""Each function reads its settings once, at cold start, and cannot start without them.

A queue URL missing from a function's environment fails its import, naming the variable,
instead of the first message that needs it; and the backoff every consumer uses stays
within its bounds.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from attendry.platform.queue import backoff_s
from attendry.platform.sqs import MAX_VISIBILITY_TIMEOUT_S
from attendry.sending.settings import account_safety_settings
from tests.fixtures.functions import load_function

REQUIRED = {
    "agent_tasks": ("AGENT_TASKS_QUEUE_URL", "AGENT_TASKS_DLQ_URL"),
    "email_sender": ("EMAIL_SEND_QUEUE_URL", "EMAIL_SEND_DLQ_URL"),
    "ses_events": ("SES_EVENTS_DLQ_URL",),
    "inbound_mail": ("INBOUND_MAIL_BUCKET", "INBOUND_MAIL_DLQ_URL"),
    "task_redrive": ("AGENT_TASKS_QUEUE_URL",),
    "email_send_redrive": ("EMAIL_SEND_QUEUE_URL",),
    "followup_sweep": ("AGENT_TASKS_QUEUE_URL",),
}
CASES = [(function, name) for function, names in REQUIRED.items() for name in names]


def set_all(monkeypatch: pytest.MonkeyPatch) -> None:
    for names in REQUIRED.values():
        for name in names:
            monkeypatch.setenv(name, f"https://sqs.example/{name.lower()}")


@pytest.mark.parametrize(("function", "missing"), CASES)
def test_a_missing_variable_fails_the_cold_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, function: str, missing: str
) -> None:
    set_all(monkeypatch)
    monkeypatch.delenv(missing)

    with pytest.raises(ValidationError) as failure:
        load_function(function)

    assert missing in str(failure.value)


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_with_its_environment_a_function_starts(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    set_all(monkeypatch)

    assert callable(load_function(function).lambda_handler)


def test_the_api_cold_start_refuses_an_invalid_setting_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCOUNT_SAFETY_MAX_BOUNCE_RATE", "2")
    account_safety_settings.cache_clear()
    try:
        with pytest.raises(ValidationError) as failure:
            load_function("api")
    finally:
        account_safety_settings.cache_clear()

    assert "ACCOUNT_SAFETY_MAX_BOUNCE_RATE" in str(failure.value)


@given(
    receive_count=st.integers(min_value=1, max_value=60),
    base=st.integers(min_value=1, max_value=120),
    ceiling=st.integers(min_value=1, max_value=50_000),
)
def test_the_backoff_is_jittered_over_the_upper_half_of_its_exponential_ceiling(
    receive_count: int, base: int, ceiling: int
) -> None:
    top = min(ceiling, base * 2 ** (receive_count - 1))

    delay = backoff_s(receive_count, base_s=base, max_s=ceiling)

    assert delay <= MAX_VISIBILITY_TIMEOUT_S
    assert min(top / 2, MAX_VISIBILITY_TIMEOUT_S) <= delay <= min(top + 1, MAX_VISIBILITY_TIMEOUT_S)
