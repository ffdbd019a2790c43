"""The template's resources in the AWS stand-in, and the `/_local/` control routes."""

import json
import uuid
from typing import Any

import jwt
import pytest

from attendry_local.apigw import json_response
from attendry_local.auth import DEFAULT_JWT_SECRET
from attendry_local.aws import local_client
from attendry_local.functions import DEFAULT_INSTANCES
from attendry_local.provision import Provisioner
from attendry_local.runtime import LocalRuntime
from tests.fixtures.local_runtime import QueueInbox, http, wait_until

# The documented local secret is short on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def client(runtime: LocalRuntime, service: str) -> Any:
    return local_client(service, runtime.aws_endpoint, "us-east-1")


def listed(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    response = http("GET", runtime.api_url + "/_local/resources")
    assert response.status == 200
    return {resource["logical_id"]: resource for resource in response.json()["resources"]}


def test_resources_lists_every_resource_with_its_local_identity(runtime: LocalRuntime) -> None:
    resources = listed(runtime)

    assert resources["WorkQueue"] == {
        "logical_id": "WorkQueue",
        "type": "AWS::SQS::Queue",
        "name": "attendry-local-WorkQueue",
        "arn": "arn:aws:sqs:us-east-1:123456789012:attendry-local-WorkQueue",
        "url": f"{runtime.aws_endpoint}/123456789012/attendry-local-WorkQueue",
        "emulated": True,
    }
    assert resources["HttpApi"]["url"] == runtime.api_url
    assert resources["EchoFunction"]["arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:attendry-local-EchoFunction"
    )
    assert resources["BatchFunctionWork"]["type"] == "AWS::Lambda::EventSourceMapping"
    assert resources["EchoFunctionRole"]["emulated"] is False
    assert "ProdOnlyQueue" not in resources


def test_queues_are_created_with_their_template_properties(runtime: LocalRuntime) -> None:
    sqs = client(runtime, "sqs")

    work = sqs.get_queue_attributes(
        QueueUrl=runtime.stack.resource("WorkQueue").url, AttributeNames=["All"]
    )["Attributes"]
    dead_letter = sqs.get_queue_attributes(
        QueueUrl=runtime.stack.resource("WorkDeadLetterQueue").url, AttributeNames=["All"]
    )["Attributes"]
    ordered = sqs.get_queue_attributes(
        QueueUrl=runtime.stack.resource("OrderedQueue").url, AttributeNames=["All"]
    )["Attributes"]

    assert work["VisibilityTimeout"] == "1"
    assert json.loads(work["RedrivePolicy"]) == {
        "deadLetterTargetArn": runtime.stack.resource("WorkDeadLetterQueue").arn,
        "maxReceiveCount": 3,
    }
    assert dead_letter["MessageRetentionPeriod"] == "1209600"
    assert ordered["FifoQueue"] == "true"
    assert ordered["ContentBasedDeduplication"] == "true"
    assert runtime.stack.resource("OrderedQueue").name == "attendry-local-OrderedQueue.fifo"


def test_a_topic_delivers_to_its_queue_subscription(
    runtime: LocalRuntime, results: QueueInbox
) -> None:
    marker = str(uuid.uuid4())

    client(runtime, "sns").publish(
        TopicArn=runtime.stack.resource("EventsTopic").arn, Message=marker
    )

    assert wait_until(lambda: results.bodies_containing(marker)) == [marker]


def test_a_bus_rule_delivers_matching_events_to_its_queue(
    runtime: LocalRuntime, results: QueueInbox
) -> None:
    marker = str(uuid.uuid4())
    bus = runtime.stack.resource("AgentBus").name

    client(runtime, "events").put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": "attendry.agents",
                "DetailType": "agent.message",
                "Detail": json.dumps({"marker": marker}),
            }
        ]
    )

    (body,) = wait_until(lambda: results.bodies_containing(marker))
    assert json.loads(body)["detail"] == {"marker": marker}


def test_email_resources_exist_and_the_identity_may_send(runtime: LocalRuntime) -> None:
    ses = client(runtime, "ses")
    configuration_set = runtime.stack.resource("EmailConfigurationSet").name

    destinations = ses.describe_configuration_set(
        ConfigurationSetName=configuration_set,
        ConfigurationSetAttributeNames=["eventDestinations"],
    )["EventDestinations"]
    sent = client(runtime, "sesv2").send_email(
        FromEmailAddress="agent@mail.example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}},
    )

    assert [destination["SNSDestination"]["TopicARN"] for destination in destinations] == [
        runtime.stack.resource("EventsTopic").arn
    ]
    assert sent["MessageId"]


def test_buckets_and_secrets_are_created(runtime: LocalRuntime) -> None:
    buckets = client(runtime, "s3").list_buckets()["Buckets"]
    secret_arn = runtime.stack.resource("GeminiSecret").arn

    secret = json.loads(
        client(runtime, "secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    )

    assert "attendry-local-inboxbucket" in [bucket["Name"] for bucket in buckets]
    assert secret["provider"] == "gemini"
    assert len(secret["api_key"]) == 24


def test_provisioning_again_keeps_what_exists(runtime: LocalRuntime) -> None:
    secret_arn = runtime.stack.resource("GeminiSecret").arn
    provisioner = Provisioner(runtime.stack)

    provisioner.create_secrets()
    provisioner.create_resources()

    assert runtime.stack.resource("GeminiSecret").arn == secret_arn
    subscriptions = client(runtime, "sns").list_subscriptions_by_topic(
        TopicArn=runtime.stack.resource("EventsTopic").arn
    )["Subscriptions"]
    assert len(subscriptions) == 1


def test_functions_lists_each_functions_instances(runtime: LocalRuntime) -> None:
    functions = http("GET", runtime.api_url + "/_local/functions").json()["functions"]

    assert {function["logical_id"] for function in functions} == {
        "EchoFunction",
        "SecondEchoFunction",
        "BatchFunction",
        "ScheduledFunction",
    }
    # one warm instance from the start, a second once two invocations overlapped
    assert all(1 <= len(function["pids"]) <= DEFAULT_INSTANCES for function in functions)
    assert all(isinstance(pid, int) for function in functions for pid in function["pids"])


def test_token_returns_a_token_the_authorizer_accepts(runtime: LocalRuntime) -> None:
    token = http("POST", runtime.api_url + "/_local/token", json_body={"sub": "alice"}).json()[
        "token"
    ]

    response = http(
        "GET", runtime.api_url + "/items/1", headers={"authorization": f"Bearer {token}"}
    )

    claims = response.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "alice"
    signed = jwt.decode(token, DEFAULT_JWT_SECRET, algorithms=["HS256"], audience="local-client")
    assert (signed["sub"], signed["iss"]) == ("alice", "https://issuer.example.com/")


@pytest.mark.parametrize("body", [{}, {"sub": ""}, {"sub": 7}, ["alice"]])
def test_token_needs_a_sub(runtime: LocalRuntime, body: Any) -> None:
    response = http("POST", runtime.api_url + "/_local/token", json_body=body)

    assert response.status == 400


def test_invoke_runs_a_function_with_any_event(runtime: LocalRuntime) -> None:
    response = http(
        "POST",
        runtime.api_url + "/_local/functions/ScheduledFunction/invoke",
        json_body={"hello": "there"},
    )

    assert response.status == 200
    assert response.json()["payload"] == {"received": {"hello": "there"}}


def test_unknown_local_routes_and_methods(runtime: LocalRuntime) -> None:
    assert http("GET", runtime.api_url + "/_local/nothing").status == 404
    assert http("GET", runtime.api_url + "/_local/token").status == 405
    assert http("POST", runtime.api_url + "/_local/functions/Nope/invoke", json_body={}).status == (
        404
    )


def test_other_parts_of_the_runtime_can_add_local_routes(runtime: LocalRuntime) -> None:
    runtime.local_routes.add(
        "GET",
        "/_local/echo/{word}",
        lambda request: json_response(200, {"word": request.path_parameters["word"]}),
    )

    assert http("GET", runtime.api_url + "/_local/echo/hello").json() == {"word": "hello"}
