"""`POST /webhooks/ses` through the API handler, as API Gateway calls it, without a JWT.

A small HTTP server on the loopback plays the local SNS host (signing certificate and
SubscribeURL), so the handler's real network code fetches and confirms.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from attendry.db.models import EmailSuppression, SesEvent
from attendry.delivery.webhook import default_ses_webhook, ses_webhook_settings
from attendry.platform.sns_signature import LOCAL_SIGNING_CERT_NAME
from tests.fixtures.api import ApiResponse
from tests.fixtures.network import NetworkCalls, recorded_network_calls
from tests.fixtures.ses import ses_event
from tests.fixtures.sns import (
    CERT_URL,
    TOPIC_ARN,
    SigningIdentity,
    notification,
    subscription_confirmation,
)

SNS_CONTENT_TYPE = {"content-type": "text/plain; charset=UTF-8"}
CERT_FILE = "SimpleNotificationService-local.pem"


class LocalSnsHost:
    """Serves one signing certificate and answers SubscribeURLs, recording each request."""

    def __init__(self, identity: SigningIdentity) -> None:
        self.identity = identity
        self.requests: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests.append(self.path)
                if self.path == f"/sns/{CERT_FILE}":
                    body, status = host.identity.pem, 200
                elif self.path.startswith("/sns/?Action=ConfirmSubscription"):
                    refused = "Token=refused" in self.path
                    body, status = b"<ConfirmSubscriptionResponse/>", 500 if refused else 200
                else:
                    body, status = b"not found", 404
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sns"

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def cert_url(self) -> str:
        return f"{self.endpoint}/{CERT_FILE}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture(scope="module")
def local_sns() -> Iterator[LocalSnsHost]:
    host = LocalSnsHost(SigningIdentity(names=(LOCAL_SIGNING_CERT_NAME,)))
    yield host
    host.stop()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, local_sns: LocalSnsHost) -> Iterator[Any]:
    """Set the webhook's environment for one test; the cached webhook is rebuilt from it."""

    def apply(stage: str) -> None:
        monkeypatch.setenv("SES_EVENTS_TOPIC_ARNS", TOPIC_ARN)
        monkeypatch.setenv("STAGE", stage)
        monkeypatch.setenv("SNS_LOCAL_ENDPOINT", local_sns.endpoint)
        ses_webhook_settings.cache_clear()
        default_ses_webhook.cache_clear()

    yield apply
    ses_webhook_settings.cache_clear()
    default_ses_webhook.cache_clear()


def post(call_api: Any, body: str) -> ApiResponse:
    response: ApiResponse = call_api(
        "POST", "/webhooks/ses", user=None, raw_body=body, headers=SNS_CONTENT_TYPE
    )
    return response


def stored(db_session: Session, sns_message_id: str) -> int:
    query = select(func.count()).where(SesEvent.sns_message_id == sns_message_id)
    return int(db_session.scalar(query) or 0)


def test_the_webhook_takes_text_plain_but_other_routes_still_want_json(
    call_api: Any, configure: Any, alice: str
) -> None:
    configure("dev")

    # When SNS's text/plain reaches the webhook, it is read (here: found malformed)
    assert post(call_api, "{}").status == 400

    # And a text/plain body anywhere else is still refused as before
    other = call_api(
        "POST", "/agents", user=alice, raw_body='{"type": "outreach"}', headers=SNS_CONTENT_TYPE
    )
    assert other.status == 415
    assert other.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        json.dumps({"Type": "Notification", "MessageId": "x"}),
        json.dumps({"Type": "Unknown"}),
    ],
)
def test_a_malformed_body_is_400_in_the_api_error_shape(
    call_api: Any, configure: Any, body: str
) -> None:
    configure("dev")

    response = post(call_api, body)

    assert response.status == 400
    assert response.json()["error"]["code"] == "malformed_sns_message"


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param(
            notification(
                cert_url="https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-a.pem"
            ),
            id="lookalike-certificate-host",
        ),
        pytest.param(notification(cert_url=CERT_URL.replace("https", "http")), id="http"),
        pytest.param(
            notification(topic_arn=TOPIC_ARN.replace("SesEventsTopic", "Other")), id="other-topic"
        ),
    ],
)
def test_an_untrusted_message_is_403_without_any_network_call(
    call_api: Any, configure: Any, envelope: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure("dev")
    signed = SigningIdentity().sign(envelope)

    with recorded_network_calls(monkeypatch) as calls:
        response = post(call_api, json.dumps(signed))

    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert calls == NetworkCalls(), "the webhook went to the network for an untrusted message"


def test_a_trusted_certificate_is_fetched_over_the_network_once(
    call_api: Any, configure: Any, local_sns: LocalSnsHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stage, whose SNS host serves the signing certificate
    configure("local")
    envelopes = [
        json.dumps(local_sns.identity.sign(notification(cert_url=local_sns.cert_url)))
        for _ in range(2)
    ]

    # When two notifications it signed arrive
    with recorded_network_calls(monkeypatch) as calls:
        answers = [post(call_api, envelope).status for envelope in envelopes]

    # Then the certificate was fetched from that host, once (the recorder sees real fetches,
    # so the test above would see one)
    assert answers == [200, 200]
    host, port = local_sns.address
    assert [address[:2] for address in calls.connections] == [(host, port)]


def test_locally_a_notification_signed_by_the_local_certificate_is_applied_once(
    call_api: Any, configure: Any, local_sns: LocalSnsHost, db_session: Session
) -> None:
    # Given the local stage and a hard bounce the local SNS signed
    configure("local")
    address = f"gone-{uuid.uuid4().hex[:10]}@example.com"
    bounce = ses_event("bounce_permanent", message_id=f"unknown-{uuid.uuid4()}", recipient=address)
    envelope = local_sns.identity.sign(notification(bounce, cert_url=local_sns.cert_url))

    # When it is posted, the address's suppression is lifted, and SNS posts it again
    first = post(call_api, json.dumps(envelope))
    was_suppressed = suppressed(db_session, address)
    db_session.execute(delete(EmailSuppression).where(EmailSuppression.address == address))
    db_session.commit()
    second = post(call_api, json.dumps(envelope))

    # Then both answers are 200, the event is stored once and the repeat changed nothing
    assert (first.status, second.status) == (200, 200), first.body
    assert first.json() == {
        "status": "applied",
        "type": "Notification",
        "message_id": envelope["MessageId"],
    }
    assert was_suppressed
    assert not suppressed(db_session, address)
    assert stored(db_session, envelope["MessageId"]) == 1


def suppressed(session: Session, address: str) -> bool:
    session.expire_all()
    query = select(EmailSuppression.id).where(EmailSuppression.address == address)
    return session.scalars(query).first() is not None


def test_in_a_deployed_stage_the_local_certificate_is_refused(
    call_api: Any, configure: Any, local_sns: LocalSnsHost, db_session: Session
) -> None:
    # Given a deployed stage with the local endpoint variable somehow set
    configure("dev")
    envelope = local_sns.identity.sign(notification(cert_url=local_sns.cert_url))
    fetched_before = len(local_sns.requests)

    response = post(call_api, json.dumps(envelope))

    # Then the local certificate is neither fetched nor trusted
    assert response.status == 403
    assert len(local_sns.requests) == fetched_before
    assert stored(db_session, envelope["MessageId"]) == 0


def test_locally_a_subscription_confirmation_visits_its_subscribe_url(
    call_api: Any, configure: Any, local_sns: LocalSnsHost
) -> None:
    configure("local")
    envelope = local_sns.identity.sign(
        subscription_confirmation(cert_url=local_sns.cert_url, subscribe_host=local_sns.endpoint)
    )

    response = post(call_api, json.dumps(envelope))

    assert response.status == 200, response.body
    assert response.json()["status"] == "confirmed"
    visits = [path for path in local_sns.requests if "Action=ConfirmSubscription" in path]
    assert visits == [envelope["SubscribeURL"].removeprefix(local_sns.endpoint.rsplit("/", 1)[0])]


def test_a_subscription_sns_cannot_confirm_is_502(
    call_api: Any, configure: Any, local_sns: LocalSnsHost
) -> None:
    # Given a confirmation whose SubscribeURL the SNS host answers with an error
    configure("local")
    envelope = local_sns.identity.sign(
        subscription_confirmation(
            cert_url=local_sns.cert_url, subscribe_host=local_sns.endpoint, token="refused"
        )
    )

    response = post(call_api, json.dumps(envelope))

    assert response.status == 502
    assert response.json()["error"]["code"] == "confirmation_failed"


def test_a_tampered_notification_is_403_and_not_applied(
    call_api: Any, configure: Any, local_sns: LocalSnsHost, db_session: Session
) -> None:
    # Given a notification the local SNS signed, whose event was changed in transit
    configure("local")
    envelope = local_sns.identity.sign(notification(cert_url=local_sns.cert_url))
    envelope["Message"] = envelope["Message"].replace("Delivery", "Bounce")

    response = post(call_api, json.dumps(envelope))

    assert response.status == 403
    assert stored(db_session, envelope["MessageId"]) == 0
