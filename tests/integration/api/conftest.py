"""Call the API function as API Gateway does: a v2 payload event in, a response dict out."""

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.fixtures.functions import lambda_handler_of


@dataclass
class LambdaContext:
    function_name: str = "ApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id: str = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def _load_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return lambda_handler_of("api")


def http_event(
    method: str,
    path: str,
    *,
    user: str | None,
    body: Any = None,
    raw_body: str | None = None,
    binary_body: bytes | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`binary_body` arrives base64-encoded, as API Gateway sends bytes it cannot read as text."""
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    authorizer = (
        {"jwt": {"claims": {"sub": user, "token_use": "access"}, "scopes": None}} if user else None
    )
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "pytest",
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "ANY /{proxy+}",
        "stage": "$default",
        "time": "27/Nov/2026:08:00:00 +0000",
        "timeEpoch": 1795766400000,
    }
    if authorizer:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": context,
        "isBase64Encoded": binary_body is not None,
    }
    if binary_body is not None:
        text = base64.b64encode(binary_body).decode()
    if query:
        event["queryStringParameters"] = query
    if text is not None:
        event["body"] = text
    return event


@pytest.fixture(scope="session")
def api_handler(database_url: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return _load_handler()


@pytest.fixture
def call_api(
    api_handler: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> Callable[..., ApiResponse]:
    def call(method: str, path: str, *, user: str | None, **kwargs: Any) -> ApiResponse:
        result = api_handler(http_event(method, path, user=user, **kwargs), LambdaContext())
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return ApiResponse(result["statusCode"], headers, body)

    return call


@pytest.fixture
def alice() -> str:
    return f"alice-{uuid.uuid4()}"


@pytest.fixture
def bob() -> str:
    return f"bob-{uuid.uuid4()}"
