"""Where the engine connects, and how its pool is shaped for Lambda behind RDS Proxy."""

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from attendry.config import DatabaseSettings
from attendry.db.engine import database_url, normalize_url


@pytest.fixture(autouse=True)
def no_database_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "DB_SECRET_ARN", "DB_HOST", "DB_PORT", "DB_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def secret_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name=f"db-{uuid.uuid4()}",
            SecretString=json.dumps(
                {"username": "app", "password": "p@ss:w/rd%", "host": "cluster.internal"}
            ),
        )
        yield secret["ARN"]


def _settings(**values: object) -> DatabaseSettings:
    return DatabaseSettings.model_validate(values)


@pytest.mark.parametrize(
    "given",
    ["postgresql://u@h:5432/db", "postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"],
)
def test_database_url_uses_psycopg3_whatever_the_scheme(given: str) -> None:
    url = database_url(_settings(DATABASE_URL=given))

    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.host, url.port, url.database) == ("u", "h", 5432, "db")


def test_database_url_from_the_secret_goes_to_the_proxy_over_tls(secret_arn: str) -> None:
    url = database_url(
        _settings(DB_SECRET_ARN=secret_arn, DB_HOST="proxy.internal", DB_NAME="attendry")
    )

    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password) == ("app", "p@ss:w/rd%")
    assert (url.host, url.port, url.database) == ("proxy.internal", 5432, "attendry")
    assert url.query == {"sslmode": "require"}
    assert normalize_url(url.render_as_string(hide_password=False)) == url


def test_database_url_falls_back_to_the_secrets_host(secret_arn: str) -> None:
    assert database_url(_settings(DB_SECRET_ARN=secret_arn)).host == "cluster.internal"


def test_database_url_without_any_setting_names_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        database_url(_settings())
