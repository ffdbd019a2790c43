"""The runtime's own `/_local/` routes: what is running, tokens, schedules, invocations.

Registered like any other part's routes, through `runtime.local_routes`.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attendry_local.apigw import HttpResponse, json_response
from attendry_local.functions import FunctionNotFoundError
from attendry_local.local_routes import LocalRequest, LocalRouteError
from attendry_local.schedules import format_event_time

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime


def add_control_routes(runtime: "LocalRuntime") -> None:
    routes = ControlRoutes(runtime)
    runtime.local_routes.add("GET", "/_local/resources", routes.resources)
    runtime.local_routes.add("GET", "/_local/functions", routes.functions)
    runtime.local_routes.add("POST", "/_local/token", routes.token)
    runtime.local_routes.add("POST", "/_local/schedules/{name}/fire", routes.fire_schedule)
    runtime.local_routes.add("POST", "/_local/functions/{logical_id}/invoke", routes.invoke)


class ControlRoutes:
    def __init__(self, runtime: "LocalRuntime") -> None:
        self.runtime = runtime

    def resources(self, request: LocalRequest) -> HttpResponse:
        """Every resource of the template and its local identity, as `sam list resources`."""
        return json_response(
            200,
            {
                "api_url": self.runtime.api_url,
                "aws_endpoint": self.runtime.aws_endpoint,
                "resources": [resource.describe() for resource in self.runtime.resources()],
            },
        )

    def functions(self, request: LocalRequest) -> HttpResponse:
        pids = self.runtime.worker_pids()
        functions = [
            {
                "logical_id": function.logical_id,
                "name": function.name,
                "arn": function.arn,
                "handler": function.handler,
                "code_dir": str(function.code_dir),
                "timeout_s": function.timeout_s,
                "memory_mb": function.memory_mb,
                "pids": pids.get(function.logical_id, []),
            }
            for function in self.runtime.topology.functions.values()
        ]
        return json_response(200, {"functions": functions})

    def token(self, request: LocalRequest) -> HttpResponse:
        body = request.json()
        sub = body.get("sub") if isinstance(body, dict) else None
        if not isinstance(sub, str) or not sub:
            raise LocalRouteError(400, 'Give the user id as a non-empty string: {"sub": ...}')
        return json_response(200, {"token": self.runtime.make_token(sub)})

    def fire_schedule(self, request: LocalRequest) -> HttpResponse:
        """`{"time": ISO-8601}` (default now); a time without offset is UTC."""
        name = request.path_parameters["name"]
        try:
            schedule = self.runtime.schedule(name)
        except KeyError as error:
            raise LocalRouteError(404, f"No schedule named {name}") from error
        at = _requested_time(request.json())
        outcomes = self.runtime.firer.fire(schedule, at)
        return json_response(
            500 if any(outcome.error for outcome in outcomes) else 200,
            {
                "schedule": schedule.logical_id,
                "time": format_event_time(at),
                "targets": [outcome.describe() for outcome in outcomes],
            },
        )

    def invoke(self, request: LocalRequest) -> HttpResponse:
        """Invoke a function with the body as its event, as `sam local invoke` would."""
        logical_id = request.path_parameters["logical_id"]
        try:
            invocation = self.runtime.invoke(logical_id, request.json())
        except FunctionNotFoundError as error:
            raise LocalRouteError(404, f"No function named {logical_id}") from error
        if invocation.failed:
            return json_response(
                500, {"requestId": invocation.request_id, "error": invocation.error}
            )
        return json_response(
            200, {"requestId": invocation.request_id, "payload": invocation.payload}
        )


def _requested_time(body: Any) -> datetime:
    value = body.get("time") if isinstance(body, dict) else None
    if value is None:
        return datetime.now(UTC)
    if not isinstance(value, str):
        raise LocalRouteError(400, "time must be an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise LocalRouteError(400, f"time is not ISO-8601: {value}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
