"""Clients for the AWS stand-in, with credentials that can never reach a real account."""

import threading
from functools import cache
from typing import Any

import boto3

# moto accepts any key; these are deliberately not real so a mistake cannot touch AWS.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105

# A boto3 session loads botocore's models once; clients are cheap after the first.
# Sessions are not thread-safe, clients are: creating them is serialised.
_client_lock = threading.Lock()


@cache
def local_session(region: str) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        aws_session_token=None,
        region_name=region,
    )


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client bound to the stand-in; typed loosely as callers use many services."""
    with _client_lock:
        return local_session(region).client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
