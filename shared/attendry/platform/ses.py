"""SES v2, thinly: send one raw email and say plainly how a failure should be treated.

It knows SES's error codes and nothing of drafts. Every failure comes back as one of
three exceptions, because the Sender's choice depends only on which one it is:

- `SesPermanentError`: SES answered and refused this message (or this account) for good;
  sending it again cannot succeed.
- `SesTransientError`: SES certainly did not accept the message (it answered with a
  throttle or server error, or the connection never opened); it is safe to try again.
- `SesOutcomeUnknownError`: the request may have reached SES and been accepted (the
  connection broke or timed out while waiting for the answer). Only SES's own `Send`
  event can tell; sending again blindly could put a second copy in an inbox.

SendEmail is not idempotent, so the client is built with botocore's retries turned off:
its default retry of a read timeout would be exactly such a blind second send.
"""

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import MessageTagTypeDef

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 20
TAG_VALUE_MAX_CHARS = 256

_TAG_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

# Refusals that no retry can change: the message, the sender identity, the configuration
# set or the whole account is refused.
PERMANENT_ERROR_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "NotFoundException",
        "BadRequestException",
    }
)
# Answers that mean "not now": throttling, the daily quota, SES's own failures.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


class SesSendError(Exception):
    """A send that did not end with a message id; `code` is SES's error code or our label."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SesPermanentError(SesSendError):
    """SES refused this message for good."""


class SesTransientError(SesSendError):
    """SES did not accept the message; trying again later is safe."""


class SesOutcomeUnknownError(SesSendError):
    """SES may have accepted the message: only its `Send` event can say."""


def tag_value(value: str) -> str:
    """`value` in the only characters SES allows in a message tag value.

    Any other character becomes `_`, so a user id such as `auth0|abc` still tags its
    email (as `auth0_abc`). That loses nothing the pipeline relies on: reconciliation
    keys on the sent id tag, a UUID, which passes through unchanged.
    """
    cleaned = _TAG_UNSAFE.sub("_", value)[:TAG_VALUE_MAX_CHARS]
    return cleaned or "_"


def message_tags(tags: Mapping[str, str]) -> "list[MessageTagTypeDef]":
    """SES EmailTags; names must already be valid (they are ours), values are cleaned."""
    result: list[MessageTagTypeDef] = []
    for name, value in tags.items():
        if not _TAG_CHARS.match(name):
            raise ValueError(f"{name!r} is not a valid SES message tag name")
        result.append({"Name": name, "Value": tag_value(value)})
    return result


@lru_cache(maxsize=1)
def default_sesv2_client() -> "SESV2Client":
    import boto3

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    return boto3.client("sesv2", config=config)


def _classify(error: ClientError) -> SesSendError:
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "Unknown")
    message = str(details.get("Message") or error)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in PERMANENT_ERROR_CODES:
        return SesPermanentError(code, message)
    if code in TRANSIENT_ERROR_CODES or status >= 500 or status == 429:
        return SesTransientError(code, message)
    # SES answered, so it did not accept the message; an unknown 4xx will not improve.
    return SesPermanentError(code, message)


class SesClient:
    """SES v2 SendEmail with raw content; `region` is the region that sends (and ids the mail)."""

    def __init__(self, client: "SESV2Client | None" = None) -> None:
        self._client = client

    @property
    def client(self) -> "SESV2Client":
        if self._client is None:
            self._client = default_sesv2_client()
        return self._client

    @property
    def region(self) -> str:
        return self.client.meta.region_name

    def send_raw(
        self,
        *,
        raw: bytes,
        from_address: str,
        to: str,
        configuration_set: str,
        tags: Mapping[str, str],
    ) -> str:
        """Send `raw` to `to` alone (headers cannot add recipients); SES's message id."""
        try:
            response = self.client.send_email(
                FromEmailAddress=from_address,
                Destination={"ToAddresses": [to]},
                Content={"Raw": {"Data": raw}},
                ConfigurationSetName=configuration_set,
                EmailTags=message_tags(tags),
            )
        except ClientError as error:
            raise _classify(error) from error
        except ParamValidationError as error:
            raise SesPermanentError(type(error).__name__, str(error)) from error
        except (EndpointConnectionError, ConnectTimeoutError, NoCredentialsError) as error:
            # The request never left this process or never reached SES.
            raise SesTransientError(type(error).__name__, str(error)) from error
        except (ReadTimeoutError, ConnectionClosedError) as error:
            raise SesOutcomeUnknownError(type(error).__name__, str(error)) from error
        except BotoCoreError as error:
            raise SesOutcomeUnknownError(type(error).__name__, str(error)) from error
        return response["MessageId"]
