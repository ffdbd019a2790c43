"""What SES's mailbox simulator would publish for an accepted email, in SES's own event
format: `Send`, then per recipient the simulator address's outcome (bounce, complaint,
suppressionlist, ...), or a delivery for any other address."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_string, policy
from email.utils import parseaddr
from typing import Any

SIMULATOR_DOMAIN = "simulator.amazonses.com"
CONFIGURATION_SET_TAG = "ses:configuration-set"
REPORTING_MTA = "a8-1.smtp-out.amazonses.com"
SUPPRESSED_DIAGNOSTIC = (
    "Amazon SES has suppressed sending to this address because it has a recent history of "
    "bouncing as an invalid address."
)


@dataclass(frozen=True)
class AcceptedEmail:
    """One SendEmail request the stand-in accepted, with what SES keeps of it."""

    ses_message_id: str
    accepted_at: datetime
    source: str
    destinations: tuple[str, ...]
    tags: dict[str, str]
    configuration_set: str | None
    raw: str | None
    subject: str | None
    region: str
    account_id: str


def _ses_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _feedback_id() -> str:
    return f"{uuid.uuid4().hex[:16]}-{uuid.uuid4()}-000000"


def simulator_mailbox(address: str) -> str | None:
    """`bounce` for `bounce@` or `bounce+label@simulator.amazonses.com`; None elsewhere."""
    local, _, domain = parseaddr(address)[1].lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    return local.split("+", 1)[0]


def _headers(email: AcceptedEmail) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The `headers` and `commonHeaders` of the `mail` object, from the raw MIME."""
    common: dict[str, Any]
    if email.raw is None:
        common = {"from": [email.source], "to": list(email.destinations)}
        if email.subject is not None:
            common["subject"] = email.subject
        return [], {**common, "messageId": email.ses_message_id}
    message = message_from_string(email.raw, policy=policy.default)
    headers = [{"name": name, "value": str(value)} for name, value in message.items()]
    common = {
        "from": [str(v) for v in message.get_all("From", [])],
        "to": [str(v) for v in message.get_all("To", [])],
        "messageId": email.ses_message_id,
        "subject": str(message.get("Subject", "")),
    }
    if message.get("Reply-To"):
        common["replyTo"] = [str(v) for v in message.get_all("Reply-To", [])]
    if message.get("Date"):
        common["date"] = str(message["Date"])
    return headers, common


def mail_object(email: AcceptedEmail, configuration_set: str | None) -> dict[str, Any]:
    """The `mail` object every event of the email carries (SES event publishing format)."""
    sender = parseaddr(email.source)[1]
    domain = sender.rpartition("@")[2].lower()
    headers, common = _headers(email)
    tags: dict[str, list[str]] = {
        "ses:operation": ["SendEmail"],
        "ses:source-ip": ["127.0.0.1"],
        "ses:from-domain": [domain],
        "ses:caller-identity": ["local"],
    }
    if configuration_set:
        tags[CONFIGURATION_SET_TAG] = [configuration_set]
    tags.update({name: [value] for name, value in email.tags.items()})
    return {
        "timestamp": _ses_time(email.accepted_at),
        "source": email.source,
        "sourceArn": f"arn:aws:ses:{email.region}:{email.account_id}:identity/{domain}",
        "sendingAccountId": email.account_id,
        "messageId": email.ses_message_id,
        "destination": [parseaddr(address)[1] for address in email.destinations],
        "headersTruncated": False,
        "headers": headers,
        "commonHeaders": common,
        "tags": tags,
    }


def simulated_events(
    email: AcceptedEmail, configuration_set: str | None, *, now: Callable[[], datetime]
) -> list[dict[str, Any]]:
    """Every event SES would publish for `email`, in order: Send, then each outcome."""
    mail = mail_object(email, configuration_set)
    recipients = [parseaddr(address)[1] for address in email.destinations]
    delivered = [r for r in recipients if simulator_mailbox(r) not in {"bounce", "suppressionlist"}]
    bounced = [r for r in recipients if simulator_mailbox(r) == "bounce"]
    suppressed = [r for r in recipients if simulator_mailbox(r) == "suppressionlist"]
    complained = [r for r in recipients if simulator_mailbox(r) == "complaint"]

    events: list[dict[str, Any]] = [{"eventType": "Send", "mail": mail, "send": {}}]
    if delivered:
        at = now()
        events.append(
            {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {
                    "timestamp": _ses_time(at),
                    "processingTimeMillis": max(
                        0, int((at - email.accepted_at).total_seconds() * 1000)
                    ),
                    "recipients": delivered,
                    "smtpResponse": "250 2.6.0 Message received",
                    "reportingMTA": REPORTING_MTA,
                    "remoteMtaIp": "127.0.0.1",
                },
            }
        )
    for addresses, subtype, status, diagnostic in (
        (bounced, "General", "5.1.1", "smtp; 550 5.1.1 user unknown"),
        (suppressed, "Suppressed", "5.1.1", SUPPRESSED_DIAGNOSTIC),
    ):
        if addresses:
            events.append(
                {
                    "eventType": "Bounce",
                    "mail": mail,
                    "bounce": {
                        "bounceType": "Permanent",
                        "bounceSubType": subtype,
                        "bouncedRecipients": [
                            {
                                "emailAddress": address,
                                "action": "failed",
                                "status": status,
                                "diagnosticCode": diagnostic,
                            }
                            for address in addresses
                        ],
                        "timestamp": _ses_time(now()),
                        "feedbackId": _feedback_id(),
                        "reportingMTA": "dns; amazonses.com",
                    },
                }
            )
    if complained:
        complained_at = _ses_time(now())
        events.append(
            {
                "eventType": "Complaint",
                "mail": mail,
                "complaint": {
                    "complainedRecipients": [{"emailAddress": r} for r in complained],
                    "timestamp": complained_at,
                    "feedbackId": _feedback_id(),
                    "userAgent": "Amazon SES Mailbox Simulator",
                    "complaintFeedbackType": "abuse",
                    "arrivalDate": complained_at,
                },
            }
        )
    return events
