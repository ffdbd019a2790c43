"""The outreach email as SES v2 sends it raw: every header the spec requires, nothing unchecked.

No Message-ID is set: SES overrides any Message-ID with its own
(https://docs.aws.amazon.com/ses/latest/dg/header-fields.html), so ours would never reach
the contact, and a value that exists only in our copy would tempt someone to store it
and thread on it. The id to keep is SES's, built by `ses_message_id_header` from the
message id that SendEmail returns.
"""

import html as html_lib
import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import TYPE_CHECKING
from uuid import UUID

from attendry.core.errors import InvalidInputError
from attendry.email.header_encoding import EncodedHeader, mailbox, unstructured
from attendry.email.headers import check_address, check_header_value, format_message_id
from attendry.email.reply_address import make_reply_address, make_unsubscribe_mailto_address
from attendry.email.settings import EmailSettings
from attendry.email.unsubscribe import make_unsubscribe_token, unsubscribe_url

if TYPE_CHECKING:
    from mypy_boto3_sesv2.type_defs import EmailContentTypeDef

DEFAULT_FOOTER_TEMPLATE = "Not interested? Unsubscribe with one click: {url}"

_US_EAST_1_HOST = "email.amazonses.com"
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_SES_MESSAGE_ID = re.compile(r"^[A-Za-z0-9-]+$")
_SES_HOST = re.compile(r"^<([A-Za-z0-9-]+)@(?:[a-z0-9-]+\.)?amazonses\.com>$", re.IGNORECASE)

# SMTP line endings and 7-bit transfer encodings, as SES raw messages want them.
OUTREACH_POLICY = SMTP.clone(cte_type="7bit")


def _with_text_footer(text: str, footer: str) -> str:
    # "-- " is the signature separator: clients mute it and leave it out of quoted replies.
    return f"{text.rstrip()}\n\n-- \n{footer}\n"


def _with_html_footer(html: str, footer_template: str, url: str) -> str:
    before, _, after = footer_template.partition("{url}")
    escaped_url = html_lib.escape(url)
    footer = (
        '<p style="font-size:12px;color:#6b7280">'
        f'{html_lib.escape(before)}<a href="{escaped_url}">{escaped_url}</a>'
        f"{html_lib.escape(after)}</p>"
    )
    body_end = html.lower().rfind("</body")
    if body_end < 0:
        return f"{html}\n{footer}\n"
    return f"{html[:body_end]}{footer}\n{html[body_end:]}"


def build_outreach_email(
    *,
    sent_id: UUID,
    user_id: str,
    sender_name: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None = None,
    recipient_name: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    from_address: str | None = None,
    footer_template: str = DEFAULT_FOOTER_TEMPLATE,
    settings: EmailSettings,
    now: datetime,
) -> EmailMessage:
    """One sent row's email; raises UnsafeHeaderError (naming the header) on unsafe input.

    `in_reply_to` and `references` take the SES Message-IDs of earlier emails in the
    thread (with or without angle brackets); `in_reply_to` is added to the end of
    References when missing, as RFC 5322 (3.6.4) asks. `footer_template` holds `{url}`,
    so the unsubscribe line can be written in the agent's language.
    """
    if "{url}" not in footer_template:
        raise InvalidInputError("The unsubscribe footer must contain {url}.")
    if not text.strip():
        raise InvalidInputError("An email needs a plain-text body.")

    to_address = check_address("To", recipient)
    token = make_unsubscribe_token(
        sent_id=sent_id, user_id=user_id, recipient=to_address, issued_at=now, settings=settings
    )
    url = unsubscribe_url(token, settings=settings)
    mailto = make_unsubscribe_mailto_address(sent_id, settings=settings)

    sender = mailbox(
        check_header_value("From", sender_name),
        check_address("From", from_address or settings.from_address),
    )
    to = mailbox(check_header_value("To", recipient_name) if recipient_name else None, to_address)
    headers = {
        "From": sender,
        "To": to,
        "Subject": unstructured(check_header_value("Subject", subject)),
        "Date": format_datetime(now),
        "Reply-To": make_reply_address(sent_id, settings=settings),
    }
    thread = [format_message_id("References", value) for value in references]
    if in_reply_to is not None:
        parent = format_message_id("In-Reply-To", in_reply_to)
        headers["In-Reply-To"] = parent
        if parent not in thread:
            thread.append(parent)
    if thread:
        headers["References"] = " ".join(dict.fromkeys(thread))
    headers["List-Unsubscribe"] = f"<{url}>, <mailto:{mailto}?subject=unsubscribe>"
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    message = EmailMessage(policy=OUTREACH_POLICY)
    for name, value in headers.items():
        message[name] = EncodedHeader(name, value)

    footer = footer_template.replace("{url}", url)
    message.set_content(_with_text_footer(text, footer))
    if html is not None:
        message.add_alternative(_with_html_footer(html, footer_template, url), subtype="html")
        for part in message.iter_parts():
            del part["MIME-Version"]  # add_alternative copies it into the part; it belongs on top
    return message


def ses_raw_content(message: EmailMessage) -> "EmailContentTypeDef":
    """The `Content` argument of SES v2 SendEmail for this message (boto3 base64-encodes it)."""
    return {"Raw": {"Data": message.as_bytes()}}


def ses_message_id_header(ses_message_id: str, region: str) -> str:
    """The Message-ID SES gives the email: what the contact sees and replies and follow-ups cite.

    SES replaces any Message-ID a sender sets
    (https://docs.aws.amazon.com/ses/latest/dg/header-fields.html, "Considerations").
    The host is `email.amazonses.com` in us-east-1 and `<region>.amazonses.com` elsewhere;
    AWS does not document it, it is what SES emits: see headers such as
    `<0102015ecc65d695-...-000000@eu-west-1.amazonses.com>` and
    `<01010186860163c2-...-000000@us-west-2.amazonses.com>` in public mailing-list
    archives, and https://github.com/drewblas/aws-ses/pull/68 (region added to the id
    for the same reason). Because the host is observed rather than promised, matching
    replies should use `ses_message_id_from_header`, which ignores it.
    """
    if not _SES_MESSAGE_ID.match(ses_message_id):
        raise ValueError(f"{ses_message_id!r} is not an SES message id")
    if not _REGION.match(region):
        raise ValueError(f"{region!r} is not an AWS region")
    host = _US_EAST_1_HOST if region == "us-east-1" else f"{region}.amazonses.com"
    return f"<{ses_message_id}@{host}>"


def ses_message_id_from_header(message_id: str) -> str | None:
    """The SES message id inside `<id@...amazonses.com>`, whatever the region, else None."""
    match = _SES_HOST.match(message_id.strip())
    return match.group(1) if match else None
