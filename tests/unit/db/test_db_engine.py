"""Where the engine connects, and how a deployed function signs in to RDS Proxy."""

from urllib.parse import parse_qs, urlsplit

import pytest

from attendry.core.config import DatabaseSettings
from attendry.db.engine import RdsAuthToken, database_url, normalize_url
from tests.fixtures.database import DATABASE_VARIABLES, rds_client


@pytest.fixture(autouse=True)
def no_database_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DATABASE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


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


def test_a_local_database_url_keeps_its_password() -> None:
    url = database_url(_settings(DATABASE_URL="postgresql://app:p%40ss@127.0.0.1:5432/attendry"))

    assert url.password == "p@ss"


def test_on_aws_the_url_goes_to_the_proxy_as_db_user_over_tls_without_a_password() -> None:
    # Given the variables a deployed function gets (no DATABASE_URL, no secret)
    settings = _settings(DB_HOST="proxy.internal", DB_USER="attendry", DB_NAME="attendry")

    # When the URL is built
    url = database_url(settings)

    # Then it names the proxy and the user, requires TLS, and holds no password at all
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.host, url.port, url.database) == (
        "attendry",
        "proxy.internal",
        5432,
        "attendry",
    )
    assert url.password is None
    assert url.query == {"sslmode": "require"}
    assert normalize_url(url.render_as_string(hide_password=False)) == url


@pytest.mark.parametrize(
    "values",
    [{}, {"DB_HOST": "proxy.internal"}, {"DB_USER": "attendry"}],
    ids=["nothing", "host-without-user", "user-without-host"],
)
def test_database_url_without_enough_settings_names_what_is_missing(
    values: dict[str, str],
) -> None:
    with pytest.raises(RuntimeError, match="DATABASE_URL, or DB_HOST and DB_USER"):
        database_url(_settings(**values))


def test_an_auth_token_is_a_signed_connect_request_for_that_proxy_and_user() -> None:
    # Given the token source a deployed function builds, on a real (offline) RDS client
    token_source = RdsAuthToken(
        "attendry.proxy-abc.eu-west-1.rds.amazonaws.com", 5432, "attendry", rds_client("eu-west-1")
    )

    # When it makes a token
    token = token_source()

    # Then the token is a SigV4 presigned `connect` for exactly that host, port and user,
    # scoped to rds-db in the function's region, and good for 15 minutes
    parts = urlsplit(f"https://{token}")
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert parts.netloc == "attendry.proxy-abc.eu-west-1.rds.amazonaws.com:5432"
    assert query["Action"] == "connect"
    assert query["DBUser"] == "attendry"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith("AKIAIOSFODNN7EXAMPLE/")
    assert query["X-Amz-Credential"].endswith("/eu-west-1/rds-db/aws4_request")
    assert query["X-Amz-Expires"] == "900"
    assert len(query["X-Amz-Signature"]) == 64
    assert "wJalrXUtnFEMI" not in token
