"""The local-only control routes under `/_local/`, never deployed.

A registry, so each part of the local stand-in (schedules here; later the SES outbox,
inbound mail and SES events) adds its own routes without the HTTP server knowing them.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from attendry_local.apigw import HttpResponse, json_response

LOCAL_PREFIX = "/_local/"


class LocalRouteError(Exception):
    """Answered as `{"message": ...}` with its status (400 for a bad body, 404, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class LocalRequest:
    method: str
    path: str
    path_parameters: dict[str, str]
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON; an empty body is an empty object."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise LocalRouteError(400, f"The body is not JSON: {error}") from error


LocalHandler = Callable[[LocalRequest], HttpResponse]


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    handler: LocalHandler


class LocalRoutes:
    """`add("POST", "/_local/schedules/{name}/fire", handler)`; path parameters are one segment."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, path: str, handler: LocalHandler) -> None:
        if not path.startswith(LOCAL_PREFIX):
            raise ValueError(f"Local routes live under {LOCAL_PREFIX}: {path}")
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        self._routes.append(_Route(method.upper(), path, re.compile(f"^{pattern}$"), handler))

    def describe(self) -> list[str]:
        return [f"{route.method} {route.path}" for route in self._routes]

    def dispatch(self, request: LocalRequest) -> HttpResponse:
        path_matched = False
        for route in self._routes:
            found = route.pattern.match(request.path)
            if found is None:
                continue
            path_matched = True
            if route.method != request.method:
                continue
            parameters = {name: unquote(value) for name, value in found.groupdict().items()}
            try:
                return route.handler(replace(request, path_parameters=parameters))
            except LocalRouteError as error:
                return json_response(error.status, {"message": error.message})
        if path_matched:
            return json_response(405, {"message": "Method Not Allowed"})
        return json_response(404, {"message": "Not Found"})
