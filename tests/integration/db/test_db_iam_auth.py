"""A deployed function's engine signs in to RDS Proxy with a fresh IAM token per connection.

There is no RDS Proxy here: a listener behind the engine's own records what each new
connection would have sent the proxy, then opens that connection to the test server
instead, so the pool, the dialect and SQLAlchemy's connect events all run for real.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from sqlalchemy import Engine, event, text

from attendry.core.config import DatabaseSettings, database_settings
from attendry.db.engine import RdsAuthToken, create_database_engine, get_engine, normalize_url
from tests.fixtures.database import DATABASE_VARIABLES, rds_client

pytestmark = pytest.mark.integration

PROXY_HOST = "attendry-agents-dev.proxy-abc.eu-west-1.rds.amazonaws.com"


def open_on_test_server(engine: Engine, server_url: str) -> list[dict[str, Any]]:
    """Every connection `engine` opens goes to the test server; returns what each would
    have sent the proxy, in order."""
    sent: list[dict[str, Any]] = []
    server_args, server_params = engine.dialect.create_connect_args(normalize_url(server_url))

    @event.listens_for(engine, "do_connect")
    def _record_then_open(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        sent.append(dict(cparams))
        return dialect.connect(*server_args, **server_params)

    return sent


def token_query(token: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(f"https://{token}")
    return parts.netloc, {name: values[0] for name, values in parse_qs(parts.query).items()}


@pytest.fixture
def no_database_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment even when validated from a dict: keep the test
    database's DATABASE_URL out of them."""
    for name in DATABASE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_database_environment")
def test_each_new_connection_asks_for_a_token_of_its_own(database_server_url: str) -> None:
    # Given an engine configured as on AWS, whose token source records what it hands out
    made: list[str] = []
    signer = RdsAuthToken(PROXY_HOST, 5432, "attendry", rds_client("eu-west-1"))

    def token() -> str:
        made.append(signer())
        return made[-1]

    settings = DatabaseSettings.model_validate(
        {"DB_HOST": PROXY_HOST, "DB_USER": "attendry", "DB_NAME": "attendry"}
    )
    engine = create_database_engine(settings, auth_token=token, pool_size=2, max_overflow=0)
    sent = open_on_test_server(engine, database_server_url)
    try:
        # When the pool opens its two connections, loses one (as after a failover), and
        # then lends both again
        with engine.connect() as first, engine.connect() as second:
            first.execute(text("SELECT 1"))
            second.execute(text("SELECT 1"))
            second.invalidate()
        with engine.connect() as kept, engine.connect() as replacement:
            kept.execute(text("SELECT 1"))
            replacement.execute(text("SELECT 1"))

        # Then each of the three connections opened (the kept one is reused) asked for a
        # token as it opened, and sent it as its password, to the proxy as the user, over TLS
        assert len(made) == 3
        assert [params["password"] for params in sent] == made
        for params in sent:
            assert (params["host"], params["port"], params["user"], params["dbname"]) == (
                PROXY_HOST,
                5432,
                "attendry",
                "attendry",
            )
            assert params["sslmode"] == "require"
    finally:
        engine.dispose()


@pytest.fixture
def deployed_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The variables the template gives a function, and credentials of its role's shape."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in {
        "DB_HOST": PROXY_HOST,
        "DB_PORT": "5432",
        "DB_NAME": "attendry",
        "DB_USER": "attendry",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "session",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    # boto3's default session keeps the credentials it first found; Lambda's process has
    # only its role's, and so must this test.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    get_engine.cache_clear()
    database_settings.cache_clear()
    yield
    get_engine().dispose()
    get_engine.cache_clear()
    database_settings.cache_clear()


@pytest.mark.usefixtures("deployed_environment")
def test_the_process_engine_on_aws_signs_in_with_the_roles_token(database_server_url: str) -> None:
    # Given the process engine of a deployed function (no DATABASE_URL, no password)
    engine = get_engine()
    assert engine.url.password is None
    sent = open_on_test_server(engine, database_server_url)

    # When it opens a connection
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))

    # Then the password it sent is an IAM token its role signed for the proxy and user,
    # and no startup option the proxy would refuse went with it
    (params,) = sent
    netloc, query = token_query(params["password"])
    assert netloc == f"{PROXY_HOST}:5432"
    assert (query["Action"], query["DBUser"]) == ("connect", "attendry")
    assert query["X-Amz-Credential"].startswith("ASIAIOSFODNN7EXAMPLE/")
    assert query["X-Amz-Security-Token"] == "session"
    assert "options" not in params
