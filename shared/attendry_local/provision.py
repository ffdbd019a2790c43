"""Create the template's AWS resources in the stand-in, with the properties that matter.

Queues keep their visibility timeout, retention, FIFO settings and redrive policy (so a
poison message really reaches its dead-letter queue); topics keep their subscriptions;
buses and rules, buckets, SES identities, configuration sets, event destinations and
receipt rules, and secrets are created as CloudFormation would. A type not listed here
has no local stand-in and is only named (see `/_local/resources`). What already exists
(an earlier runtime in the same process) is kept, as a stack update would keep it.
"""

import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from attendry_local.aws import local_client
from attendry_local.stack import LocalStack

log = logging.getLogger(__name__)

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "SqsManagedSseEnabled",
)
_SUBSCRIPTION_ATTRIBUTES = ("RawMessageDelivery", "FilterPolicyScope")
_SUBSCRIPTION_JSON_ATTRIBUTES = ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy")
_TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")
_DELIVERABLE_TARGETS = ("AWS::SQS::Queue", "AWS::SNS::Topic")
_ALREADY_EXISTS = ("AlreadyExists", "ResourceExists", "AlreadyOwnedByYou")


class Provisioner:
    """Creates, in dependency order, every resource the stand-in can hold."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self._clients: dict[str, Any] = {}
        self._steps: list[tuple[str, Callable[[str], None]]] = [
            ("AWS::S3::Bucket", self._bucket),
            ("AWS::SQS::Queue", self._queue),
            ("AWS::SQS::Queue", self._queue_redrive),
            ("AWS::SNS::Topic", self._topic),
            ("AWS::SNS::Subscription", self._subscription),
            ("AWS::Events::EventBus", self._event_bus),
            ("AWS::Events::Rule", self._rule),
            ("AWS::SES::EmailIdentity", self._email_identity),
            ("AWS::SES::ConfigurationSet", self._configuration_set),
            ("AWS::SES::ConfigurationSetEventDestination", self._event_destination),
            ("AWS::SES::ReceiptRuleSet", self._receipt_rule_set),
            ("AWS::SES::ReceiptRule", self._receipt_rule),
        ]

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            addresses = self.stack.addresses
            self._clients[service] = local_client(service, addresses.aws_endpoint, addresses.region)
        return self._clients[service]

    def create_secrets(self) -> None:
        """First and on their own: the stand-in picks their ARNs, which functions'
        environments may need before the functions start."""
        for logical_id in self.stack.logical_ids("AWS::SecretsManager::Secret"):
            self._secret(logical_id)

    def create_resources(self) -> None:
        """Everything else, in dependency order."""
        for resource_type, create in self._steps:
            for logical_id in self.stack.logical_ids(resource_type):
                create(logical_id)

    def _bucket(self, logical_id: str) -> None:
        name = self.stack.resource(logical_id).name
        _unless_exists(self._client("s3").create_bucket, Bucket=name)

    def _queue(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        attributes = {
            name: _attribute(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties
        }
        name = self.stack.resource(logical_id).name
        self._client("sqs").create_queue(QueueName=name, Attributes=attributes)

    def _queue_redrive(self, logical_id: str) -> None:
        """After every queue exists, since a redrive policy names its dead-letter queue."""
        properties = self.stack.properties(logical_id)
        attributes = {
            name: json.dumps(properties[name])
            for name in ("RedrivePolicy", "RedriveAllowPolicy")
            if name in properties
        }
        if attributes:
            self._client("sqs").set_queue_attributes(
                QueueUrl=self.stack.resource(logical_id).url, Attributes=attributes
            )

    def _topic(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        attributes = {
            name: _attribute(properties[name])
            for name in ("FifoTopic", "ContentBasedDeduplication", "DisplayName")
            if name in properties
        }
        sns = self._client("sns")
        topic_arn = sns.create_topic(
            Name=self.stack.resource(logical_id).name, Attributes=attributes
        )["TopicArn"]
        for subscription in properties.get("Subscription") or []:
            _warn_if_undelivered(logical_id, subscription["Protocol"])
            sns.subscribe(
                TopicArn=topic_arn,
                Protocol=subscription["Protocol"],
                Endpoint=subscription["Endpoint"],
            )

    def _subscription(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        attributes = {
            name: _attribute(properties[name])
            for name in _SUBSCRIPTION_ATTRIBUTES
            if name in properties
        }
        attributes.update(
            {
                name: json.dumps(properties[name])
                for name in _SUBSCRIPTION_JSON_ATTRIBUTES
                if name in properties
            }
        )
        _warn_if_undelivered(logical_id, properties["Protocol"])
        self._client("sns").subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            Attributes=attributes,
        )

    def _event_bus(self, logical_id: str) -> None:
        name = self.stack.resource(logical_id).name
        _unless_exists(self._client("events").create_event_bus, Name=name)

    def _rule(self, logical_id: str) -> None:
        """Rules keep their targets that the stand-in delivers to (queues, topics);
        schedules reach functions through the local clock instead."""
        properties = self.stack.properties(logical_id)
        rule: dict[str, Any] = {"Name": self.stack.resource(logical_id).name}
        bus = properties.get("EventBusName")
        if bus:
            rule["EventBusName"] = str(bus).rsplit("/", 1)[-1]
        if "EventPattern" in properties:
            pattern = properties["EventPattern"]
            rule["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        for name in ("ScheduleExpression", "State", "Description"):
            if name in properties:
                rule[name] = properties[name]
        events = self._client("events")
        events.put_rule(**rule)
        targets = []
        for target in properties.get("Targets") or []:
            resource = self.stack.find_by_arn(str(target.get("Arn")))
            if resource is not None and resource.type in _DELIVERABLE_TARGETS:
                targets.append({key: target[key] for key in _TARGET_KEYS if key in target})
            elif "ScheduleExpression" not in properties:
                log.warning("%s: target %s is not delivered locally", logical_id, target.get("Arn"))
        if targets:
            bus_name = rule.get("EventBusName", "default")
            events.put_targets(Rule=rule["Name"], EventBusName=bus_name, Targets=targets)

    def _email_identity(self, logical_id: str) -> None:
        """Created and verified at once: the stand-in has no DNS or inbox to verify with."""
        identity = self.stack.resource(logical_id).name
        self._client("sesv2").create_email_identity(EmailIdentity=identity)
        ses = self._client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)

    def _configuration_set(self, logical_id: str) -> None:
        name = self.stack.resource(logical_id).name
        _unless_exists(self._client("sesv2").create_configuration_set, ConfigurationSetName=name)

    def _event_destination(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        destination = properties["EventDestination"]
        event_destination: dict[str, Any] = {
            "Name": destination.get("Name") or self.stack.resource(logical_id).name,
            "Enabled": destination.get("Enabled", True),
            "MatchingEventTypes": destination["MatchingEventTypes"],
        }
        sns_destination = destination.get("SnsDestination")
        if sns_destination:
            event_destination["SNSDestination"] = {"TopicARN": sns_destination["TopicARN"]}
        _unless_exists(
            self._client("ses").create_configuration_set_event_destination,
            ConfigurationSetName=properties["ConfigurationSetName"],
            EventDestination=event_destination,
        )

    def _receipt_rule_set(self, logical_id: str) -> None:
        name = self.stack.resource(logical_id).name
        _unless_exists(self._client("ses").create_receipt_rule_set, RuleSetName=name)

    def _receipt_rule(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        rule = {"Name": self.stack.resource(logical_id).name, **properties["Rule"]}
        request: dict[str, Any] = {"RuleSetName": properties["RuleSetName"], "Rule": rule}
        if "After" in properties:
            request["After"] = properties["After"]
        _unless_exists(self._client("ses").create_receipt_rule, **request)

    def _secret(self, logical_id: str) -> None:
        properties = self.stack.properties(logical_id)
        value = properties.get("SecretString")
        if value is None:
            value = _generated_secret(properties.get("GenerateSecretString") or {})
        secrets_manager = self._client("secretsmanager")
        name = self.stack.resource(logical_id).name
        created = _unless_exists(secrets_manager.create_secret, Name=name, SecretString=str(value))
        arn = created["ARN"] if created else secrets_manager.describe_secret(SecretId=name)["ARN"]
        self.stack.record_arn(logical_id, arn)


def _unless_exists(create: Callable[..., Any], **request: Any) -> Any:
    """`create(**request)`, or None when the resource is already there."""
    try:
        return create(**request)
    except ClientError as error:
        if any(marker in error.response["Error"]["Code"] for marker in _ALREADY_EXISTS):
            return None
        raise


def _warn_if_undelivered(logical_id: str, protocol: str) -> None:
    if protocol == "lambda":
        log.warning("%s: SNS deliveries to functions are not made locally", logical_id)


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _generated_secret(settings: dict[str, Any]) -> str:
    length = int(settings.get("PasswordLength", 32))
    excluded = set(str(settings.get("ExcludeCharacters", "")))
    password = "".join(
        character for character in secrets.token_urlsafe(length * 2) if character not in excluded
    )[:length]
    template = settings.get("SecretStringTemplate")
    key = settings.get("GenerateStringKey")
    if template and key:
        return json.dumps({**json.loads(template), key: password})
    return password
