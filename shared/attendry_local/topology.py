"""What the local runtime has to run, read from the translated template.

Functions, the HTTP API's routes and authorizers, SQS event source mappings and
schedules: each found where the SAM transform put it, so local wiring and deployed
wiring come from the same resources.
"""

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attendry_local.stack import LocalStack
from attendry_local.template import LOCAL_CODE_BUCKET, TemplateError

log = logging.getLogger(__name__)

LAMBDA_DEFAULT_TIMEOUT_S = 3
LAMBDA_DEFAULT_MEMORY_MB = 128
SQS_DEFAULT_BATCH_SIZE = 10

_FUNCTION_ARN_IN_URI = re.compile(r"functions/(arn:aws:lambda:[^/]+)/invocations")


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any]  # as the template writes it; resolved once resources exist


@dataclass(frozen=True)
class JwtAuthorizerDef:
    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_header: str = "authorization"  # identitySource: $request.header.<name>


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # as in the template: /agents/{id}, /{proxy+}, or $default
    function_id: str
    authorizer: JwtAuthorizerDef | None
    scopes: tuple[str, ...]

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueMapping:
    logical_id: str
    function_id: str
    queue_id: str
    queue_arn: str
    queue_url: str
    batch_size: int
    report_batch_item_failures: bool
    maximum_concurrency: int | None  # ScalingConfig: the instances the mapping may keep busy


@dataclass(frozen=True)
class ScheduleTarget:
    kind: str  # "function" or "queue"
    logical_id: str
    input: str | None


@dataclass(frozen=True)
class ScheduleDef:
    logical_id: str
    names: tuple[str, ...]  # the logical id, the rule's Name, the SAM event's name
    expression: str
    timezone: str | None
    enabled: bool
    source: str  # "events" (a rule) or "scheduler" (EventBridge Scheduler)
    arn: str
    targets: tuple[ScheduleTarget, ...]


@dataclass(frozen=True)
class Topology:
    functions: dict[str, FunctionDef]
    routes: tuple[HttpRoute, ...]
    queue_mappings: tuple[QueueMapping, ...]
    schedules: tuple[ScheduleDef, ...]

    @property
    def token_authorizer(self) -> JwtAuthorizerDef | None:
        """The authorizer local tokens are made for: the first one a route uses."""
        return next((route.authorizer for route in self.routes if route.authorizer), None)


def read_topology(stack: LocalStack) -> Topology:
    functions = {
        logical_id: _function(stack, logical_id)
        for logical_id in stack.logical_ids("AWS::Lambda::Function")
    }
    return Topology(
        functions=functions,
        routes=tuple(_routes(stack)),
        queue_mappings=tuple(_queue_mappings(stack, functions)),
        schedules=tuple(_schedules(stack)),
    )


def _function(stack: LocalStack, logical_id: str) -> FunctionDef:
    properties = stack.raw_properties(logical_id)
    code = stack.resolve(properties.get("Code") or {})
    if code.get("S3Bucket") != LOCAL_CODE_BUCKET:
        raise TemplateError(f"{logical_id}: only local CodeUri folders can run locally")
    runtime = str(stack.resolve(properties.get("Runtime", "python3.12")))
    if not runtime.startswith("python"):
        raise TemplateError(f"{logical_id}: only Python functions run locally ({runtime})")
    resource = stack.resource(logical_id)
    return FunctionDef(
        logical_id=logical_id,
        name=resource.name,
        arn=str(resource.arn),
        code_dir=(stack.template.root / str(code["S3Key"])).resolve(),
        handler=str(stack.resolve(properties["Handler"])),
        runtime=runtime,
        timeout_s=int(stack.resolve(properties.get("Timeout", LAMBDA_DEFAULT_TIMEOUT_S))),
        memory_mb=int(stack.resolve(properties.get("MemorySize", LAMBDA_DEFAULT_MEMORY_MB))),
        environment=dict((properties.get("Environment") or {}).get("Variables") or {}),
    )


def _function_id_by_arn(stack: LocalStack, arn: str) -> str | None:
    resource = stack.find_by_arn(arn)
    return resource.logical_id if resource and resource.type == "AWS::Lambda::Function" else None


def _function_id_by_name(functions: dict[str, FunctionDef], name: str) -> str | None:
    return next(
        (
            function.logical_id
            for function in functions.values()
            if name in (function.name, function.arn, function.logical_id)
        ),
        None,
    )


def _routes(stack: LocalStack) -> list[HttpRoute]:
    for rest_api in stack.logical_ids("AWS::ApiGateway::RestApi"):
        log.warning("%s: REST APIs are not served locally, only HTTP APIs", rest_api)
    routes: list[HttpRoute] = []
    for api_id in stack.logical_ids("AWS::ApiGatewayV2::Api"):
        body = stack.raw_properties(api_id).get("Body")
        if not isinstance(body, dict):
            continue
        schemes = (body.get("components") or {}).get("securitySchemes") or {}
        for path, operations in (body.get("paths") or {}).items():
            for method, operation in operations.items():
                route = _route(stack, api_id, path, method, operation, schemes)
                if route is not None:
                    routes.append(route)
    return routes


def _route(
    stack: LocalStack,
    api_id: str,
    path: str,
    method: str,
    operation: dict[str, Any],
    schemes: dict[str, Any],
) -> HttpRoute | None:
    integration = operation.get("x-amazon-apigateway-integration")
    if not isinstance(integration, dict):
        return None
    where = f"{api_id} {method.upper()} {path}"
    if str(integration.get("payloadFormatVersion", "2.0")) != "2.0":
        raise TemplateError(f"{where}: only payload format 2.0 runs locally")
    match = _FUNCTION_ARN_IN_URI.search(str(stack.resolve(integration.get("uri"))))
    function_id = _function_id_by_arn(stack, match.group(1)) if match else None
    if function_id is None:
        raise TemplateError(f"{where}: the integration is not a function of this template")
    authorizer, scopes = _route_security(stack, where, operation.get("security") or [], schemes)
    route_method = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
    return HttpRoute(route_method, path, function_id, authorizer, scopes)


def _route_security(
    stack: LocalStack, where: str, security: list[dict[str, Any]], schemes: dict[str, Any]
) -> tuple[JwtAuthorizerDef | None, tuple[str, ...]]:
    for requirement in security:
        for name, scopes in requirement.items():
            if name == "NONE":
                return None, ()
            config = (schemes.get(name) or {}).get("x-amazon-apigateway-authorizer") or {}
            if config.get("type") != "jwt":
                raise TemplateError(f"{where}: only JWT authorizers are emulated ({name})")
            jwt_config = stack.resolve(config.get("jwtConfiguration") or {})
            issuer = jwt_config.get("issuer")
            listed = jwt_config.get("audience") or []
            audience = tuple(
                str(entry) for entry in (listed if isinstance(listed, list) else [listed]) if entry
            )
            if not issuer or not audience:
                # API Gateway refuses such an authorizer too: both are required for JWT.
                raise TemplateError(
                    f"{where}: JWT authorizer {name} needs an issuer and an audience"
                )
            source = str(config.get("identitySource") or "$request.header.Authorization")
            authorizer = JwtAuthorizerDef(
                name=name,
                issuer=str(issuer),
                audience=audience,
                identity_header=source.removeprefix("$request.header.").lower(),
            )
            return authorizer, tuple(scopes or ())
    return None, ()


def _queue_mappings(stack: LocalStack, functions: dict[str, FunctionDef]) -> list[QueueMapping]:
    mappings: list[QueueMapping] = []
    for logical_id in stack.logical_ids("AWS::Lambda::EventSourceMapping"):
        properties = stack.properties(logical_id)
        queue = stack.find_by_arn(str(properties.get("EventSourceArn")))
        if queue is None or queue.type != "AWS::SQS::Queue":
            log.warning("%s: only SQS event sources run locally; skipped", logical_id)
            continue
        if str(properties.get("Enabled", True)).lower() == "false":
            continue
        function_id = _function_id_by_name(functions, str(properties.get("FunctionName")))
        if function_id is None:
            raise TemplateError(f"{logical_id}: FunctionName is not a function of this template")
        if properties.get("FilterCriteria"):
            log.warning("%s: FilterCriteria are not applied locally", logical_id)
        mappings.append(
            QueueMapping(
                logical_id=logical_id,
                function_id=function_id,
                queue_id=queue.logical_id,
                queue_arn=str(queue.arn),
                queue_url=str(queue.url),
                batch_size=int(properties.get("BatchSize", SQS_DEFAULT_BATCH_SIZE)),
                report_batch_item_failures="ReportBatchItemFailures"
                in (properties.get("FunctionResponseTypes") or []),
                maximum_concurrency=_maximum_concurrency(properties),
            )
        )
    return mappings


def _maximum_concurrency(properties: dict[str, Any]) -> int | None:
    value = (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
    return int(value) if value is not None else None


def _sam_event_names(stack: LocalStack) -> dict[str, str]:
    """Rule logical id -> the name of the SAM event that produced it (`Function` + `Event`)."""
    names: dict[str, str] = {}
    for function_id, resource in stack.template.sam["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        events = (resource.get("Properties") or {}).get("Events") or {}
        for event_name, event in events.items():
            if isinstance(event, dict) and event.get("Type") in ("Schedule", "ScheduleV2"):
                names[f"{function_id}{event_name}"] = event_name
    return names


def _schedules(stack: LocalStack) -> list[ScheduleDef]:
    event_names = _sam_event_names(stack)
    schedules: list[ScheduleDef] = []
    for logical_id in stack.logical_ids("AWS::Events::Rule") + stack.logical_ids(
        "AWS::Scheduler::Schedule"
    ):
        properties = stack.properties(logical_id)
        expression = properties.get("ScheduleExpression")
        if not expression:
            continue
        is_rule = stack.resource(logical_id).type == "AWS::Events::Rule"
        raw_targets = (properties.get("Targets") or []) if is_rule else [properties["Target"]]
        targets = tuple(
            target
            for target in (_schedule_target(stack, logical_id, raw) for raw in raw_targets)
            if target is not None
        )
        names = [logical_id, str(properties.get("Name") or ""), event_names.get(logical_id, "")]
        enabled = str(properties.get("State", "ENABLED")).upper() == "ENABLED"
        schedules.append(
            ScheduleDef(
                logical_id=logical_id,
                names=tuple(dict.fromkeys(name for name in names if name)),
                expression=str(expression),
                timezone=properties.get("ScheduleExpressionTimezone"),
                enabled=enabled,
                source="events" if is_rule else "scheduler",
                arn=str(stack.resource(logical_id).arn),
                targets=targets,
            )
        )
    return schedules


def _schedule_target(
    stack: LocalStack, schedule_id: str, target: dict[str, Any]
) -> ScheduleTarget | None:
    resource = stack.find_by_arn(str(target.get("Arn")))
    raw_input = target.get("Input")
    text = raw_input if raw_input is None or isinstance(raw_input, str) else json.dumps(raw_input)
    if resource is not None and resource.type == "AWS::Lambda::Function":
        return ScheduleTarget("function", resource.logical_id, text)
    if resource is not None and resource.type == "AWS::SQS::Queue":
        return ScheduleTarget("queue", resource.logical_id, text)
    log.warning("%s: target %s is not a function or queue; skipped", schedule_id, target.get("Arn"))
    return None
