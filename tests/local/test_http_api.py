"""The HTTP API as a client sees it: API Gateway's routing, authorizer, event and response."""

import base64
import json
import time
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest

from attendry_local.auth import make_token
from attendry_local.runtime import LocalRuntime
from tests.fixtures.local_runtime import LEAK_CHECK_VARIABLE, Response, http

# The documented local secret is short on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

ISSUER = "https://issuer.example.com/"
AUDIENCE = "local-client"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def token(runtime: LocalRuntime) -> str:
    return runtime.make_token("user-1")


def echo(response: Response) -> dict[str, Any]:
    assert response.status == 200, response.body
    body: dict[str, Any] = response.json()
    return body


# Routing


@pytest.mark.parametrize(
    ("method", "path", "route_key", "path_parameters"),
    [
        ("GET", "/items/special", "GET /items/special", None),
        ("GET", "/items/42", "GET /items/{item_id}", {"item_id": "42"}),
        ("GET", "/items/42/notes", "ANY /{proxy+}", {"proxy": "items/42/notes"}),
        ("DELETE", "/items/42", "ANY /{proxy+}", {"proxy": "items/42"}),
        ("POST", "/agents", "ANY /{proxy+}", {"proxy": "agents"}),
    ],
)
def test_the_most_specific_route_wins(
    runtime: LocalRuntime,
    token: str,
    method: str,
    path: str,
    route_key: str,
    path_parameters: dict[str, str] | None,
) -> None:
    event = echo(http(method, runtime.api_url + path, headers=bearer(token)))["event"]

    assert event["routeKey"] == route_key
    assert event["requestContext"]["routeKey"] == route_key
    assert event.get("pathParameters") == path_parameters


def test_a_route_of_another_function_reaches_that_function(runtime: LocalRuntime) -> None:
    body = echo(http("PATCH", runtime.api_url + "/second/a/b"))

    assert body["event"]["routeKey"] == "ANY /second/{proxy+}"
    assert body["environment"]["AWS_LAMBDA_FUNCTION_NAME"] == "attendry-local-SecondEchoFunction"


def test_no_route_is_404_as_api_gateway_answers(runtime: LocalRuntime, token: str) -> None:
    response = http("GET", runtime.api_url + "/", headers=bearer(token))

    assert response.status == 404
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"message":"Not Found"}'


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "CONNECT", "PROPFIND", "BREW"])
@pytest.mark.parametrize("path", ["/items/1", "/health", "/second/a"])
def test_a_method_no_route_key_can_name_is_api_gateways_404(
    runtime: LocalRuntime, token: str, method: str, path: str
) -> None:
    # Given routes for GET and ANY on these paths; ANY stands for the methods a route
    # key can name (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), not for these
    response = http(method, runtime.api_url + path, headers=bearer(token))

    assert response.status == 404
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"message":"Not Found"}'
    assert response.header("apigw-requestid")


# The payload format 2.0 event


def test_the_event_is_api_gateways_payload_format_2(runtime: LocalRuntime) -> None:
    api = urlsplit(runtime.api_url)
    connection = HTTPConnection(api.hostname or "", api.port, timeout=30)
    body = json.dumps({"name": "Ada"})
    connection.putrequest("POST", "/second/things?tag=a&tag=b&empty=&q=x%20y")
    for name, value in [
        ("Content-Type", "application/json"),
        ("X-Repeated", "one"),
        ("X-Repeated", "two"),
        ("Cookie", "session=abc; theme=dark"),
        ("User-Agent", "local-tests/1.0"),
        ("Content-Length", str(len(body))),
    ]:
        connection.putheader(name, value)
    connection.endheaders(body.encode())
    event = json.loads(connection.getresponse().read())["event"]
    connection.close()

    assert event["version"] == "2.0"
    assert event["rawPath"] == "/second/things"
    assert event["rawQueryString"] == "tag=a&tag=b&empty=&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": "", "q": "x y"}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-repeated"] == "one,two"
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["pathParameters"] == {"proxy": "things"}
    assert event["body"] == body
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "httpapi"
    assert context["http"] == {
        "method": "POST",
        "path": "/second/things",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "local-tests/1.0",
    }
    assert isinstance(context["timeEpoch"], int)
    assert context["requestId"]
    assert "authorizer" not in context


def test_a_binary_body_arrives_base64_encoded(runtime: LocalRuntime) -> None:
    payload = bytes(range(256))

    event = echo(
        http(
            "PUT",
            runtime.api_url + "/second/upload",
            headers={"content-type": "application/octet-stream"},
            body=payload,
        )
    )["event"]

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_a_request_without_body_or_query_has_neither(runtime: LocalRuntime) -> None:
    event = echo(http("GET", runtime.api_url + "/health"))["event"]

    assert "body" not in event
    assert "queryStringParameters" not in event
    assert "pathParameters" not in event
    assert "cookies" not in event


# The JWT authorizer: the checks of "Control access to HTTP APIs with JWT authorizers",
# answered as "Troubleshooting issues with HTTP API JWT authorizers" shows


def signed(
    runtime: LocalRuntime,
    *,
    secret: str | None = None,
    algorithm: str = "HS256",
    without: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A token the app template's authorizer accepts, but for `claims` changed or `without`."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    for name in without:
        del payload[name]
    return jwt.encode(payload, secret or runtime.jwt_secret, algorithm=algorithm)


def claims_seen(response: Response) -> dict[str, str]:
    claims: dict[str, str] = echo(response)["event"]["requestContext"]["authorizer"]["jwt"][
        "claims"
    ]
    return claims


def test_a_good_token_passes_its_claims_as_api_gateway_does(runtime: LocalRuntime) -> None:
    token = make_token(
        "user-7",
        secret=runtime.jwt_secret,
        issuer=ISSUER,
        audience=[AUDIENCE],
        claims={"groups": ["admin", "ops"], "email_verified": True},
    )

    event = echo(http("GET", runtime.api_url + "/items/1", headers=bearer(token)))["event"]

    jwt_context = event["requestContext"]["authorizer"]["jwt"]
    claims = jwt_context["claims"]
    assert claims["sub"] == "user-7"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["groups"] == "[admin ops]"
    assert claims["email_verified"] == "true"
    assert claims["exp"].isdigit()
    assert jwt_context["scopes"] is None


def test_the_runtimes_token_is_made_for_the_templates_authorizer(
    runtime: LocalRuntime, token: str
) -> None:
    claims = claims_seen(http("GET", runtime.api_url + "/items/1", headers=bearer(token)))

    assert (claims["sub"], claims["iss"], claims["aud"]) == ("user-1", ISSUER, AUDIENCE)


def test_client_id_stands_for_the_audience_only_when_there_is_no_aud(
    runtime: LocalRuntime,
) -> None:
    # Given an access token (Cognito's kind: client_id, no aud) and one with both claims
    access_token = signed(runtime, without=("aud",), client_id=AUDIENCE)
    both = signed(runtime, aud="another-client", client_id=AUDIENCE)

    # When each is sent
    accepted = http("GET", runtime.api_url + "/items/1", headers=bearer(access_token))
    refused = http("GET", runtime.api_url + "/items/1", headers=bearer(both))

    # Then client_id counts only without aud: API Gateway evaluates aud when both are there
    assert claims_seen(accepted)["client_id"] == AUDIENCE
    assert refused.status == 401
    assert refused.header("www-authenticate") == (
        'Bearer scope="" error="invalid_token"'
        ' error_description="the token does not have a valid audience"'
    )


def test_a_request_without_a_token_is_401_without_a_challenge(runtime: LocalRuntime) -> None:
    response = http("GET", runtime.api_url + "/items/1")

    assert response.status == 401
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"message":"Unauthorized"}'
    assert response.header("www-authenticate") is None


@pytest.mark.parametrize(
    ("authorization", "description"),
    [
        pytest.param(
            lambda runtime: signed(runtime),
            "the token must be sent as Authorization: Bearer <jwt>",
            id="no-bearer-prefix",
        ),
        pytest.param(
            lambda runtime: "bearer " + signed(runtime),
            "the token must be sent as Authorization: Bearer <jwt>",
            id="lower-case-scheme",
        ),
        pytest.param(
            lambda runtime: "Basic dXNlcjpwYXNz",
            "the token must be sent as Authorization: Bearer <jwt>",
            id="another-scheme",
        ),
        pytest.param(
            lambda runtime: "Bearer not-a-jwt", "the token is not a valid JWT", id="malformed"
        ),
        pytest.param(lambda runtime: "Bearer ", "the token is not a valid JWT", id="empty"),
        pytest.param(
            lambda runtime: "Bearer  " + signed(runtime),
            "the token is not a valid JWT",
            id="two-spaces",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, secret="another-secret"),
            "the token does not have a valid signature",
            id="bad-signature",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, algorithm="HS512"),
            "the token is not signed with HS256",
            id="other-algorithm",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, iss="https://evil.example/"),
            "the token does not have a valid issuer",
            id="other-issuer",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, without=("iss",)),
            "the token does not have a valid issuer",
            id="no-issuer",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, aud="other-client"),
            "the token does not have a valid audience",
            id="other-audience",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, aud=["other-client", "another"]),
            "the token does not have a valid audience",
            id="other-audiences",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, without=("aud",)),
            "the token does not have a valid audience",
            id="no-audience",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, exp=int(time.time()) - 5),
            "the token has expired",
            id="expired",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, without=("exp",)),
            "the token does not have a valid exp claim",
            id="no-expiry",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, nbf=int(time.time()) + 600),
            "the token is not valid yet",
            id="not-before-in-the-future",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, iat=int(time.time()) + 600),
            "the token was issued in the future",
            id="issued-in-the-future",
        ),
        pytest.param(
            lambda runtime: "Bearer " + signed(runtime, iat="yesterday"),
            "the token does not have a valid iat claim",
            id="unreadable-issued-at",
        ),
    ],
)
def test_a_refused_token_is_401_with_api_gateways_challenge(
    runtime: LocalRuntime, authorization: Any, description: str
) -> None:
    response = http(
        "GET", runtime.api_url + "/items/1", headers={"authorization": authorization(runtime)}
    )

    assert response.status == 401
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"message":"Unauthorized"}'
    assert response.header("www-authenticate") == (
        f'Bearer scope="" error="invalid_token" error_description="{description}"'
    )


def test_an_unsigned_token_is_refused(runtime: LocalRuntime) -> None:
    now = int(time.time())
    unsigned = jwt.encode(
        {"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60},
        key="",
        algorithm="none",
    )

    response = http("GET", runtime.api_url + "/items/1", headers=bearer(unsigned))

    assert response.status == 401


def test_a_token_with_past_not_before_and_issued_at_is_accepted(runtime: LocalRuntime) -> None:
    now = int(time.time())
    token = signed(runtime, nbf=now - 60, iat=now - 60)

    assert claims_seen(http("GET", runtime.api_url + "/items/1", headers=bearer(token)))


@pytest.mark.parametrize(
    "scopes",
    [
        pytest.param({"scope": "profile items/read"}, id="scope"),
        pytest.param({"scp": ["items/admin"]}, id="scp-list"),
        pytest.param({"scp": "openid items/admin"}, id="scp-string"),
    ],
)
def test_a_token_with_one_of_the_routes_scopes_passes_them(
    runtime: LocalRuntime, scopes: dict[str, Any]
) -> None:
    token = signed(runtime, **scopes)

    event = echo(http("GET", runtime.api_url + "/scoped", headers=bearer(token)))["event"]

    token_scopes = next(iter(scopes.values()))
    expected = token_scopes.split() if isinstance(token_scopes, str) else token_scopes
    assert event["requestContext"]["authorizer"]["jwt"]["scopes"] == expected


@pytest.mark.parametrize(
    "claims",
    [pytest.param({}, id="no-scopes"), pytest.param({"scope": "profile openid"}, id="others")],
)
def test_a_token_without_the_routes_scopes_is_403(
    runtime: LocalRuntime, claims: dict[str, Any]
) -> None:
    token = signed(runtime, **claims)

    response = http("GET", runtime.api_url + "/scoped", headers=bearer(token))

    assert response.status == 403
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"message":"Forbidden"}'
    assert response.header("www-authenticate") == (
        'Bearer scope="items/read items/admin" error="insufficient_scope"'
        ' error_description="the token has none of the route\'s scopes"'
    )


def test_a_refused_token_on_a_scoped_route_names_the_routes_scopes(
    runtime: LocalRuntime,
) -> None:
    token = signed(runtime, scope="items/read", exp=int(time.time()) - 5)

    response = http("GET", runtime.api_url + "/scoped", headers=bearer(token))

    assert response.status == 401
    assert response.header("www-authenticate") == (
        'Bearer scope="items/read items/admin" error="invalid_token"'
        ' error_description="the token has expired"'
    )


def test_a_route_with_authorizer_none_needs_no_token(runtime: LocalRuntime) -> None:
    assert http("GET", runtime.api_url + "/health").status == 200


# Responses


def test_a_structured_response_keeps_status_headers_and_cookies(runtime: LocalRuntime) -> None:
    response = http("GET", runtime.api_url + "/health?mode=cookies")

    assert response.status == 201
    assert response.header("x-custom") == "1"
    assert response.headers["set-cookie"] == ["a=1", "b=2"]
    assert response.body == b"ok"
    assert response.header("apigw-requestid")


def test_a_dict_without_status_code_is_inferred_as_json(runtime: LocalRuntime) -> None:
    response = http("GET", runtime.api_url + "/health?mode=plain")

    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert response.json() == {"plain": True}


def test_a_string_response_is_the_body(runtime: LocalRuntime) -> None:
    response = http("GET", runtime.api_url + "/health?mode=string")

    assert (response.status, response.body) == (200, b"just a string")


def test_a_base64_response_is_decoded(runtime: LocalRuntime) -> None:
    assert http("GET", runtime.api_url + "/health?mode=binary").body == b"\x00\x01"


def test_a_handler_error_is_500_and_the_instance_stays_warm(runtime: LocalRuntime) -> None:
    before = echo(http("GET", runtime.api_url + "/health"))["cold_start_at"]

    response = http("GET", runtime.api_url + "/health?mode=raise")

    assert response.status == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert echo(http("GET", runtime.api_url + "/health"))["cold_start_at"] == before


def test_a_timed_out_invocation_is_killed_and_the_next_one_cold_starts(
    runtime: LocalRuntime,
) -> None:
    before = echo(http("GET", runtime.api_url + "/health"))["cold_start_at"]

    response = http("GET", runtime.api_url + "/health?mode=sleep")

    assert response.status == 500
    after = echo(http("GET", runtime.api_url + "/health"))
    assert after["cold_start_at"] > before
    assert after["invocations"] == 1


# What the function sees


def test_each_function_gets_exactly_its_own_environment(runtime: LocalRuntime) -> None:
    echo_env = echo(http("GET", runtime.api_url + "/health"))["environment"]
    second_env = echo(http("GET", runtime.api_url + "/second/x"))["environment"]

    assert echo_env["GREETING"] == "hello-from-echo"
    assert second_env["GREETING"] == "hello-from-second"
    assert "WORK_QUEUE_URL" not in second_env
    assert LEAK_CHECK_VARIABLE not in echo_env
    assert LEAK_CHECK_VARIABLE not in second_env


def test_template_values_resolve_to_the_local_stand_ins(runtime: LocalRuntime) -> None:
    env = echo(http("GET", runtime.api_url + "/health"))["environment"]
    aws = runtime.aws_endpoint

    assert env["WORK_QUEUE_URL"] == f"{aws}/123456789012/attendry-local-WorkQueue"
    assert env["WORK_QUEUE_ARN"] == "arn:aws:sqs:us-east-1:123456789012:attendry-local-WorkQueue"
    assert (
        env["EVENTS_TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:attendry-local-EventsTopic"
    )
    assert env["INBOX_BUCKET"] == "attendry-local-inboxbucket"
    assert env["SUBBED"] == "attendry-local:us-east-1:123456789012:attendry-local-WorkQueue"
    assert env["WHICH"] == "non-prod-value"
    assert "OMITTED" not in env
    assert env["API_ENDPOINT"] == runtime.api_url
    assert env["POWERTOOLS_SERVICE_NAME"] == "local-tests"
    assert env["STAGE"] == "local"
    assert env["AWS_ENDPOINT_URL"] == aws
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["DATABASE_URL"] == runtime.database_url
    assert "DB_HOST" not in env
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"


def test_the_handler_is_imported_as_lambda_imports_it(runtime: LocalRuntime) -> None:
    body = echo(http("GET", runtime.api_url + "/health"))
    code_dir = str(runtime.topology.functions["EchoFunction"].code_dir)

    assert body["cwd"] == code_dir
    assert body["environment"]["LAMBDA_TASK_ROOT"] == code_dir
    assert body["environment"]["_HANDLER"] == "app.lambda_handler"
    context = body["context"]
    assert context["function_name"] == "attendry-local-EchoFunction"
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:attendry-local-EchoFunction"
    )
    assert 0 < context["remaining_ms"] <= 2000
