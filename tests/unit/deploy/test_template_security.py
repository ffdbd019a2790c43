"""template.yaml's security posture, the parts a reviewer asks for and checkov cannot see.

checkov (`make checkov`) checks properties one resource at a time; these check what spans
resources: no function can read the database password, the proxy only takes IAM sign-ins
as the user the functions' policy names.
"""

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from tests.fixtures.paths import TEMPLATE
from tests.fixtures.template import resources_of_type


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))
    return loaded


@pytest.fixture(scope="module")
def functions(template: dict[str, Any]) -> dict[str, Any]:
    return resources_of_type(template, "AWS::Serverless::Function")


def environment_of(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """The variables a function runs with: Globals', then its own."""
    inherited = template["Globals"]["Function"]["Environment"]["Variables"]
    own = function["Properties"].get("Environment", {}).get("Variables", {})
    return {**inherited, **own}


def mentions(value: Any, logical_id: str) -> bool:
    """Whether an intrinsic-laden value refers to `logical_id` (Ref, GetAtt or Sub)."""
    text = json.dumps(value)
    return (
        f'"Ref": "{logical_id}"' in text
        or f'"Fn::GetAtt": ["{logical_id}"' in text
        or f"${{{logical_id}}}" in text
        or f"${{{logical_id}." in text
    )


def test_no_function_environment_holds_the_database_password_or_its_secret(
    template: dict[str, Any], functions: dict[str, Any]
) -> None:
    for logical_id, function in functions.items():
        # Given the environment each function runs with
        environment = environment_of(template, function)

        # Then nothing in it is, resolves or points to the database secret
        for name, value in environment.items():
            assert not mentions(value, "DatabaseSecret"), f"{logical_id}: {name}"
            assert "PASSWORD" not in name.upper(), f"{logical_id}: {name}"
        assert "DATABASE_URL" not in environment, logical_id


def test_no_function_may_read_the_database_secret(functions: dict[str, Any]) -> None:
    for logical_id, function in functions.items():
        for policy in function["Properties"].get("Policies", []):
            assert not mentions(policy, "DatabaseSecret"), logical_id


def test_every_function_signs_in_with_iam_as_the_secrets_user(
    template: dict[str, Any], functions: dict[str, Any]
) -> None:
    # Given the database user of the proxy's secret
    resources = template["Resources"]
    secret_template = resources["DatabaseSecret"]["Properties"]["GenerateSecretString"]
    username = json.loads(secret_template["SecretStringTemplate"])["username"]

    # Then every function signs in as that user, allowed by the connect policy
    for logical_id, function in functions.items():
        assert environment_of(template, function)["DB_USER"] == username, logical_id
        assert {"Ref": "DatabaseConnectPolicy"} in function["Properties"]["Policies"], logical_id

    # And the policy allows exactly rds-db:connect as that user at this proxy
    (statement,) = resources["DatabaseConnectPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "rds-db:connect"
    arn, variables = statement["Resource"]["Fn::Sub"]
    assert arn.endswith(":dbuser:${ProxyId}/" + username)
    assert arn.startswith("arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:")
    # the proxy id is the seventh field of arn:aws:rds:<region>:<account>:db-proxy:prx-...
    assert variables["ProxyId"] == {
        "Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": ["DatabaseProxy", "DBProxyArn"]}]}]
    }


def test_the_proxy_takes_only_iam_sign_ins_over_tls(template: dict[str, Any]) -> None:
    proxy = template["Resources"]["DatabaseProxy"]["Properties"]

    assert proxy["RequireTLS"] is True
    assert [auth["IAMAuth"] for auth in proxy["Auth"]] == ["REQUIRED"]


def test_every_queue_sets_its_encryption_and_each_dead_letter_queue_matches_its_queue(
    template: dict[str, Any],
) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert queues

    for logical_id, queue in queues.items():
        # Then every queue says how it is encrypted (SSE-SQS), rather than leaving it to
        # the account's default
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True, logical_id
        assert "KmsMasterKeyId" not in properties, logical_id

        # And a queue's dead-letter queue keeps its messages the same way
        target = properties.get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if target:
            dead_letter = queues[target["Fn::GetAtt"][0]]["Properties"]
            assert dead_letter.get("SqsManagedSseEnabled") is True, logical_id


def key_statements(template: dict[str, Any], key: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = template["Resources"][key]["Properties"]["KeyPolicy"][
        "Statement"
    ]
    return statements


def services_allowed(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        statement["Principal"]["Service"]: statement
        for statement in statements
        if statement["Effect"] == "Allow" and "Service" in statement.get("Principal", {})
    }


def test_every_topic_is_encrypted_with_a_key_its_publishers_may_use(
    template: dict[str, Any],
) -> None:
    topics = resources_of_type(template, "AWS::SNS::Topic")
    services = services_allowed(key_statements(template, "MessagingKey"))

    # Then every topic uses the customer managed messaging key
    for logical_id, topic in topics.items():
        key = topic["Properties"]["KmsMasterKeyId"]
        assert key == {"Fn::GetAtt": ["MessagingKey", "Arn"]}, logical_id

    # And every service a topic policy lets publish, CloudWatch (the alarms) and SNS may
    # use the key to encrypt and read messages, for this account only
    publishers = {
        statement["Principal"]["Service"]
        for policy in resources_of_type(template, "AWS::SNS::TopicPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    }
    assert publishers == {"ses.amazonaws.com"}
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert set(services) == publishers | {"cloudwatch.amazonaws.com", "sns.amazonaws.com"}
    for service, statement in services.items():
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"], service
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }, service


@pytest.mark.parametrize("key", ["MessagingKey", "FunctionEnvironmentKey"])
def test_the_keys_rotate_and_only_the_account_administers_them(
    template: dict[str, Any], key: str
) -> None:
    assert template["Resources"][key]["Properties"]["EnableKeyRotation"] is True
    administrators = [s for s in key_statements(template, key) if s["Action"] == "kms:*"]
    assert [s["Principal"] for s in administrators] == [
        {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    ]
    for statement in key_statements(template, key):
        assert statement["Principal"] != "*", key


def test_every_function_environment_is_encrypted_with_the_functions_key(
    template: dict[str, Any], functions: dict[str, Any]
) -> None:
    assert template["Globals"]["Function"]["KmsKeyArn"] == {
        "Fn::GetAtt": ["FunctionEnvironmentKey", "Arn"]
    }
    for logical_id, function in functions.items():
        assert "KmsKeyArn" not in function["Properties"], logical_id


def test_the_inbound_mail_bucket_is_private_expires_mail_and_refuses_plain_http(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    bucket = resources["InboundMailBucket"]["Properties"]

    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert "ExpirationInDays" in rule

    statements = resources["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Principal"], deny["Action"]) == ("*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": ["InboundMailBucket", "Arn"]},
        {"Fn::Sub": "${InboundMailBucket.Arn}/*"},
    ]


# Each execution environment holds up to DB_POOL_SIZE connections to RDS Proxy.
DB_POOL_SIZE = 2
# What the caps below add up to; raising a cap is a decision about Aurora's connections,
# so it changes this number and README's table too.
MAX_PROXY_CONNECTIONS = 160


def concurrency_cap(function: dict[str, Any]) -> int | None:
    """Reserved concurrency, else the largest MaximumConcurrency of its SQS events (when
    every event of the function is an SQS one that has it)."""
    properties = function["Properties"]
    if "ReservedConcurrentExecutions" in properties:
        return int(properties["ReservedConcurrentExecutions"])
    events = properties.get("Events", {}).values()
    caps = [
        event["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency")
        for event in events
        if event["Type"] == "SQS"
    ]
    if not caps or None in caps or len(caps) != len(events):
        return None
    return max(int(cap) for cap in caps)


def test_every_function_is_capped_so_the_proxy_connections_stay_bounded(
    functions: dict[str, Any],
) -> None:
    caps = {logical_id: concurrency_cap(function) for logical_id, function in functions.items()}

    uncapped = sorted(name for name, cap in caps.items() if cap is None)
    assert not uncapped, f"no reserved or maximum concurrency: {uncapped}"
    assert sum(cap or 0 for cap in caps.values()) * DB_POOL_SIZE == MAX_PROXY_CONNECTIONS


def test_every_checkov_skip_says_why_in_one_line(template: dict[str, Any]) -> None:
    skips = [
        (logical_id, skip)
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips

    for logical_id, skip in skips:
        assert set(skip) == {"id", "comment"}, logical_id
        assert skip["id"].startswith(("CKV_AWS_", "CKV2_AWS_")), logical_id
        assert 20 <= len(skip["comment"]) <= 160, logical_id
        assert "\n" not in skip["comment"], logical_id
