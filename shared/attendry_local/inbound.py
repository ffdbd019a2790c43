"""`POST /_local/inbound`: deliver an email to the local system as SES email receiving would.

moto keeps receipt rules but receives no mail, so this route does what SES does with a
message for a domain it receives: it finds the template's receipt rule whose recipients
match, stores the raw MIME in the rule's S3 action bucket under `<prefix><messageId>`,
and publishes SES's "Received" notification (S3 action form: `receipt.action` names
`bucketName` and `objectKey`; https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html)
to the rule's topic. From there the template's own subscription, queue and function take
it, exactly the path a deployed reply takes.

The body is either JSON (`{"from", "to", "subject", "text", "in_reply_to"}`; `to` may be
a list, `references` and `cc` are optional) from which a plain-text email is built, or a
raw MIME message (`Content-Type: message/rfc822` or `text/plain`) delivered as it is.
"""

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import TYPE_CHECKING, Any

from attendry_local.apigw import HttpResponse, json_response
from attendry_local.aws import local_client
from attendry_local.local_routes import LocalRequest, LocalRouteError
from attendry_local.stack import LocalStack

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

INBOUND_PATH = "/_local/inbound"
RECEIPT_SUBJECT = "Amazon SES Email Receipt Notification"
_RAW_TYPES = ("message/rfc822", "text/plain")
_JSON_FIELDS = frozenset({"from", "to", "cc", "subject", "text", "in_reply_to", "references"})
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@dataclass(frozen=True)
class ReceiptRoute:
    """One S3 action of one receipt rule of the template, and whom the rule accepts."""

    rule: str
    recipients: tuple[str, ...]
    bucket: str
    prefix: str
    topic_arn: str | None

    def accepts(self, address: str) -> bool:
        """SES's recipient matching: an address, a domain, or `.domain` for its subdomains;
        a rule without recipients takes all mail for the account's verified domains."""
        address = address.strip().lower()
        domain = address.rpartition("@")[2]
        if not self.recipients:
            return True
        for recipient in (value.strip().lower() for value in self.recipients):
            if recipient in (address, domain):
                return True
            if recipient.startswith(".") and domain.endswith(recipient):
                return True
        return False


def receipt_routes(stack: LocalStack) -> list[ReceiptRoute]:
    """Every enabled receipt rule's S3 actions, in template order."""
    routes = []
    for logical_id in stack.logical_ids("AWS::SES::ReceiptRule"):
        rule = stack.properties(logical_id).get("Rule") or {}
        if rule.get("Enabled") is False or str(rule.get("Enabled")).lower() == "false":
            continue
        for action in rule.get("Actions") or []:
            s3 = action.get("S3Action")
            if not s3:
                continue
            routes.append(
                ReceiptRoute(
                    rule=str(rule.get("Name") or stack.resource(logical_id).name),
                    recipients=tuple(str(value) for value in rule.get("Recipients") or ()),
                    bucket=str(s3["BucketName"]),
                    prefix=str(s3.get("ObjectKeyPrefix") or ""),
                    topic_arn=str(s3["TopicArn"]) if s3.get("TopicArn") else None,
                )
            )
    return routes


def ses_inbound_message_id() -> str:
    """An id shaped like SES's for received mail (e.g. `d6iitobk75ur44p8kdnnp7g2n800`)."""
    return "".join(secrets.choice(_BASE32HEX) for _ in range(28))


def _addresses(value: Any, field: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(item, str) for item in values):
        raise LocalRouteError(400, f'"{field}" must be an address or a list of addresses')
    found = [address for _, address in getaddresses(values) if "@" in address]
    if len(found) != len(values):
        raise LocalRouteError(400, f'"{field}" holds something that is not an email address')
    return found


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise LocalRouteError(400, f'"{name}" must be a string')
    return value


def build_email(body: Any) -> EmailMessage:
    """A plain-text email from the JSON form, as a mail client would send it."""
    if not isinstance(body, dict):
        raise LocalRouteError(400, "Send a JSON object or a raw MIME message")
    unknown = set(body) - _JSON_FIELDS
    if unknown:
        raise LocalRouteError(400, f"Unknown fields: {', '.join(sorted(unknown))}")
    if not body.get("from") or not body.get("to"):
        raise LocalRouteError(400, '"from" and "to" are required')
    sender = _addresses(body["from"], "from")
    message = EmailMessage(policy=policy.SMTP)
    try:
        message["From"] = str(body["from"])
        message["To"] = ", ".join(_addresses(body["to"], "to"))
        if body.get("cc"):
            message["Cc"] = ", ".join(_addresses(body["cc"], "cc"))
        message["Subject"] = _text_field(body, "subject")
        in_reply_to = _text_field(body, "in_reply_to").strip()
        references = body.get("references") or []
        if isinstance(references, str):
            references = references.split()
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise LocalRouteError(400, '"references" must be a list of Message-IDs')
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
            if in_reply_to not in references:
                references = [*references, in_reply_to]
        if references:
            message["References"] = " ".join(references)
    except ValueError as error:
        raise LocalRouteError(400, f"A header value is not valid: {error}") from error
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender[0].rpartition("@")[2] or "local.invalid")
    message.set_content(_text_field(body, "text") or "\n")
    return message


def _header_pairs(message: EmailMessage) -> list[dict[str, str]]:
    return [{"name": name, "value": str(value)} for name, value in message.items()]


def _common_headers(message: EmailMessage) -> dict[str, Any]:
    common: dict[str, Any] = {}
    for key, header in (("from", "From"), ("to", "To"), ("cc", "Cc")):
        values = [str(value) for value in message.get_all(header, [])]
        if values:
            common[key] = values
    for key, header in (("date", "Date"), ("messageId", "Message-ID"), ("subject", "Subject")):
        if message.get(header) is not None:
            common[key] = str(message.get(header))
    return common


class LocalInbound:
    """Receives mail for the local stack: S3 object + SNS notice, per the template's rules."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        region, endpoint = stack.addresses.region, stack.addresses.aws_endpoint
        self._s3 = local_client("s3", endpoint, region)
        self._sns = local_client("sns", endpoint, region)

    def deliver(self, raw: bytes, recipients: Sequence[str]) -> dict[str, Any]:
        """Receive `raw` for `recipients` (the envelope RCPT TO); what was stored and sent."""
        routes = receipt_routes(self.stack)
        accepted = [r for r in recipients if any(route.accepts(r) for route in routes)]
        if not accepted:
            domains = sorted({d for route in routes for d in route.recipients}) or ["(none)"]
            raise LocalRouteError(
                422,
                f"No receipt rule of the template accepts mail to {', '.join(recipients)}; "
                f"SES receives mail for: {', '.join(domains)}",
            )
        started = time.monotonic()
        received_at = datetime.now(UTC)
        message_id = ses_inbound_message_id()
        stored_raw = self._as_received(raw, accepted, message_id, received_at)
        message = message_from_bytes(stored_raw, policy=policy.default)
        if not isinstance(message, EmailMessage):
            raise TypeError("the default policy builds EmailMessage objects")
        sender = next((a for _, a in getaddresses(message.get_all("From", [])) if "@" in a), "")
        deliveries = []
        for route in routes:
            matched = [address for address in accepted if route.accepts(address)]
            if not matched:
                continue
            key = f"{route.prefix}{message_id}"
            self._s3.put_object(Bucket=route.bucket, Key=key, Body=stored_raw)
            notice = self._notice(
                route, key, message, message_id, sender, matched, received_at, started
            )
            if route.topic_arn:
                self._sns.publish(
                    TopicArn=route.topic_arn,
                    Subject=RECEIPT_SUBJECT,
                    Message=json.dumps(notice, separators=(",", ":")),
                )
            deliveries.append(
                {
                    "rule": route.rule,
                    "bucket": route.bucket,
                    "object_key": key,
                    "topic_arn": route.topic_arn,
                }
            )
        return {"ses_message_id": message_id, "recipients": accepted, "deliveries": deliveries}

    def _as_received(
        self, raw: bytes, recipients: Sequence[str], message_id: str, received_at: datetime
    ) -> bytes:
        """The message with the trace headers SES adds on top before it stores it."""
        region = self.stack.addresses.region
        stamp = format_datetime(received_at)
        added = [
            f"Received: from localhost (localhost [127.0.0.1]) by "
            f"inbound-smtp.{region}.amazonaws.com with SMTP id {message_id} for "
            f"{recipients[0]}; {stamp}",
            "X-SES-Spam-Verdict: PASS",
            "X-SES-Virus-Verdict: PASS",
        ]
        return ("\r\n".join(added) + "\r\n").encode() + raw

    def _notice(
        self,
        route: ReceiptRoute,
        key: str,
        message: EmailMessage,
        message_id: str,
        sender: str,
        recipients: list[str],
        received_at: datetime,
        started: float,
    ) -> dict[str, Any]:
        timestamp = received_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        passed = {"status": "PASS"}
        action: dict[str, Any] = {"type": "S3"}
        if route.topic_arn:
            action["topicArn"] = route.topic_arn
        action.update(bucketName=route.bucket, objectKeyPrefix=route.prefix, objectKey=key)
        return {
            "notificationType": "Received",
            "mail": {
                "timestamp": timestamp,
                "source": sender,
                "messageId": message_id,
                "destination": recipients,
                "headersTruncated": False,
                "headers": _header_pairs(message),
                "commonHeaders": _common_headers(message),
            },
            "receipt": {
                "timestamp": timestamp,
                "processingTimeMillis": int((time.monotonic() - started) * 1000),
                "recipients": recipients,
                "spamVerdict": passed,
                "virusVerdict": passed,
                "spfVerdict": passed,
                "dkimVerdict": passed,
                "dmarcVerdict": passed,
                "action": action,
            },
        }


def _raw_recipients(raw: bytes, request: LocalRequest) -> list[str]:
    wanted = request.query.get("to", "").strip()
    if wanted:
        return _addresses(wanted.split(","), "to")
    message = message_from_bytes(raw, policy=policy.default)
    headers = [str(value) for name in ("To", "Cc") for value in message.get_all(name, [])]
    return [address for _, address in getaddresses(headers) if "@" in address]


def register_inbound_route(runtime: "LocalRuntime") -> None:
    inbound = LocalInbound(runtime.stack)

    def receive(request: LocalRequest) -> HttpResponse:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type in _RAW_TYPES:
            raw = request.body
            recipients = _raw_recipients(raw, request)
        else:
            message = build_email(request.json())
            raw = message.as_bytes(policy=policy.SMTP)
            recipients = [
                address
                for _, address in getaddresses(
                    [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
                )
            ]
        if not raw.strip():
            raise LocalRouteError(400, "The email is empty")
        if not recipients:
            raise LocalRouteError(400, "The email has no recipient (To, Cc or ?to=)")
        return json_response(202, inbound.deliver(raw, recipients))

    runtime.local_routes.add("POST", INBOUND_PATH, receive)


def inbound_extension(runtime: "LocalRuntime") -> None:
    """A LocalRuntime extension: `LocalRuntime(..., extensions=[inbound_extension])`."""
    register_inbound_route(runtime)
