"""The webhook's use case: which messages it applies, confirms or refuses, and in what order."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from attendry.core.clock import system_clock
from attendry.delivery.parsing import MalformedSesEventError
from attendry.delivery.webhook import (
    SesWebhook,
    SesWebhookSettings,
    SubscriptionConfirmationError,
)
from attendry.delivery.webhook_schemas import WebhookAction
from attendry.platform.sns_signature import (
    SnsMessageError,
    SnsSignatureVerifier,
    SnsVerificationError,
)
from tests.fixtures.sns import (
    CERT_URL,
    SES_DELIVERY_EVENT,
    TOPIC_ARN,
    CertificateServer,
    SigningIdentity,
    notification,
    subscription_confirmation,
)

RECEIVED_AT = datetime(2026, 1, 5, 10, 0, 2, tzinfo=UTC)


class Recorder:
    """Records calls in place of a collaborator; `fail` makes it raise instead."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail = fail

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)
        if self.fail is not None:
            raise self.fail


@pytest.fixture(scope="module")
def sns() -> SigningIdentity:
    return SigningIdentity()


@pytest.fixture
def server(sns: SigningIdentity) -> CertificateServer:
    return CertificateServer({CERT_URL: sns.pem})


@pytest.fixture
def applied() -> Recorder:
    return Recorder()


@pytest.fixture
def confirmed() -> Recorder:
    return Recorder()


@pytest.fixture
def webhook(server: CertificateServer, applied: Recorder, confirmed: Recorder) -> SesWebhook:
    return SesWebhook(
        verifier=SnsSignatureVerifier(server, clock=system_clock),
        allowed_topics=frozenset({TOPIC_ARN}),
        confirm=confirmed,
        apply=applied,
        clock=lambda: RECEIVED_AT,
    )


def test_a_notification_is_applied_with_its_sns_message_id(
    sns: SigningIdentity, webhook: SesWebhook, applied: Recorder
) -> None:
    # Given a signed notification carrying an SES Delivery event
    envelope = sns.sign(notification())

    # When it is received
    outcome = webhook.receive(json.dumps(envelope))

    # Then its event is applied once, keyed by the SNS message id, at the time received
    assert outcome.action == WebhookAction.APPLIED
    assert applied.calls == [(envelope["MessageId"], SES_DELIVERY_EVENT, RECEIVED_AT)]


def test_a_subscription_confirmation_visits_its_subscribe_url_once(
    sns: SigningIdentity, webhook: SesWebhook, confirmed: Recorder, applied: Recorder
) -> None:
    envelope = sns.sign(subscription_confirmation())

    outcome = webhook.receive(json.dumps(envelope))

    assert outcome.action == WebhookAction.CONFIRMED
    assert confirmed.calls == [(envelope["SubscribeURL"],)]
    assert applied.calls == []


def test_an_unsubscribe_confirmation_is_noted_and_nothing_else(
    sns: SigningIdentity, webhook: SesWebhook, confirmed: Recorder, applied: Recorder
) -> None:
    envelope = sns.sign(subscription_confirmation(message_type="UnsubscribeConfirmation"))

    outcome = webhook.receive(json.dumps(envelope))

    assert outcome.action == WebhookAction.IGNORED
    assert confirmed.calls == applied.calls == []


def test_a_confirmation_with_a_subscribe_url_elsewhere_is_not_visited(
    sns: SigningIdentity, webhook: SesWebhook, confirmed: Recorder
) -> None:
    # Given a confirmation SNS signed whose SubscribeURL points off the SNS host
    envelope = sns.sign(subscription_confirmation(subscribe_host="https://evil.example"))

    with pytest.raises(SnsVerificationError):
        webhook.receive(json.dumps(envelope))
    assert confirmed.calls == []


def test_a_confirmation_sns_cannot_take_is_a_confirmation_error(
    sns: SigningIdentity, server: CertificateServer, applied: Recorder
) -> None:
    webhook = SesWebhook(
        verifier=SnsSignatureVerifier(server, clock=system_clock),
        allowed_topics=frozenset({TOPIC_ARN}),
        confirm=Recorder(fail=TimeoutError("timed out")),
        apply=applied,
        clock=system_clock,
    )

    with pytest.raises(SubscriptionConfirmationError, match="timed out"):
        webhook.receive(json.dumps(sns.sign(subscription_confirmation())))


def test_another_topic_is_refused_before_any_fetch(
    sns: SigningIdentity, webhook: SesWebhook, server: CertificateServer, applied: Recorder
) -> None:
    # Given a correctly signed message of a topic the API was not configured with
    other_topic = TOPIC_ARN.replace("SesEventsTopic", "SomeoneElsesTopic")
    envelope = sns.sign(notification(topic_arn=other_topic))

    with pytest.raises(SnsVerificationError, match="not one this API accepts"):
        webhook.receive(json.dumps(envelope))
    assert server.calls == []
    assert applied.calls == []


def test_a_bad_signature_is_refused_and_nothing_applied(
    sns: SigningIdentity, webhook: SesWebhook, applied: Recorder
) -> None:
    envelope = sns.sign(notification())
    envelope["Message"] = json.dumps({**SES_DELIVERY_EVENT, "eventType": "Bounce"})

    with pytest.raises(SnsVerificationError):
        webhook.receive(json.dumps(envelope))
    assert applied.calls == []


@pytest.mark.parametrize("message", ["not json", "[1]"])
def test_a_signed_notification_whose_message_is_not_an_object_is_malformed(
    sns: SigningIdentity, webhook: SesWebhook, message: str
) -> None:
    envelope = sns.sign({**notification(), "Message": message})

    with pytest.raises(SnsMessageError, match="Message"):
        webhook.receive(json.dumps(envelope))


def test_an_event_the_processing_refuses_is_malformed(
    sns: SigningIdentity, server: CertificateServer
) -> None:
    webhook = SesWebhook(
        verifier=SnsSignatureVerifier(server, clock=system_clock),
        allowed_topics=frozenset({TOPIC_ARN}),
        apply=Recorder(fail=MalformedSesEventError("Not an SES event record: eventType")),
        clock=system_clock,
    )

    with pytest.raises(SnsMessageError, match="eventType"):
        webhook.receive(json.dumps(sns.sign(notification({"hello": "world"}))))


def test_a_failure_to_apply_is_left_to_raise_so_sns_retries(
    sns: SigningIdentity, server: CertificateServer
) -> None:
    webhook = SesWebhook(
        verifier=SnsSignatureVerifier(server, clock=system_clock),
        allowed_topics=frozenset({TOPIC_ARN}),
        apply=Recorder(fail=ConnectionError("database away")),
        clock=system_clock,
    )

    with pytest.raises(ConnectionError):
        webhook.receive(json.dumps(sns.sign(notification())))


def test_settings_read_the_topic_list_and_trust_the_local_endpoint_only_locally() -> None:
    endpoint = "http://127.0.0.1:3000/_local/sns"
    arns = f" {TOPIC_ARN} , arn:aws:sns:eu-west-1:123456789012:other,"

    local = SesWebhookSettings(
        SES_EVENTS_TOPIC_ARNS=arns, STAGE="local", SNS_LOCAL_ENDPOINT=endpoint
    )
    deployed = SesWebhookSettings(
        SES_EVENTS_TOPIC_ARNS=arns, STAGE="dev", SNS_LOCAL_ENDPOINT=endpoint
    )
    unset = SesWebhookSettings(SNS_LOCAL_ENDPOINT=endpoint)

    assert local.allowed_topics() == {TOPIC_ARN, "arn:aws:sns:eu-west-1:123456789012:other"}
    assert local.local_endpoint() == endpoint
    assert deployed.local_endpoint() is None
    assert unset.local_endpoint() is None
    assert unset.allowed_topics() == frozenset()
