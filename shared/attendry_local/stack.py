"""The template's resources as a local stack: each one's name, ARN and URL on this machine.

Names carry the logical id (`attendry-local-AgentTasksQueue`) so whatever a developer sees
in the AWS stand-in, a log line or `/_local/resources` leads straight back to the
template. Identities are computed, not discovered, so a function's environment can be
resolved before anything is created; the few that the stand-in decides (secret ARNs) are
recorded once provisioning returns them.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from attendry_local.intrinsics import IntrinsicResolver
from attendry_local.template import Template, TemplateError

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_STACK_NAME = "attendry-local"


@dataclass(frozen=True)
class LocalAddresses:
    """Where the stand-ins listen and which account and region they pretend to be."""

    aws_endpoint: str
    api_url: str
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    stack_name: str = DEFAULT_STACK_NAME

    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/"
                f"{self.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }


@dataclass
class LocalResource:
    """One resource of the template and what it is called locally."""

    logical_id: str
    type: str
    name: str
    ref: Any
    arn: str | None = None
    url: str | None = None
    emulated: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "type": self.type,
            "name": self.name,
            "arn": self.arn,
            "url": self.url,
            "emulated": self.emulated,
        }


class LocalStack:
    """Resolves the translated template against local identities."""

    def __init__(
        self,
        template: Template,
        addresses: LocalAddresses,
        parameter_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.addresses = addresses
        self.resolver = IntrinsicResolver(
            template=template.cfn,
            pseudo_parameters=addresses.pseudo_parameters(),
            parameter_overrides=dict(parameter_overrides or {}),
            resources=self,
        )
        self._identities: dict[str, LocalResource] = {}

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def is_active(self, logical_id: str) -> bool:
        """False when the resource's Condition leaves it out of this stack."""
        condition = self.template.resources[logical_id].get("Condition")
        return condition is None or self.resolver.condition(str(condition))

    def logical_ids(self, resource_type: str | None = None) -> list[str]:
        return [
            logical_id
            for logical_id, resource in self.template.resources.items()
            if (resource_type is None or resource.get("Type") == resource_type)
            and self.is_active(logical_id)
        ]

    def raw_properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.template.resources[logical_id].get("Properties") or {}
        return properties

    def properties(self, logical_id: str) -> dict[str, Any]:
        resolved: dict[str, Any] = self.resolve(self.raw_properties(logical_id))
        return resolved

    def resource(self, logical_id: str) -> LocalResource:
        if logical_id not in self.template.resources:
            raise TemplateError(f"Unknown resource {logical_id}")
        if logical_id not in self._identities:
            resource_type = str(self.template.resources[logical_id].get("Type"))
            build = _IDENTITIES.get(resource_type, _generic)
            self._identities[logical_id] = build(self, logical_id, resource_type)
        return self._identities[logical_id]

    def resources(self) -> list[LocalResource]:
        return [self.resource(logical_id) for logical_id in self.logical_ids()]

    def find_by_arn(self, arn: str) -> LocalResource | None:
        return next((item for item in self.resources() if item.arn == arn), None)

    def record_arn(self, logical_id: str, arn: str) -> None:
        """The stand-in chose the ARN (Secrets Manager adds a random suffix)."""
        resource = self.resource(logical_id)
        resource.arn = arn
        resource.attributes["Arn"] = arn
        if isinstance(resource.ref, str) and resource.ref.startswith("arn:"):
            resource.ref = arn

    def ref(self, logical_id: str) -> Any:
        return self.resource(logical_id).ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resource(logical_id)
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        if attribute == "Arn" and resource.arn:
            return resource.arn
        return f"{resource.name}.{attribute}"

    def physical_name(self, logical_id: str) -> str:
        return f"{self.addresses.stack_name}-{logical_id}"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.addresses.region if regional else ""
        return f"arn:aws:{service}:{region}:{self.addresses.account_id}:{resource}"

    def flag(self, logical_id: str, name: str) -> bool:
        value = self.resolve(self.raw_properties(logical_id).get(name, False))
        return value is True or str(value).lower() == "true"


_Builder = Callable[[LocalStack, str, str], LocalResource]


def _queue(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    suffix = ".fifo" if stack.flag(logical_id, "FifoQueue") else ""
    name = stack.physical_name(logical_id) + suffix
    arn = stack.arn("sqs", name)
    url = f"{stack.addresses.aws_endpoint}/{stack.addresses.account_id}/{name}"
    attributes = {"Arn": arn, "QueueName": name, "QueueUrl": url}
    return LocalResource(
        logical_id, kind, name=name, ref=url, arn=arn, url=url, emulated=True, attributes=attributes
    )


def _topic(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    suffix = ".fifo" if stack.flag(logical_id, "FifoTopic") else ""
    name = stack.physical_name(logical_id) + suffix
    arn = stack.arn("sns", name)
    attributes = {"TopicArn": arn, "TopicName": name}
    return LocalResource(
        logical_id, kind, name=name, ref=arn, arn=arn, emulated=True, attributes=attributes
    )


def _subscription(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    topic_arn = stack.resolve(stack.raw_properties(logical_id).get("TopicArn"))
    arn = f"{topic_arn}:{logical_id}"
    return LocalResource(logical_id, kind, name=logical_id, ref=arn, arn=arn, emulated=True)


def _event_bus(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    arn = stack.arn("events", f"event-bus/{name}")
    return LocalResource(
        logical_id, kind, name=name, ref=name, arn=arn, emulated=True, attributes={"Name": name}
    )


def _rule(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    bus = stack.resolve(stack.raw_properties(logical_id).get("EventBusName", "default"))
    bus_name = str(bus).rsplit("/", 1)[-1]
    path = f"rule/{name}" if bus_name == "default" else f"rule/{bus_name}/{name}"
    return LocalResource(
        logical_id, kind, name=name, ref=name, arn=stack.arn("events", path), emulated=True
    )


def _schedule(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    group = stack.resolve(stack.raw_properties(logical_id).get("GroupName", "default"))
    arn = stack.arn("scheduler", f"schedule/{group}/{name}")
    return LocalResource(logical_id, kind, name=name, ref=name, arn=arn, emulated=True)


def _bucket(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id).lower()
    arn = f"arn:aws:s3:::{name}"
    attributes = {
        "Arn": arn,
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{stack.addresses.region}.amazonaws.com",
    }
    url = f"{stack.addresses.aws_endpoint}/{name}"
    return LocalResource(
        logical_id,
        kind,
        name=name,
        ref=name,
        arn=arn,
        url=url,
        emulated=True,
        attributes=attributes,
    )


def _email_identity(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = str(stack.resolve(stack.raw_properties(logical_id)["EmailIdentity"]))
    arn = stack.arn("ses", f"identity/{name}")
    return LocalResource(logical_id, kind, name=name, ref=name, arn=arn, emulated=True)


def _ses_named(prefix: str) -> _Builder:
    def build(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
        name = stack.physical_name(logical_id)
        arn = stack.arn("ses", f"{prefix}/{name}") if prefix else None
        return LocalResource(logical_id, kind, name=name, ref=name, arn=arn, emulated=True)

    return build


def _secret(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    arn = stack.arn("secretsmanager", f"secret:{name}")
    return LocalResource(logical_id, kind, name=name, ref=arn, arn=arn, emulated=True)


def _function(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    arn = stack.arn("lambda", f"function:{name}")
    return LocalResource(logical_id, kind, name=name, ref=name, arn=arn, emulated=True)


def _event_source_mapping(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    return LocalResource(logical_id, kind, name=logical_id, ref=logical_id, emulated=True)


def _http_api(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    api_id = logical_id.lower()
    served = "Body" in stack.raw_properties(logical_id)
    url = stack.addresses.api_url if served else None
    attributes = {"ApiId": api_id, "ApiEndpoint": url or f"wss://{api_id}.local"}
    return LocalResource(
        logical_id, kind, name=api_id, ref=api_id, url=url, emulated=served, attributes=attributes
    )


def _role(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    arn = stack.arn("iam", f"role/{name}", regional=False)
    return LocalResource(
        logical_id, kind, name=name, ref=name, arn=arn, emulated=False, attributes={"RoleId": name}
    )


def _user_pool(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    region = stack.addresses.region
    pool_id = f"{region}_{logical_id}"
    provider = f"cognito-idp.{region}.amazonaws.com/{pool_id}"
    arn = stack.arn("cognito-idp", f"userpool/{pool_id}")
    attributes = {
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
        "UserPoolId": pool_id,
    }
    return LocalResource(
        logical_id, kind, name=pool_id, ref=pool_id, arn=arn, emulated=False, attributes=attributes
    )


def _database(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    """No RDS locally: functions get DATABASE_URL instead, these values only keep resolving."""
    name = stack.physical_name(logical_id).lower()
    attributes = {
        "Endpoint": "127.0.0.1",
        "Endpoint.Address": "127.0.0.1",
        "Endpoint.Port": "5432",
        "ReadEndpoint.Address": "127.0.0.1",
    }
    arn = stack.arn("rds", f"{kind.rsplit('::', 1)[-1].lower()}:{name}")
    return LocalResource(
        logical_id, kind, name=name, ref=name, arn=arn, emulated=False, attributes=attributes
    )


def _generic(stack: LocalStack, logical_id: str, kind: str) -> LocalResource:
    name = stack.physical_name(logical_id)
    _, service, resource = [*kind.split("::"), "", ""][:3]
    arn = stack.arn(service.lower(), f"{resource.lower()}/{name}")
    return LocalResource(logical_id, kind, name=name, ref=name, arn=arn, emulated=False)


_IDENTITIES: dict[str, _Builder] = {
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::S3::Bucket": _bucket,
    "AWS::SES::EmailIdentity": _email_identity,
    "AWS::SES::ConfigurationSet": _ses_named("configuration-set"),
    "AWS::SES::ConfigurationSetEventDestination": _ses_named(""),
    "AWS::SES::ReceiptRuleSet": _ses_named("receipt-rule-set"),
    "AWS::SES::ReceiptRule": _ses_named(""),
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::IAM::Role": _role,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::RDS::DBCluster": _database,
    "AWS::RDS::DBInstance": _database,
    "AWS::RDS::DBProxy": _database,
}
