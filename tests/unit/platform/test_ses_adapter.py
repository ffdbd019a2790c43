"""The SES adapter: which failures may be retried, and tags SES will accept."""

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber
from mypy_boto3_sesv2 import SESV2Client

from attendry.platform.ses import (
    SesClient,
    SesOutcomeUnknownError,
    SesPermanentError,
    SesSendError,
    SesTransientError,
    message_tags,
    tag_value,
)

SEND = {
    "raw": b"From: a@attendry.example\r\nTo: b@example.com\r\nSubject: x\r\n\r\nhi\r\n",
    "from_address": "a@attendry.example",
    "to": "b@example.com",
    "configuration_set": "outreach",
    "tags": {"sent_id": "0b8e4c1e-2f6a-4c57-9d3e-5a1b2c3d4e5f"},
}


def _client() -> SESV2Client:
    return boto3.client(
        "sesv2",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("MessageRejected", 400, SesPermanentError),
        ("MailFromDomainNotVerifiedException", 400, SesPermanentError),
        ("AccountSuspendedException", 400, SesPermanentError),
        ("SendingPausedException", 400, SesPermanentError),
        ("TooManyRequestsException", 429, SesTransientError),
        ("LimitExceededException", 400, SesTransientError),
        ("InternalFailure", 500, SesTransientError),
        ("SomethingNew", 503, SesTransientError),
        ("SomethingElse", 400, SesPermanentError),
    ],
)
def test_ses_answers_are_classified_by_whether_a_retry_can_help(
    code: str, status: int, expected: type[SesSendError]
) -> None:
    client = _client()
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code=code, http_status_code=status)

        with pytest.raises(expected) as raised:
            SesClient(client).send_raw(**SEND)  # type: ignore[arg-type]

    assert type(raised.value) is expected
    assert raised.value.code == code


def test_the_request_carries_raw_content_the_configuration_set_and_clean_tags() -> None:
    client = _client()
    with Stubber(client) as stubber:
        stubber.add_response(
            "send_email",
            {"MessageId": "0102018c-abc"},
            {
                "FromEmailAddress": SEND["from_address"],
                "Destination": {"ToAddresses": ["b@example.com"]},
                "Content": {"Raw": {"Data": SEND["raw"]}},
                "ConfigurationSetName": "outreach",
                "EmailTags": [
                    {"Name": "sent_id", "Value": "0b8e4c1e-2f6a-4c57-9d3e-5a1b2c3d4e5f"},
                    {"Name": "user_id", "Value": "auth0_abc_x_y"},
                ],
            },
        )

        message_id = SesClient(client).send_raw(
            raw=SEND["raw"],  # type: ignore[arg-type]
            from_address="a@attendry.example",
            to="b@example.com",
            configuration_set="outreach",
            tags={"sent_id": "0b8e4c1e-2f6a-4c57-9d3e-5a1b2c3d4e5f", "user_id": "auth0|abc@x.y"},
        )

    assert message_id == "0102018c-abc"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
            SesOutcomeUnknownError,
        ),
        (
            ConnectTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
            SesTransientError,
        ),
    ],
)
def test_a_broken_connection_is_unknown_but_one_never_opened_is_retryable(
    error: Exception, expected: type[SesSendError]
) -> None:
    class Failing:
        class meta:  # noqa: N801 - mirrors boto3's client.meta
            region_name = "eu-west-1"

        def send_email(self, **_: object) -> dict[str, str]:
            raise error

    with pytest.raises(expected):
        SesClient(Failing()).send_raw(**SEND)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("0b8e4c1e-2f6a-4c57-9d3e-5a1b2c3d4e5f", "0b8e4c1e-2f6a-4c57-9d3e-5a1b2c3d4e5f"),
        ("auth0|64f1c2", "auth0_64f1c2"),
        ("alice@example.com", "alice_example_com"),
        ("ünïcode sub", "_n_code_sub"),
        ("", "_"),
        ("x" * 300, "x" * 256),
    ],
)
def test_tag_values_keep_only_the_characters_ses_allows(value: str, cleaned: str) -> None:
    assert tag_value(value) == cleaned


def test_an_invalid_tag_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="tag name"):
        message_tags({"sent id": "x"})
