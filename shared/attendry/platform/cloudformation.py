"""Answering a CloudFormation custom resource: one JSON PUT to the pre-signed S3 URL of the
request. Until that answer arrives the stack waits (an hour, by default), so every path of
a custom resource's handler must end here, failure included.

From inside the VPC the URL is reached through the S3 gateway endpoint (no NAT needed).
"""

import json
import urllib.request
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

ANSWER_TIMEOUT_S = 10.0


class RequestType(StrEnum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


class CustomResourceRequest(BaseModel):
    """The fields of a custom resource request an answer needs (others are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    request_type: RequestType = Field(alias="RequestType")
    response_url: str = Field(alias="ResponseURL")
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    logical_resource_id: str = Field(alias="LogicalResourceId")


def answer(
    request: CustomResourceRequest,
    *,
    success: bool,
    physical_resource_id: str,
    reason: str = "",
    data: dict[str, str] | None = None,
) -> None:
    body = json.dumps(
        {
            "Status": "SUCCESS" if success else "FAILED",
            # CloudFormation shows the reason in the stack's events; it caps it at 4 KB.
            "Reason": reason[:3_500],
            "PhysicalResourceId": physical_resource_id,
            "StackId": request.stack_id,
            "RequestId": request.request_id,
            "LogicalResourceId": request.logical_resource_id,
            "Data": data or {},
        }
    ).encode()
    put = urllib.request.Request(  # noqa: S310 - the https URL CloudFormation gave us
        request.response_url,
        data=body,
        method="PUT",
        # The URL is signed for an empty content type.
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(put, timeout=ANSWER_TIMEOUT_S) as response:  # noqa: S310
        response.read()
