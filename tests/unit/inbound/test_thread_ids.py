"""Matching reads In-Reply-To and References ids with or without their angle brackets.

Some clients write `In-Reply-To: id@email.amazonses.com` bare; the id must still name the
SES message, as `<id@email.amazonses.com>` would.
"""

import pytest

from attendry.email.inbound import parse_inbound_email
from attendry.email.settings import EmailSettings

SES_ID = "0102019570a3c2f1-3b1f6c2a-7d4e-4f0a-9c3b-5e8d7a6b4c11-000000"
SETTINGS = EmailSettings(
    STAGE="local",
    UNSUBSCRIBE_SECRET="test-secret",
    SENDER_DOMAIN="attendry.example",
    REPLY_DOMAIN="reply.attendry.example",
    UNSUBSCRIBE_MAILTO="unsubscribe",
)


@pytest.mark.parametrize(
    "header",
    [
        f"In-Reply-To: {SES_ID}@email.amazonses.com",
        f"In-Reply-To: <{SES_ID}@email.amazonses.com>",
        f"In-Reply-To: < {SES_ID}@email.amazonses.com >",
        f"References: <a@b.example> {SES_ID}@eu-west-1.amazonses.com",
        f"References: a@b.example,\r\n {SES_ID}@email.amazonses.com.",
    ],
)
def test_an_ses_id_is_found_with_or_without_brackets(header: str) -> None:
    raw = f"From: a@example.com\r\n{header}\r\nSubject: Re: x\r\n\r\nyes\r\n".encode()

    email = parse_inbound_email(raw, settings=SETTINGS)

    assert email.referenced_ses_message_ids == (SES_ID,)
    assert all(value.startswith("<") and value.endswith(">") for value in email.thread_message_ids)


def test_ids_are_kept_once_in_matching_order() -> None:
    raw = (
        b"From: a@example.com\r\nIn-Reply-To: c@example.org\r\n"
        b"References: <a@example.org> b@example.org <c@example.org>\r\n\r\nyes\r\n"
    )

    email = parse_inbound_email(raw, settings=SETTINGS)

    assert email.thread_message_ids == ("<c@example.org>", "<b@example.org>", "<a@example.org>")
