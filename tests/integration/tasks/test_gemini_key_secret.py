"""On AWS the Gemini key comes from Secrets Manager, read once when the worker starts."""

import boto3
import pytest

from attendry.drafting import OfflineDrafter, drafter_from_settings
from attendry.tasks.runtime import llm_settings_from_environment
from attendry.tasks.settings import TaskSettings
from tests.fixtures.agent_tasks import forget_cached_settings


@pytest.fixture
def no_key_in_env(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    forget_cached_settings()


def test_the_key_is_read_from_the_secret_when_the_environment_has_none(
    no_key_in_env: None,
) -> None:
    arn = boto3.client("secretsmanager").create_secret(
        Name="attendry/gemini-key-test", SecretString=" gm-secret-key \n"
    )["ARN"]

    settings = llm_settings_from_environment(TaskSettings(GEMINI_API_KEY_SECRET_ARN=arn))

    assert settings.gemini_api_key is not None
    assert settings.gemini_api_key.get_secret_value() == "gm-secret-key"
    assert not isinstance(drafter_from_settings(settings), OfflineDrafter)


def test_without_a_key_or_a_secret_the_offline_drafter_writes(no_key_in_env: None) -> None:
    settings = llm_settings_from_environment(TaskSettings())

    assert settings.gemini_api_key is None
    assert isinstance(drafter_from_settings(settings), OfflineDrafter)
