"""SNS signature verification with real keys and certificates made in the test."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attendry.core.clock import system_clock
from attendry.platform.sns_signature import (
    LOCAL_SIGNING_CERT_NAME,
    SnsMessage,
    SnsMessageError,
    SnsSignatureVerifier,
    SnsVerificationError,
    parse_sns_message,
    signing_cert_names,
    string_to_sign,
)
from tests.fixtures.sns import (
    CERT_URL,
    TOPIC_ARN,
    CertificateServer,
    SigningIdentity,
    notification,
    subscription_confirmation,
)

LOCAL_ENDPOINT = "http://127.0.0.1:3000/_local/sns"
LOCAL_CERT_URL = f"{LOCAL_ENDPOINT}/SimpleNotificationService-local.pem"


@pytest.fixture(scope="module")
def sns() -> SigningIdentity:
    return SigningIdentity()


@pytest.fixture
def server(sns: SigningIdentity) -> CertificateServer:
    return CertificateServer({CERT_URL: sns.pem})


@pytest.fixture
def verifier(server: CertificateServer) -> SnsSignatureVerifier:
    return SnsSignatureVerifier(server, clock=system_clock)


def parsed(envelope: dict[str, Any]) -> SnsMessage:
    return parse_sns_message(json.dumps(envelope))


def _signed_shape(envelope: dict[str, Any]) -> dict[str, Any]:
    """Every field a signed message has, so only what a case changes is wrong."""
    return {**envelope, "SignatureVersion": "2", "Signature": "eA=="}


NOTIFICATION = _signed_shape(notification())
CONFIRMATION = _signed_shape(subscription_confirmation())


# ---- the string to sign, checked against AWS's own examples


def test_notification_string_to_sign_is_the_documented_one() -> None:
    # Given the example Notification of AWS's "Verifying the signatures" page
    message = SnsMessage(
        type="Notification",
        message_id="4d4dc071-ddbf-465d-bba8-08f81c89da64",
        topic_arn="arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
        message="My Test Message",
        timestamp="2019-01-31T04:37:04.321Z",
        signature_version="1",
        signature="",
        signing_cert_url="",
        subject="My subject",
    )

    # Then the string to sign is the page's, byte for byte
    assert string_to_sign(message) == (
        b"Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        b"Subject\nMy subject\nTimestamp\n2019-01-31T04:37:04.321Z\n"
        b"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        b"Type\nNotification\n"
    )


def test_confirmation_string_to_sign_has_the_subscribe_url_and_token() -> None:
    message = SnsMessage(
        type="SubscriptionConfirmation",
        message_id="3d891288-136d-417f-bc05-901c108273ee",
        topic_arn="arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
        message="My Test Message",
        timestamp="2019-01-31T19:25:13.719Z",
        signature_version="1",
        signature="",
        signing_cert_url="",
        subscribe_url="https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&Token=233",
        token="233",
    )

    assert string_to_sign(message) == (
        b"Message\nMy Test Message\nMessageId\n3d891288-136d-417f-bc05-901c108273ee\n"
        b"SubscribeURL\nhttps://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription"
        b"&Token=233\nTimestamp\n2019-01-31T19:25:13.719Z\nToken\n233\n"
        b"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        b"Type\nSubscriptionConfirmation\n"
    )


# ---- valid signatures


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_message_signed_by_sns_verifies(
    sns: SigningIdentity, verifier: SnsSignatureVerifier, version: str
) -> None:
    # Given a notification signed with SHA1 (version 1) or SHA256 (version 2)
    message = parsed(sns.sign(notification(), version=version))

    # Then it verifies
    verifier.verify(message)


def test_a_subject_is_part_of_what_is_signed(
    sns: SigningIdentity, verifier: SnsSignatureVerifier
) -> None:
    signed = sns.sign(notification(subject="Amazon SES Email Event Notification"))
    verifier.verify(parsed(signed))

    with pytest.raises(SnsVerificationError):
        verifier.verify(parsed({**signed, "Subject": "Something else"}))


def test_escaped_control_characters_are_signed_as_their_characters(
    sns: SigningIdentity, verifier: SnsSignatureVerifier
) -> None:
    # Given a message whose text has a newline and non-ASCII text (escaped in the JSON)
    signed = sns.sign(notification({"eventType": "Bounce", "note": "line\nnext \u00e9\u2603"}))

    # Then it verifies once the JSON escapes are decoded
    verifier.verify(parsed(signed))


def test_a_subscription_confirmation_verifies(
    sns: SigningIdentity, verifier: SnsSignatureVerifier
) -> None:
    verifier.verify(parsed(sns.sign(subscription_confirmation())))


# ---- tampering and bad signatures


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Message", json.dumps({"eventType": "Delivery", "mail": {"messageId": "other"}})),
        ("MessageId", "00000000-0000-0000-0000-000000000000"),
        ("Timestamp", "2026-01-05T10:00:01.235Z"),
        ("Type", "SubscriptionConfirmation"),
    ],
)
def test_a_tampered_message_is_refused(
    sns: SigningIdentity, verifier: SnsSignatureVerifier, name: str, value: str
) -> None:
    signed = sns.sign(notification())
    tampered = {**signed, name: value}
    if name == "Type":
        tampered.update(SubscribeURL="https://sns.us-east-1.amazonaws.com/", Token="x")

    with pytest.raises(SnsVerificationError):
        verifier.verify(parsed(tampered))


def test_a_signature_from_another_key_is_refused(verifier: SnsSignatureVerifier) -> None:
    impostor = SigningIdentity()

    with pytest.raises(SnsVerificationError, match="does not match"):
        verifier.verify(parsed(impostor.sign(notification())))


def test_a_v1_signature_claimed_as_v2_is_refused(
    sns: SigningIdentity, verifier: SnsSignatureVerifier
) -> None:
    signed = sns.sign(notification(), version="1")

    with pytest.raises(SnsVerificationError):
        verifier.verify(parsed({**signed, "SignatureVersion": "2"}))


@pytest.mark.parametrize(
    ("name", "value"),
    [("SignatureVersion", "3"), ("Signature", "not base64!")],
)
def test_an_unsupported_version_or_unreadable_signature_is_refused(
    sns: SigningIdentity, verifier: SnsSignatureVerifier, name: str, value: str
) -> None:
    with pytest.raises(SnsVerificationError):
        verifier.verify(parsed({**sns.sign(notification()), name: value}))


# ---- where the certificate comes from


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem",
        "https://evil.com@sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc.pem",
        "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns-us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/abc.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem?x=1",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem#x",
        "https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.txt",
        "file:///etc/ssl/certs/sns.pem",
        "https://[sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        LOCAL_CERT_URL,
    ],
)
def test_a_certificate_url_off_the_regional_sns_host_is_refused_before_any_fetch(
    sns: SigningIdentity, url: str
) -> None:
    # Given a message whose certificate URL is anywhere but the topic region's SNS host,
    # served with SNS's own certificate so only the URL can be what is refused
    server = CertificateServer({url: sns.pem})
    verifier = SnsSignatureVerifier(server, clock=system_clock)

    # Then it is refused, and nothing is fetched
    with pytest.raises(SnsVerificationError, match="SigningCertURL"):
        verifier.verify(parsed(sns.sign(notification(cert_url=url))))
    assert server.calls == []


def test_a_china_region_topic_takes_its_certificate_from_the_china_host() -> None:
    topic = "arn:aws-cn:sns:cn-north-1:123456789012:ses-events"
    url = "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem"
    china = SigningIdentity(names=("sns-cn-north-1.amazonaws.com.cn",))
    verifier = SnsSignatureVerifier(CertificateServer({url: china.pem}), clock=system_clock)

    verifier.verify(parsed(china.sign(notification(topic_arn=topic, cert_url=url))))


def test_an_unreachable_certificate_is_refused(sns: SigningIdentity) -> None:
    verifier = SnsSignatureVerifier(CertificateServer(), clock=system_clock)

    with pytest.raises(SnsVerificationError, match="could not be fetched"):
        verifier.verify(parsed(sns.sign(notification())))


def test_the_certificate_is_fetched_once_then_cached(
    sns: SigningIdentity, server: CertificateServer, verifier: SnsSignatureVerifier
) -> None:
    # When three messages signed with the same certificate arrive
    for _ in range(3):
        verifier.verify(parsed(sns.sign(notification())))

    # Then the certificate was fetched once
    assert server.calls == [CERT_URL]


def test_the_cache_is_bounded(sns: SigningIdentity) -> None:
    # Given a cache of one and two certificate URLs
    other_url = CERT_URL.replace("9c6465fa", "11111111")
    server = CertificateServer({CERT_URL: sns.pem, other_url: sns.pem})
    verifier = SnsSignatureVerifier(server, cache_size=1, clock=system_clock)

    # When messages alternate between them
    for url in (CERT_URL, other_url, CERT_URL):
        verifier.verify(parsed(sns.sign(notification(cert_url=url))))

    # Then the least recently used one was forgotten and fetched again
    assert server.calls == [CERT_URL, other_url, CERT_URL]


# ---- the certificate itself


def test_an_expired_certificate_is_refused() -> None:
    expired = SigningIdentity(
        not_before=datetime.now(UTC) - timedelta(days=400),
        not_after=datetime.now(UTC) - timedelta(days=1),
    )
    verifier = SnsSignatureVerifier(CertificateServer({CERT_URL: expired.pem}), clock=system_clock)

    with pytest.raises(SnsVerificationError, match="expired"):
        verifier.verify(parsed(expired.sign(notification())))


def test_a_cached_certificate_that_expires_is_refused_from_then_on(
    sns: SigningIdentity, server: CertificateServer
) -> None:
    # Given a certificate cached while it was valid
    now = [datetime.now(UTC)]
    verifier = SnsSignatureVerifier(server, clock=lambda: now[0])
    verifier.verify(parsed(sns.sign(notification())))

    # When the clock passes its end
    now[0] = sns.not_after + timedelta(seconds=1)

    # Then it is refused, without a new fetch
    with pytest.raises(SnsVerificationError, match="expired"):
        verifier.verify(parsed(sns.sign(notification())))
    assert server.calls == [CERT_URL]


def test_a_certificate_is_valid_from_its_first_to_its_last_second(
    sns: SigningIdentity, server: CertificateServer
) -> None:
    # X.509 validity includes both bounds (RFC 5280, 4.1.2.5); certificates carry seconds
    now = [sns.not_before.replace(microsecond=0)]
    verifier = SnsSignatureVerifier(server, clock=lambda: now[0])
    verifier.verify(parsed(sns.sign(notification())))

    now[0] = sns.not_after.replace(microsecond=0)
    verifier.verify(parsed(sns.sign(notification())))


def test_a_certificate_not_yet_valid_is_refused() -> None:
    future = SigningIdentity(
        not_before=datetime.now(UTC) + timedelta(days=1),
        not_after=datetime.now(UTC) + timedelta(days=400),
    )
    verifier = SnsSignatureVerifier(CertificateServer({CERT_URL: future.pem}), clock=system_clock)

    with pytest.raises(SnsVerificationError, match="not yet valid"):
        verifier.verify(parsed(future.sign(notification())))


@pytest.mark.parametrize(
    "names",
    [("sns.amazonaws.com.evil.com",), ("example.com",), ("sns-signing.eu-west-1.amazonaws.com",)],
)
def test_a_certificate_that_does_not_name_sns_is_refused(names: tuple[str, ...]) -> None:
    # Given a certificate served from the right place that names someone else
    stranger = SigningIdentity(names=names)
    verifier = SnsSignatureVerifier(CertificateServer({CERT_URL: stranger.pem}), clock=system_clock)

    with pytest.raises(SnsVerificationError, match="does not belong to SNS"):
        verifier.verify(parsed(stranger.sign(notification())))


def test_an_opt_in_region_certificate_name_is_accepted() -> None:
    opt_in = SigningIdentity(names=("sns-signing.us-east-1.amazonaws.com",))
    verifier = SnsSignatureVerifier(CertificateServer({CERT_URL: opt_in.pem}), clock=system_clock)

    verifier.verify(parsed(opt_in.sign(notification())))


def test_a_certificate_without_alternative_names_is_named_by_its_common_name() -> None:
    legacy = SigningIdentity(with_alternative_names=False)
    verifier = SnsSignatureVerifier(CertificateServer({CERT_URL: legacy.pem}), clock=system_clock)

    verifier.verify(parsed(legacy.sign(notification())))


def test_a_body_that_is_not_a_certificate_is_refused() -> None:
    verifier = SnsSignatureVerifier(
        CertificateServer({CERT_URL: b"<html>hello</html>"}), clock=system_clock
    )

    with pytest.raises(SnsVerificationError, match="not a PEM"):
        verifier.verify(parsed(SigningIdentity().sign(notification())))


def test_expected_names_per_partition() -> None:
    assert signing_cert_names("eu-west-1", "aws") == {
        "sns.amazonaws.com",
        "sns-signing.eu-west-1.amazonaws.com",
    }
    assert signing_cert_names("cn-northwest-1", "aws-cn") == {"sns-cn-northwest-1.amazonaws.com.cn"}
    assert signing_cert_names("us-gov-east-1", "aws-us-gov") == {"sns-us-gov-west-1.amazonaws.com"}


# ---- the local stand-in


def test_the_local_certificate_is_trusted_only_where_a_local_endpoint_is_given() -> None:
    local = SigningIdentity(names=(LOCAL_SIGNING_CERT_NAME,))
    server = CertificateServer({LOCAL_CERT_URL: local.pem})
    message = parsed(local.sign(notification(cert_url=LOCAL_CERT_URL)))

    # Given a verifier told about the local endpoint, it verifies
    SnsSignatureVerifier(server, local_endpoint=LOCAL_ENDPOINT, clock=system_clock).verify(message)

    # And one that is not (a deployed stage) refuses it
    with pytest.raises(SnsVerificationError, match="SigningCertURL"):
        SnsSignatureVerifier(server, clock=system_clock).verify(message)


def test_the_local_endpoint_may_be_given_with_a_trailing_slash() -> None:
    local = SigningIdentity(names=(LOCAL_SIGNING_CERT_NAME,))
    server = CertificateServer({LOCAL_CERT_URL: local.pem})
    verifier = SnsSignatureVerifier(server, local_endpoint=f"{LOCAL_ENDPOINT}/", clock=system_clock)

    verifier.verify(parsed(local.sign(notification(cert_url=LOCAL_CERT_URL))))


def test_the_local_endpoint_does_not_vouch_for_an_sns_named_certificate(
    sns: SigningIdentity,
) -> None:
    # Given SNS's name served from the local endpoint (a local certificate must say local)
    server = CertificateServer({LOCAL_CERT_URL: sns.pem})
    verifier = SnsSignatureVerifier(server, local_endpoint=LOCAL_ENDPOINT, clock=system_clock)

    with pytest.raises(SnsVerificationError, match="does not belong"):
        verifier.verify(parsed(sns.sign(notification(cert_url=LOCAL_CERT_URL))))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3001/_local/sns/SimpleNotificationService-local.pem",
        "http://127.0.0.1:3000/_local/other/SimpleNotificationService-local.pem",
        "http://localhost:3000/_local/sns/SimpleNotificationService-local.pem",
        "https://127.0.0.1:3000/_local/sns/SimpleNotificationService-local.pem",
        "http://127.0.0.1:3000/_local/sns/nested/SimpleNotificationService-local.pem",
    ],
)
def test_only_the_local_endpoint_itself_is_local(url: str) -> None:
    local = SigningIdentity(names=(LOCAL_SIGNING_CERT_NAME,))
    server = CertificateServer({url: local.pem})
    verifier = SnsSignatureVerifier(server, local_endpoint=LOCAL_ENDPOINT, clock=system_clock)

    with pytest.raises(SnsVerificationError, match="SigningCertURL"):
        verifier.verify(parsed(local.sign(notification(cert_url=url))))
    assert server.calls == []


# ---- the SubscribeURL


def test_the_subscribe_url_of_the_regional_host_is_returned(
    verifier: SnsSignatureVerifier,
) -> None:
    envelope = _signed_shape(subscription_confirmation())

    assert verifier.subscribe_url(parsed(envelope)) == envelope["SubscribeURL"]


@pytest.mark.parametrize(
    "subscribe_url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription",
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/redirect?Action=ConfirmSubscription",
        "https://evil.com/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    ],
)
def test_a_subscribe_url_elsewhere_or_for_something_else_is_refused(
    verifier: SnsSignatureVerifier, subscribe_url: str
) -> None:
    envelope = _signed_shape(subscription_confirmation())
    query = envelope["SubscribeURL"].split("?", 1)[1].replace("Action=ConfirmSubscription&", "")
    envelope["SubscribeURL"] = f"{subscribe_url}&{query}"

    with pytest.raises(SnsVerificationError):
        verifier.subscribe_url(parsed(envelope))


def test_a_china_region_topic_confirms_at_the_china_host(verifier: SnsSignatureVerifier) -> None:
    topic = "arn:aws-cn:sns:cn-north-1:123456789012:ses-events"
    china = "https://sns.cn-north-1.amazonaws.com.cn"
    envelope = _signed_shape(subscription_confirmation(topic_arn=topic, subscribe_host=china))

    assert verifier.subscribe_url(parsed(envelope)) == envelope["SubscribeURL"]
    commercial = "https://sns.cn-north-1.amazonaws.com"
    elsewhere = _signed_shape(subscription_confirmation(topic_arn=topic, subscribe_host=commercial))
    with pytest.raises(SnsVerificationError):
        verifier.subscribe_url(parsed(elsewhere))


def test_a_subscribe_url_for_another_topic_or_token_is_refused(
    verifier: SnsSignatureVerifier,
) -> None:
    envelope = _signed_shape(subscription_confirmation())

    with pytest.raises(SnsVerificationError, match="does not confirm"):
        verifier.subscribe_url(parsed({**envelope, "Token": "another-token"}))


# ---- malformed bodies


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        b"\xff\xfe",
        json.dumps({**NOTIFICATION, "Type": "Surprise"}),
        json.dumps({key: v for key, v in NOTIFICATION.items() if key != "MessageId"}),
        json.dumps({key: v for key, v in NOTIFICATION.items() if key != "Signature"}),
        json.dumps({**NOTIFICATION, "Message": {"eventType": "Delivery"}}),
        json.dumps({**NOTIFICATION, "Message": ""}),
        json.dumps({**NOTIFICATION, "TopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}),
        json.dumps({**NOTIFICATION, "Subject": 5}),
        json.dumps({key: v for key, v in CONFIRMATION.items() if key != "SubscribeURL"}),
        json.dumps({key: v for key, v in CONFIRMATION.items() if key != "Token"}),
    ],
)
def test_a_body_that_is_not_an_sns_message_is_malformed(body: str | bytes) -> None:
    with pytest.raises(SnsMessageError):
        parse_sns_message(body)


def test_the_topic_is_parsed_for_its_region() -> None:
    message = parsed(NOTIFICATION)

    assert (message.topic_arn, message.region, message.partition) == (TOPIC_ARN, "us-east-1", "aws")
