"""template.yaml's delivery feedback: every SES event reaches the SES-events function."""

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from tests.fixtures.paths import TEMPLATE

ALL_EVENT_TYPES = {
    "send",
    "reject",
    "bounce",
    "complaint",
    "delivery",
    "open",
    "click",
    "renderingFailure",
    "deliveryDelay",
    "subscription",
}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    return dict(loaded["Resources"])


def test_the_configuration_set_publishes_every_event_type_to_the_topic(
    resources: dict[str, Any],
) -> None:
    destination = resources["OutreachEventsDestination"]["Properties"]

    assert destination["ConfigurationSetName"] == {"Ref": "OutreachConfigurationSet"}
    assert set(destination["EventDestination"]["MatchingEventTypes"]) == ALL_EVENT_TYPES
    assert destination["EventDestination"]["Enabled"] is True
    assert destination["EventDestination"]["SnsDestination"] == {
        "TopicARN": {"Ref": "SesEventsTopic"}
    }


def test_only_ses_for_this_configuration_set_may_publish_to_the_topic(
    resources: dict[str, Any],
) -> None:
    [statement] = resources["SesEventsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert "AWS:SourceArn" in statement["Condition"]["StringEquals"]
    assert "AWS:SourceAccount" in statement["Condition"]["StringEquals"]


def test_the_queue_gets_envelopes_from_the_topic_only(resources: dict[str, Any]) -> None:
    subscription = resources["SesEventsQueueSubscription"]["Properties"]
    [statement] = resources["SesEventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]

    # Envelopes keep the SNS message id, the key that makes an event count once
    assert subscription["RawMessageDelivery"] is False
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["SesEventsQueue", "Arn"]}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "SesEventsTopic"}}}


def test_the_function_reports_partial_failures_and_its_queue_outlasts_it(
    resources: dict[str, Any],
) -> None:
    function = resources["SesEventsFunction"]["Properties"]
    queue = resources["SesEventsQueue"]["Properties"]
    [event] = function["Events"].values()

    assert event["Type"] == "SQS"
    assert event["Properties"]["BatchSize"] == 10
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["VisibilityTimeout"] == 6 * function["Timeout"]
    assert function["Environment"]["Variables"]["SES_EVENTS_DLQ_URL"] == {
        "Ref": "SesEventsDeadLetterQueue"
    }


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("SesEventsDeadLetterAlarm", "ApproximateNumberOfMessagesVisible"),
        ("SesBounceRateAlarm", "Reputation.BounceRate"),
        ("SesComplaintRateAlarm", "Reputation.ComplaintRate"),
    ],
)
def test_alarms_reach_the_alarm_topic(resources: dict[str, Any], alarm: str, metric: str) -> None:
    properties = resources[alarm]["Properties"]

    assert properties["MetricName"] == metric
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
