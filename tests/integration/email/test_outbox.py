"""`GET /_local/outbox`: what the local SES accepted, read back from the raw MIME."""

import json
import uuid

import pytest

from attendry.core.clock import system_clock
from attendry.email.message import build_outreach_email
from attendry.email.settings import email_settings
from attendry.platform.ses import SesClient
from attendry_local.local_routes import LocalRequest, LocalRoutes
from attendry_local.outbox import register_outbox_route
from tests.fixtures.aws import Aws

pytestmark = pytest.mark.integration


def _get(routes: LocalRoutes, query: dict[str, str]) -> tuple[int, dict[str, object]]:
    response = routes.dispatch(
        LocalRequest(
            method="GET",
            path="/_local/outbox",
            path_parameters={},
            query=query,
            headers={},
            body=b"",
        )
    )
    return response.status, json.loads(response.body)


def test_the_outbox_shows_each_accepted_email_with_headers_and_parts(aws: Aws) -> None:
    # Given an email the local SES accepted, with a plain-text and an HTML part
    recipient = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    sent_id = uuid.uuid4()
    message = build_outreach_email(
        sent_id=sent_id,
        user_id="user-1",
        sender_name="Sam Lee",
        recipient=recipient,
        recipient_name="Grace Hopper",
        subject="Compilers at DevWeek",
        text="Hi Grace,\n\nWould you speak at DevWeek?",
        html="<p>Hi Grace</p>",
        settings=email_settings(),
        now=system_clock(),
    )
    ses_message_id = SesClient(aws.sesv2).send_raw(
        raw=message.as_bytes(),
        from_address="outreach@attendry.example",
        to=recipient,
        configuration_set="attendry-outreach",
        tags={"sent_id": str(sent_id)},
    )
    routes = LocalRoutes()
    register_outbox_route(routes, aws.endpoint)

    # When the outbox is read for that recipient
    status, body = _get(routes, {"to": recipient.upper()})

    # Then it shows the one email as a contact's mail server would get it
    assert status == 200
    assert body["count"] == 1
    [email] = body["emails"]  # type: ignore[misc]
    assert email["ses_message_id"] == ses_message_id
    assert email["to"] == [recipient]
    assert email["from"] == "Sam Lee <outreach@attendry.example>"
    assert email["subject"] == "Compilers at DevWeek"
    names = [name for name, _ in email["headers"]]
    assert {"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "MIME-Version"} <= set(names)
    # And with the Message-ID SES gives every email, the one replies will cite
    assert dict(email["headers"])["Message-ID"] == f"<{ses_message_id}@email.amazonses.com>"
    assert email["text"].startswith("Hi Grace,\n\nWould you speak at DevWeek?\n\n-- \n")
    assert "<p>Hi Grace</p>" in email["html"]


def test_the_outbox_says_so_when_the_local_ses_is_down() -> None:
    routes = LocalRoutes()
    register_outbox_route(routes, "http://127.0.0.1:9")

    status, body = _get(routes, {})

    assert status == 502
    assert "not answering" in str(body["message"])
