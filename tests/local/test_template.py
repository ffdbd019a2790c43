"""Reading a template: short tags, the SAM transform, intrinsics and local identities."""

from pathlib import Path
from typing import Any

import pytest

from attendry_local.stack import LocalAddresses, LocalStack
from attendry_local.template import Template, TemplateError, load_template, read_template
from attendry_local.topology import read_topology
from tests.fixtures.local_runtime import APP_TEMPLATE

ADDRESSES = LocalAddresses(aws_endpoint="http://127.0.0.1:4566", api_url="http://127.0.0.1:3000")


def stack_of(tmp_path: Path, text: str, overrides: dict[str, Any] | None = None) -> LocalStack:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return LocalStack(read_template(path, ADDRESSES.pseudo_parameters()), ADDRESSES, overrides)


def test_short_tags_become_their_long_form(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Thing:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      A: !Ref Other\n"
        "      B: !GetAtt Other.Arn\n"
        "      C: !Sub '${Other}-x'\n"
        "      D: !Join [',', [!Ref Other, !Select [0, !Split ['-', a-b]]]]\n"
        "      E: !If [Cond, 1, !Ref AWS::NoValue]\n"
        "      F: !Equals [a, b]\n"
    )

    properties = load_template(path)["Resources"]["Thing"]["Properties"]

    assert properties == {
        "A": {"Ref": "Other"},
        "B": {"Fn::GetAtt": ["Other", "Arn"]},
        "C": {"Fn::Sub": "${Other}-x"},
        "D": {
            "Fn::Join": [
                ",",
                [{"Ref": "Other"}, {"Fn::Select": [0, {"Fn::Split": ["-", "a-b"]}]}],
            ]
        },
        "E": {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]},
        "F": {"Fn::Equals": ["a", "b"]},
    }


def test_the_sam_transform_expands_implicit_resources() -> None:
    template: Template = read_template(APP_TEMPLATE, ADDRESSES.pseudo_parameters())

    types = {logical_id: resource["Type"] for logical_id, resource in template.resources.items()}

    assert types["EchoFunction"] == "AWS::Lambda::Function"
    assert types["BatchFunctionWork"] == "AWS::Lambda::EventSourceMapping"
    assert types["ScheduledFunctionNightly"] == "AWS::Events::Rule"
    assert types["ScheduledFunctionWeekday"] == "AWS::Scheduler::Schedule"
    assert types["HttpApi"] == "AWS::ApiGatewayV2::Api"


def test_intrinsics_resolve_against_parameters_conditions_and_resources(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        """
Parameters:
  Stage: {Type: String, Default: dev}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes: {dev: {memory: "256"}}
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  NotDev: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Or [!Condition NotDev, !Equals [1, 1]]]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Holder:
    Type: AWS::SQS::Queue
    Properties:
      Url: !Ref Queue
      Name: !GetAtt Queue.QueueName
      Sub: !Sub "${AWS::StackName}/${Stage}/${Queue.Arn}/${!Literal}"
      SubWithVariables: !Sub ["${x}-${Stage}", {x: !Select [1, !Ref Names]}]
      Joined: !Join ["+", !Ref Names]
      Memory: !FindInMap [Sizes, !Ref Stage, memory]
      Chosen: !If [Both, picked, not-picked]
      Dropped: !If [NotDev, kept, !Ref AWS::NoValue]
      List: [a, !Ref AWS::NoValue, b]
""",
    )

    assert stack.properties("Holder") == {
        "Url": "http://127.0.0.1:4566/123456789012/attendry-local-Queue",
        "Name": "attendry-local-Queue",
        "Sub": (
            "attendry-local/dev/arn:aws:sqs:us-east-1:123456789012:attendry-local-Queue/${Literal}"
        ),
        "SubWithVariables": "b-dev",
        "Joined": "a+b+c",
        "Memory": "256",
        "Chosen": "picked",
        "List": ["a", "b"],
    }


def test_a_parameter_override_wins_over_the_default(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        """
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
  Always: {Type: AWS::SQS::Queue}
""",
        overrides={"Stage": "prod"},
    )

    assert stack.logical_ids("AWS::SQS::Queue") == ["ProdOnly", "Always"]


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        """
Parameters:
  Needed: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {Tag: !Ref Needed}
""",
    )

    with pytest.raises(TemplateError, match="Needed"):
        stack.properties("Queue")


def test_an_unsupported_intrinsic_is_named(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {Tag: !ImportValue shared-thing}
""",
    )

    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        stack.properties("Queue")


def test_the_topology_is_read_from_the_translated_template() -> None:
    stack = LocalStack(read_template(APP_TEMPLATE, ADDRESSES.pseudo_parameters()), ADDRESSES)

    topology = read_topology(stack)

    echo = topology.functions["EchoFunction"]
    assert (echo.handler, echo.timeout_s, echo.memory_mb) == ("app.lambda_handler", 2, 256)
    assert echo.code_dir == APP_TEMPLATE.parent / "functions" / "echo"
    assert topology.functions["BatchFunction"].timeout_s == 5
    routes = {route.route_key: route for route in topology.routes}
    assert routes["GET /health"].authorizer is None
    authorizer = routes["GET /items/{item_id}"].authorizer
    assert authorizer is not None
    assert (authorizer.issuer, authorizer.audience) == (
        "https://issuer.example.com/",
        ("local-client",),
    )
    (mapping,) = topology.queue_mappings
    assert (mapping.function_id, mapping.queue_id, mapping.batch_size) == (
        "BatchFunction",
        "WorkQueue",
        10,
    )
    assert mapping.report_batch_item_failures is True
    assert mapping.maximum_concurrency == 3
    names = {schedule.logical_id: schedule.names for schedule in topology.schedules}
    assert names["ScheduledFunctionNightly"] == (
        "ScheduledFunctionNightly",
        "nightly-pass",
        "Nightly",
    )


@pytest.mark.parametrize(
    "jwt_configuration",
    [
        pytest.param("{audience: [client]}", id="no-issuer"),
        pytest.param("{issuer: https://issuer.example.com/}", id="no-audience"),
    ],
)
def test_a_jwt_authorizer_needs_an_issuer_and_an_audience(
    tmp_path: Path, jwt_configuration: str
) -> None:
    # API Gateway refuses to create such an authorizer, so it never starts locally either
    stack = stack_of(
        tmp_path,
        f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {jwt_configuration}
  Function:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Handler: app.lambda_handler
      Runtime: python3.12
      Events:
        Item:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /items, Method: GET}}
""",
    )

    with pytest.raises(TemplateError, match="JWT authorizer Jwt needs an issuer and an audience"):
        read_topology(stack)
