"""Email settings: local defaults that work with no configuration, safe ones enforced elsewhere."""

import pytest
from pydantic import ValidationError

from attendry.email.settings import EmailSettings

ENV_NAMES = [
    "STAGE",
    "UNSUBSCRIBE_SECRET",
    "SENDER_DOMAIN",
    "FROM_ADDRESS",
    "REPLY_DOMAIN",
    "PUBLIC_BASE_URL",
    "SES_CONFIGURATION_SET",
    "UNSUBSCRIBE_MAILTO",
]
STRONG_SECRET = "k3J9x0-Qm2vR7tY8uI1oP4aS5dF6gH7jK8lZ"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_local_defaults() -> None:
    settings = EmailSettings()

    assert settings.stage == "local"
    assert settings.from_address == "outreach@attendry.example"
    assert settings.reply_domain == "reply.attendry.example"
    assert settings.public_base_url == "http://127.0.0.1:3000"
    assert settings.ses_configuration_set == "attendry-outreach"
    assert settings.unsubscribe_mailto_local_part == "unsubscribe"


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDER_DOMAIN", "Mail.Attendry.COM")
    monkeypatch.setenv("REPLY_DOMAIN", "in.attendry.com")
    monkeypatch.setenv("FROM_ADDRESS", "agents@Mail.Attendry.com")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://app.attendry.com/")
    monkeypatch.setenv("SES_CONFIGURATION_SET", "outreach-prod")
    monkeypatch.setenv("UNSUBSCRIBE_MAILTO", "stop")

    settings = EmailSettings()

    assert settings.sender_domain == "mail.attendry.com"
    assert settings.reply_domain == "in.attendry.com"
    assert settings.from_address == "agents@mail.attendry.com"
    assert settings.public_base_url == "https://app.attendry.com"
    assert settings.ses_configuration_set == "outreach-prod"
    assert settings.unsubscribe_mailto_local_part == "stop"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENDER_DOMAIN", "attendry.com\r\nBcc: x"),
        ("REPLY_DOMAIN", "not a domain"),
        ("FROM_ADDRESS", "Agents <agents@attendry.com>"),
        ("PUBLIC_BASE_URL", "ftp://attendry.com"),
        ("UNSUBSCRIBE_MAILTO", "un subscribe"),
    ],
)
def test_malformed_values_are_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        EmailSettings()


def test_a_deployed_stage_refuses_the_local_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://app.attendry.com")
    with pytest.raises(ValidationError, match="UNSUBSCRIBE_SECRET"):
        EmailSettings()

    monkeypatch.setenv("UNSUBSCRIBE_SECRET", "short")
    with pytest.raises(ValidationError, match="UNSUBSCRIBE_SECRET"):
        EmailSettings()


def test_a_deployed_stage_refuses_plain_http_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("UNSUBSCRIBE_SECRET", STRONG_SECRET)
    with pytest.raises(ValidationError, match="https"):
        EmailSettings()

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dev.attendry.com")
    assert EmailSettings().unsubscribe_secret.get_secret_value() == STRONG_SECRET


def test_the_secret_never_shows_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSUBSCRIBE_SECRET", STRONG_SECRET)
    assert STRONG_SECRET not in repr(EmailSettings())
