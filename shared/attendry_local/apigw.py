"""API Gateway HTTP API behaviour: route selection, the payload 2.0 event, the response.

Written against AWS's documentation of HTTP APIs so that a handler tested locally sees
what it will see deployed: the most specific route wins, headers arrive lower-cased and
comma-joined, cookies in their own list, a binary body base64-encoded, and a response
without a `statusCode` is inferred as JSON. What API Gateway answers itself (no route,
a refused token, a failed function) is its JSON `{"message": ...}`.
"""

import base64
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from attendry_local.topology import HttpRoute

ROUTED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
"""The methods a route key can name; `ANY` stands for these, so any other (TRACE, CONNECT,
an invented one) matches no route."""

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


class RouteTable:
    """Chooses the route for a request as API Gateway does: the most specific path first
    (literal, then `{param}`, then `{proxy+}`), an explicit method before ANY, `$default` last.
    """

    def __init__(self, routes: Sequence[HttpRoute]) -> None:
        self._routes = sorted(routes, key=_specificity)

    def match(self, method: str, path: str) -> RouteMatch | None:
        if method not in ROUTED_METHODS:
            return None
        segments = path.split("/")[1:]
        for route in self._routes:
            if route.method not in ("ANY", method):
                continue
            if route.path == "$default":
                return RouteMatch(route, {})
            parameters = _match_path(route.path.split("/")[1:], segments)
            if parameters is not None:
                return RouteMatch(route, parameters)
        return None


def _specificity(route: HttpRoute) -> tuple[int, list[int], int]:
    if route.path == "$default":
        return (1, [], 0)
    ranks = [
        2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0
        for segment in route.path.split("/")[1:]
    ]
    return (0, ranks, 1 if route.method == "ANY" else 0)


def _match_path(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or rest == [""]:
                return None
            parameters[part[1:-2]] = unquote("/".join(rest))
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[index]:
                return None
            parameters[part[1:-1]] = unquote(segments[index])
        elif part != segments[index]:
            return None
    return parameters if len(segments) == len(pattern) else None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    source_port: int
    request_id: str


def build_event(
    request: HttpRequest,
    match: RouteMatch,
    *,
    api_id: str,
    account_id: str,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends the route's function."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-port", str(request.source_port))
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", trace)
    now = datetime.now(UTC)
    request_context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": headers.get("host", "127.0.0.1"),
        "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if request.body:
        is_text = _is_text(headers.get("content-type", ""), request.body)
        event["body"] = (
            request.body.decode("utf-8") if is_text else base64.b64encode(request.body).decode()
        )
        event["isBase64Encoded"] = not is_text
    else:
        event["isBase64Encoded"] = False
    return event


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _is_text(content_type: str, body: bytes) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    textual = media_type.startswith(_TEXT_TYPES) or media_type.endswith(_TEXT_SUFFIXES)
    if not textual:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, payload: Any) -> HttpResponse:
    body = json.dumps(payload).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)


def gateway_response(
    status: int, message: str, headers: Sequence[tuple[str, str]] = ()
) -> HttpResponse:
    """An answer of API Gateway's own, byte for byte: `{"message":"Not Found"}`, compact,
    as application/json. When no route matches it is 404 Not Found ("Create routes for
    HTTP APIs in API Gateway", Routing API requests:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
    """
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", "application/json"), *headers], body)


def translate_response(payload: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a function's payload 2.0 return value."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        inferred = payload if isinstance(payload, str) else json.dumps(payload)
        return HttpResponse(200, [("content-type", "application/json")], inferred.encode())
    try:
        status = int(payload["statusCode"])
        headers = [
            (str(name), str(value)) for name, value in (payload.get("headers") or {}).items()
        ]
        headers.extend(("set-cookie", str(cookie)) for cookie in payload.get("cookies") or [])
        raw_body = payload.get("body")
        text = "" if raw_body is None else str(raw_body)
        body = base64.b64decode(text) if payload.get("isBase64Encoded") else text.encode()
    except (TypeError, ValueError, AttributeError):
        return gateway_response(500, "Internal Server Error")
    return HttpResponse(status, headers, body)
