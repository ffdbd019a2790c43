"""Guards on template.yaml that cfn-lint cannot know about.

cfn-lint checks that the template is valid CloudFormation/SAM; these tests check that it
still matches the repository and the team's conventions (code and sample events per
function, python3.12 on arm64, a dead-letter queue behind every queue, public routes
that really are public), and that the SAM transform itself accepts it, since cfn-lint
validates SAM resources against schemas without running the transform.
"""

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model
from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

from attendry.db.migrate import head
from tests.fixtures.paths import ROOT, TEMPLATE
from tests.fixtures.template import resources_of_type

PUBLIC_API_PATHS = {"/health", "/openapi.json", "/docs", "/webhooks/ses", "/unsubscribe/{token}"}
CONTRACT_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_NAMESPACE",
    "STAGE",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    return loaded


def http_api_events(function: dict[str, Any]) -> dict[str, dict[str, Any]]:
    events = function["Properties"].get("Events", {})
    return {
        name: event["Properties"] for name, event in events.items() if event["Type"] == "HttpApi"
    }


def defines_top_level(source: str, name: str) -> bool:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return True
    return False


def test_every_function_has_its_code_and_handler(template: dict[str, Any]) -> None:
    # Given every function of the template
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert functions, "template.yaml declares no AWS::Serverless::Function"

    for logical_id, function in functions.items():
        # When its CodeUri and Handler are resolved as Lambda would
        code_uri = ROOT / function["Properties"]["CodeUri"]
        module, _, handler_name = function["Properties"]["Handler"].rpartition(".")
        module_file = code_uri / (module.replace(".", "/") + ".py")

        # Then the module exists and defines the handler at top level
        assert code_uri.is_dir(), f"{logical_id}: CodeUri {code_uri} is not a directory"
        assert module_file.is_file(), (
            f"{logical_id}: {module_file.relative_to(ROOT)} does not exist yet; "
            f"every function needs its handler module (functions/<name>/app.py)"
        )
        assert defines_top_level(module_file.read_text(encoding="utf-8"), handler_name), (
            f"{logical_id}: {module_file.relative_to(ROOT)} defines no `{handler_name}`"
        )


def test_every_function_has_sample_events(template: dict[str, Any]) -> None:
    # Given every function of the template
    for logical_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        # When its sample event folder is looked up (events/<CodeUri basename>/)
        folder = ROOT / "events" / Path(function["Properties"]["CodeUri"]).name

        # Then it holds at least one JSON event for `sam local invoke -e`
        assert sorted(folder.glob("*.json")), f"{logical_id}: no sample event in {folder}"


def test_functions_run_python312_on_arm64(template: dict[str, Any]) -> None:
    # Given the function Globals
    function_globals = template["Globals"]["Function"]

    # Then every function gets python3.12 on arm64, and none overrides it differently
    assert function_globals["Runtime"] == "python3.12"
    assert function_globals["Architectures"] == ["arm64"]
    for logical_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        assert properties.get("Runtime", "python3.12") == "python3.12", logical_id
        assert properties.get("Architectures", ["arm64"]) == ["arm64"], logical_id


def test_functions_get_the_contract_environment(template: dict[str, Any]) -> None:
    # Given the environment every function inherits from Globals
    variables = template["Globals"]["Function"]["Environment"]["Variables"]

    # Then it carries every variable the shared package reads on AWS
    missing = CONTRACT_ENVIRONMENT - variables.keys()
    assert not missing, f"Globals.Function.Environment lacks {sorted(missing)}"


def dead_letter_target(queue: dict[str, Any]) -> str | None:
    """The logical id a queue redrives to, when it names a queue of this template."""
    redrive = queue.get("Properties", {}).get("RedrivePolicy", {})
    target = redrive.get("deadLetterTargetArn", {})
    if isinstance(target, dict) and "Fn::GetAtt" in target and target["Fn::GetAtt"][1] == "Arn":
        return str(target["Fn::GetAtt"][0])
    return None


def test_every_queue_but_a_dead_letter_queue_has_a_redrive_policy(
    template: dict[str, Any],
) -> None:
    # Given the template's queues and the ones other queues use as dead-letter queues
    queues = resources_of_type(template, "AWS::SQS::Queue")
    dead_letter_queues = {dead_letter_target(queue) for queue in queues.values()}

    for logical_id, queue in queues.items():
        if logical_id in dead_letter_queues or logical_id.endswith(("Dlq", "DLQ")):
            continue
        # Then every other queue redrives, after a bounded number of receives, to a
        # dead-letter queue of this template
        target = dead_letter_target(queue)
        assert target in queues, f"{logical_id} has no RedrivePolicy to a queue of the template"
        max_receive_count = queue["Properties"]["RedrivePolicy"].get("maxReceiveCount")
        assert max_receive_count is not None, f"{logical_id} redrive lacks maxReceiveCount"
        assert int(max_receive_count) >= 1, logical_id


def test_public_routes_skip_the_authorizer_and_the_rest_need_a_jwt(
    template: dict[str, Any],
) -> None:
    # Given the API function's HTTP API routes and the API's default authorizer
    api = template["Resources"]["HttpApi"]["Properties"]
    routes = http_api_events(template["Resources"]["ApiFunction"])
    by_path = {route["Path"]: route for route in routes.values()}

    # Then /health, /openapi.json and /docs are public
    missing = PUBLIC_API_PATHS - by_path.keys()
    assert not missing, f"ApiFunction has no route for {sorted(missing)}"
    for path in PUBLIC_API_PATHS:
        assert by_path[path].get("Auth", {}).get("Authorizer") == "NONE", path

    # And everything else goes through the JWT authorizer
    assert api["Auth"]["DefaultAuthorizer"] == "JwtAuthorizer"
    assert "JwtAuthorizer" in api["Auth"]["Authorizers"]
    for path, route in by_path.items():
        if path not in PUBLIC_API_PATHS:
            authorizer = route.get("Auth", {}).get("Authorizer", "JwtAuthorizer")
            assert authorizer == "JwtAuthorizer", path


def test_api_sample_events_are_http_api_v2_events_for_declared_routes(
    template: dict[str, Any],
) -> None:
    # Given the route keys the template gives the API function
    routes = http_api_events(template["Resources"]["ApiFunction"]).values()
    route_keys = {f"{route['Method'].upper()} {route['Path']}" for route in routes}

    for path in sorted((ROOT / "events" / "api").glob("*.json")):
        # When a sample event is parsed as API Gateway would send it
        event = APIGatewayProxyEventV2Model.model_validate_json(path.read_text(encoding="utf-8"))

        # Then it is a payload v2 event for one of those routes
        assert event.version == "2.0", path.name
        assert event.routeKey in route_keys, path.name
        assert event.requestContext.routeKey == event.routeKey, path.name


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({}, id="cognito-user-pool"),
        pytest.param(
            {"JwtIssuer": "https://issuer.example.com/", "JwtAudience": "attendry-web"},
            id="external-issuer",
        ),
    ],
)
def test_sam_transform_accepts_the_template(
    template: dict[str, Any], parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the template as `sam package` would upload it (local code replaced by S3 URIs)
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://attendry-artifacts/code.zip"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    # When the SAM transform turns it into CloudFormation
    class BundledPoliciesOnly:
        def load(self) -> dict[str, str]:
            return {}

    resources = transform(packaged, parameters, BundledPoliciesOnly())["Resources"]

    # Then the HTTP API's OpenAPI body keeps the public routes public and the rest behind JWT
    paths = resources["HttpApi"]["Properties"]["Body"]["paths"]
    for path in PUBLIC_API_PATHS:
        for method, operation in paths[path].items():
            assert operation["security"] == [{"NONE": []}], f"{method.upper()} {path}"
    proxy = paths["/{proxy+}"]["x-amazon-apigateway-any-method"]
    assert proxy["security"] == [{"JwtAuthorizer": []}]
    assert resources["ApiFunction"]["Properties"]["Architectures"] == ["arm64"]


def test_the_schema_step_names_the_newest_migration(template: dict[str, Any]) -> None:
    """A deploy that ships a migration must change DatabaseMigrations, or it would not run."""
    properties = template["Resources"]["DatabaseMigrations"]["Properties"]

    assert properties["SchemaRevision"] == head()


def test_every_function_but_the_schema_step_waits_for_the_schema(
    template: dict[str, Any],
) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")

    waiting = {name for name, f in functions.items() if f.get("DependsOn") == "DatabaseMigrations"}

    assert waiting == set(functions) - {"MigrationsFunction"}
