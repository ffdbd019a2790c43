"""`GET /_local/outbox`: the emails the local SES (moto) accepted, read back from their MIME.

moto keeps every accepted raw email in memory and shows it through its own
`/moto-api/data.json`; parsing the raw message here, rather than trusting what the Sender
meant to send, shows exactly the headers and parts a contact's mail server would get.
"""

import json
import urllib.request
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from attendry.email.message import ses_message_id_header
from attendry_local.apigw import HttpResponse, json_response
from attendry_local.local_routes import LocalRequest, LocalRouteError, LocalRoutes
from attendry_local.stack import DEFAULT_REGION

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

OUTBOX_PATH = "/_local/outbox"
_TIMEOUT_S = 5


def _moto_data(aws_endpoint: str) -> dict[str, Any]:
    url = f"{aws_endpoint.rstrip('/')}/moto-api/data.json"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{aws_endpoint!r} is not an http(s) endpoint")
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:  # noqa: S310 - checked above
        data: dict[str, Any] = json.load(response)
    return data


def _part_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


def parse_raw_email(ses_message_id: str, raw: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """One accepted email as the outbox shows it: envelope, every header, text and HTML.

    SES replaces the Message-ID of every email it sends with its own; moto does not, so
    the outbox does it here, to show what the contact's mail server really receives.
    """
    message = message_from_string(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):
        raise TypeError("the default policy builds EmailMessage objects")
    del message["Message-ID"]
    message["Message-ID"] = ses_message_id_header(ses_message_id, region)
    return {
        "ses_message_id": ses_message_id,
        "from": str(message.get("From", "")),
        "to": [address for _, address in getaddresses(message.get_all("To", []))],
        "subject": str(message.get("Subject", "")),
        "headers": [[name, str(value)] for name, value in message.items()],
        "text": _part_text(message, "plain"),
        "html": _part_text(message, "html"),
    }


def list_outbox(aws_endpoint: str, region: str = DEFAULT_REGION) -> list[dict[str, Any]]:
    """Every email the local SES accepted, oldest first (SES v1 and v2 share moto's store)."""
    ses = _moto_data(aws_endpoint).get("ses") or {}
    emails = [
        parse_raw_email(item["id"], item["raw_data"], region) for item in ses.get("RawMessage", [])
    ]
    emails.extend(
        {
            "ses_message_id": item["id"],
            "from": item.get("source", ""),
            "to": list((item.get("destinations") or {}).get("ToAddresses", [])),
            "subject": item.get("subject", ""),
            "headers": [],
            "text": item.get("body"),
            "html": None,
        }
        for item in ses.get("Message", [])
    )
    return emails


def register_outbox_route(
    routes: LocalRoutes, aws_endpoint: str, region: str = DEFAULT_REGION
) -> None:
    """Add `GET /_local/outbox` (optionally `?to=<address>`) to the local control routes."""

    def outbox(request: LocalRequest) -> HttpResponse:
        try:
            emails = list_outbox(aws_endpoint, region)
        except OSError as error:
            raise LocalRouteError(502, f"The local SES is not answering: {error}") from error
        wanted = request.query.get("to", "").strip().lower()
        if wanted:
            emails = [e for e in emails if wanted in (a.lower() for a in e["to"])]
        return json_response(200, {"emails": emails, "count": len(emails)})

    routes.add("GET", OUTBOX_PATH, outbox)


def outbox_extension(runtime: "LocalRuntime") -> None:
    """A LocalRuntime extension: `LocalRuntime(..., extensions=[outbox_extension])`."""
    register_outbox_route(
        runtime.local_routes, runtime.aws_endpoint, runtime.stack.addresses.region
    )
