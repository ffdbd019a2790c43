"""template.yaml's security posture, the parts a reviewer asks for and checkov cannot see.

checkov (`make checkov`) checks properties one resource at a time; these check what spans
resources: no function can read the database password, the proxy only takes IAM sign-ins
as the user the functions' policy names.
"""

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from tests.unit.test_template import TEMPLATE_PATH, resources_of_type


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
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
