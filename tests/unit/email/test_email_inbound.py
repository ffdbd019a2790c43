"""Replies read from raw MIME: addresses, thread ids, the contact's own words, auto-replies."""

from email.header import Header
from uuid import UUID

import pytest

from attendry.email.inbound import cut_quoted_text, parse_inbound_email
from attendry.email.message import ses_message_id_header
from attendry.email.reply_address import make_reply_address, make_unsubscribe_mailto_address
from attendry.email.settings import EmailSettings

SENT_ID = UUID("5f1c9a2e-8d3b-4c7a-9e61-0b2f4d6a8c13")
FIRST_SES_ID = "0102019570a3c2f1-3b1f6c2a-7d4e-4f0a-9c3b-5e8d7a6b4c21-000000"
SECOND_SES_ID = "0102019570a3c2f1-3b1f6c2a-7d4e-4f0a-9c3b-5e8d7a6b4c22-000000"


@pytest.fixture
def settings() -> EmailSettings:
    return EmailSettings(
        STAGE="local",
        UNSUBSCRIBE_SECRET="test-secret",
        SENDER_DOMAIN="attendry.example",
        REPLY_DOMAIN="reply.attendry.example",
        UNSUBSCRIBE_MAILTO="unsubscribe",
    )


def _gmail_reply(reply_to: str, extra_headers: str = "", subject: str = "Re: DevSummit") -> bytes:
    """A multipart reply as Gmail writes it: folded References, QP UTF-8, HTML with a quote."""
    first = ses_message_id_header(FIRST_SES_ID, "eu-west-1")
    second = ses_message_id_header(SECOND_SES_ID, "eu-west-1")
    if not subject.isascii():
        subject = Header(subject, "utf-8").encode()
    return f"""\
Return-Path: <anna@example.com>
MIME-Version: 1.0
References: {first}
 {second}
In-Reply-To: {second}
From: =?UTF-8?Q?Anna_=C5=81ukasiewicz?= <anna@example.com>
Date: Tue, 4 Mar 2025 11:02:03 +0100
Message-ID: <CAF3kq=xT9+Ab_cd@mail.gmail.com>
Subject: {subject}
To: Jane Doe <{reply_to}>
Cc: assistant@example.com
{extra_headers}Content-Type: multipart/alternative; boundary="000000000000b0c1d2"

--000000000000b0c1d2
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hi Jane,

yes, I'd love to speak =E2=80=94 Tuesday works.

Anna

On Mon, Mar 3, 2025 at 10:30=E2=80=AFAM Jane Doe <{reply_to}>
wrote:

> Hi Anna,
>
> would you speak at DevSummit?
>
> --
> Not interested? Unsubscribe with one click: https://app.attendry.example/u=
nsubscribe/abc
>

--000000000000b0c1d2
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Hi Jane,<br><br>yes, I&#39;d love to speak =E2=80=94 Tuesday=
 works.<br><br>Anna</div><br><div class=3D"gmail_quote"><div class=3D"gmail_attr">On Mon=
, Mar 3, 2025 at 10:30 AM Jane Doe &lt;{reply_to}&gt; wrote:<br></div><blockquote=
 class=3D"gmail_quote">Hi Anna,<br>would you speak at DevSummit?</blockquote></div>

--000000000000b0c1d2--
""".replace("\n", "\r\n").encode("ascii")


def test_a_gmail_reply_is_read_whole(settings: EmailSettings) -> None:
    reply_to = make_reply_address(SENT_ID, settings=settings)

    email = parse_inbound_email(_gmail_reply(reply_to), settings=settings)

    assert email.from_address == "anna@example.com"
    assert email.from_name == "Anna Łukasiewicz"
    assert email.to == (reply_to,)
    assert email.cc == ("assistant@example.com",)
    assert email.subject == "Re: DevSummit"
    assert email.date is not None
    assert email.date.isoformat() == "2025-03-04T11:02:03+01:00"
    assert email.message_id == "<CAF3kq=xT9+Ab_cd@mail.gmail.com>"
    assert email.reply_sent_id == SENT_ID
    assert email.unsubscribe_sent_id is None
    assert email.text.startswith("Hi Jane,\n\nyes, I'd love to speak — Tuesday works.")
    assert "> would you speak at DevSummit?" in email.text
    assert email.reply_text == "Hi Jane,\n\nyes, I'd love to speak — Tuesday works.\n\nAnna"


def test_in_reply_to_and_references_are_extracted_in_matching_order(
    settings: EmailSettings,
) -> None:
    email = parse_inbound_email(
        _gmail_reply(make_reply_address(SENT_ID, settings=settings)), settings=settings
    )
    first = f"<{FIRST_SES_ID}@eu-west-1.amazonses.com>"
    second = f"<{SECOND_SES_ID}@eu-west-1.amazonses.com>"

    assert email.in_reply_to == (second,)
    assert email.references == (first, second)
    assert email.thread_message_ids == (second, first)
    assert email.referenced_ses_message_ids == (SECOND_SES_ID, FIRST_SES_ID)


def test_a_reply_address_seen_only_by_the_envelope_is_found(settings: EmailSettings) -> None:
    reply_to = make_reply_address(SENT_ID, settings=settings)
    raw = _gmail_reply("jane@attendry.example")

    assert parse_inbound_email(raw, settings=settings).reply_sent_id is None
    email = parse_inbound_email(raw, envelope_recipients=[reply_to], settings=settings)
    assert email.reply_sent_id == SENT_ID


def test_a_forged_reply_address_matches_nothing(settings: EmailSettings) -> None:
    forged = "reply+" + "a" * 42 + "@reply.attendry.example"
    assert parse_inbound_email(_gmail_reply(forged), settings=settings).reply_sent_id is None


def test_a_mailto_unsubscribe_names_its_sent_row(settings: EmailSettings) -> None:
    address = make_unsubscribe_mailto_address(SENT_ID, settings=settings)
    raw = (f"From: anna@example.com\r\nTo: {address}\r\nSubject: unsubscribe\r\n\r\n\r\n").encode()

    email = parse_inbound_email(raw, settings=settings)

    assert email.unsubscribe_sent_id == SENT_ID
    assert email.reply_sent_id is None


def test_a_delivery_report_gives_its_notification_text(settings: EmailSettings) -> None:
    raw = (
        b"From: MAILER-DAEMON@example.com\r\nTo: outreach@attendry.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@example.com\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    email = parse_inbound_email(raw, settings=settings)
    assert email.text == "Delivery failed."


def test_an_html_only_reply_gives_text_with_the_quote_cut(settings: EmailSettings) -> None:
    raw = (
        b"From: anna@example.com\r\nSubject: Re: DevSummit\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body>"
        b"<div>Sure, <b>Tuesday</b> works.</div><div>Anna</div>"
        b"<div>On Mon, Mar 3, 2025 at 10:30 AM Jane &lt;jane@x.example&gt; wrote:</div>"
        b"<blockquote>Would you speak?</blockquote></body></html>"
    )
    email = parse_inbound_email(raw, settings=settings)
    assert email.reply_text == "Sure, Tuesday works.\nAnna"
    assert "> Would you speak?" in email.text


def test_an_unknown_charset_is_read_with_replacements(settings: EmailSettings) -> None:
    raw = (
        b"From: anna@example.com\r\nSubject: Re\r\nContent-Type: text/plain; charset=x-unknown\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe \xff\r\n"
    )
    assert parse_inbound_email(raw, settings=settings).text == "Grüße \ufffd"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff garbage without headers",
        b"From: <<<>>>\r\nDate: yesterday-ish\r\nReferences: not ids\r\nTo: ,,,\r\n\r\nHi",
        b"Subject: =?utf-8?q?broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
    ],
)
def test_malformed_mail_never_raises(settings: EmailSettings, raw: bytes) -> None:
    email = parse_inbound_email(raw, settings=settings)
    assert email.reply_sent_id is None
    assert email.references == ()
    assert email.date is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Danke, gerne!\n\nViele Grüße\nAnna\n\nAm Mo., 3. März 2025 um 10:00 Uhr schrieb "
            "Jane Doe <\njane@x.example>:\n\n> Hallo Anna,\n> wir würden uns freuen.\n",
            "Danke, gerne!\n\nViele Grüße\nAnna",
        ),
        (
            "Sounds good.\n\n-20% is fine\n\n________________________________\n"
            "Von: Jane <jane@x.example>\nGesendet: Montag, 3. März 2025 10:00\nAn: Anna\n"
            "Betreff: DevSummit\n\nHallo Anna,\nwir freuen uns.\n",
            "Sounds good.\n\n-20% is fine",
        ),
        (
            "Yes.\n\nFrom: Jane Doe <jane@x.example>\nSent: Monday, March 3, 2025 10:00 AM\n"
            "To: Anna\nSubject: DevSummit\n\nHi Anna,\n",
            "Yes.",
        ),
        (
            "Volontiers.\n\nLe lun. 3 mars 2025 à 10:00, Jane Doe <jane@x.example> a écrit :\n"
            "> Bonjour",
            "Volontiers.",
        ),
        ("Yes.\n\n-----Original Message-----\nFrom: Jane\nHi", "Yes."),
        ("Yes.\n\nJane Doe <jane@x.example> wrote:\n> Hi", "Yes."),
        ("> Can you speak?\nYes.\n> Which day?\nTuesday.", "Yes.\nTuesday."),
        (
            "On Mon, Mar 3, 2025 at 10:00 AM Jane wrote:\n> Hi\n> quoted\n\nBottom-posted answer.",
            "Bottom-posted answer.",
        ),
        ("Thanks!\nMy colleague wrote: this works.\n", "Thanks!\nMy colleague wrote: this works."),
        ("Thanks!\r\nOn Mon, 3 Mar 2025, Jane wrote:\r\n> Hi", "Thanks!"),
    ],
)
def test_the_quoted_part_is_cut(text: str, expected: str) -> None:
    assert cut_quoted_text(text) == expected
