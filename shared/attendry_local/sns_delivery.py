"""One HTTPS subscription's sender, as SNS delivers: confirmation first, then each queued
message in SNS's envelope and headers, signed with the local key; retried on a 5xx or no
answer, dropped on a 4xx (`attendry_local.sns_https` describes the whole)."""

import base64
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from attendry.platform.sns_signature import (
    LOCAL_SIGNING_CERT_NAME,
    NOTIFICATION,
    SUBSCRIPTION_CONFIRMATION,
    SnsMessage,
    string_to_sign,
)

log = logging.getLogger(__name__)

RETRY_DELAY_S = 2
MAX_ATTEMPTS = 4  # the first delivery and SNS's default three retries
CONFIRMATION_RESEND_S = 5.0
POST_TIMEOUT_S = 15.0  # SNS's own HTTP delivery timeout
RECEIVE_WAIT_S = 1
_STOP_JOIN_S = POST_TIMEOUT_S + RECEIVE_WAIT_S + 2
_USER_AGENT = "Amazon Simple Notification Service Agent"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LocalSigner:
    """The local SNS's signing key and self-signed certificate, made once per runtime.

    In memory only: a restart makes a new pair under a new file name, so no webhook can
    hold a cached certificate for a key that is gone.
    """

    def __init__(self, now: datetime | None = None) -> None:
        moment = now or datetime.now(UTC)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOCAL_SIGNING_CERT_NAME)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(moment - timedelta(minutes=5))
            .not_valid_after(moment + timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(LOCAL_SIGNING_CERT_NAME)]),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()[:32]
        self.file_name = f"SimpleNotificationService-{fingerprint}.pem"

    def sign(self, fields: dict[str, Any]) -> str:
        """SignatureVersion 2 (SHA256withRSA) over the string SNS signs for these fields."""
        message = SnsMessage(
            type=fields["Type"],
            message_id=fields["MessageId"],
            topic_arn=fields["TopicArn"],
            message=fields["Message"],
            timestamp=fields["Timestamp"],
            signature_version="2",
            signature="",
            signing_cert_url=fields["SigningCertURL"],
            subject=fields.get("Subject"),
            subscribe_url=fields.get("SubscribeURL"),
            token=fields.get("Token"),
        )
        signature = self._key.sign(string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


@dataclass(frozen=True)
class HttpsSubscription:
    """An HTTP(S) subscription the template declares, resolved to local values."""

    logical_id: str
    topic_arn: str
    protocol: str
    endpoint: str
    filter_attributes: dict[str, str] = field(default_factory=dict)


RECENT_DELIVERIES = 20


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retried: int = 0
    dropped: int = 0
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_DELIVERIES))


class HttpsDelivery:
    """One subscription's sender: confirmation first, then each queued message, signed."""

    def __init__(
        self,
        subscription: HttpsSubscription,
        *,
        queue_url: str,
        sqs: Any,
        signer: LocalSigner,
        sns_endpoint: str,
    ) -> None:
        self.subscription = subscription
        self.subscription_arn = f"{subscription.topic_arn}:{uuid.uuid4()}"
        self.token = secrets.token_hex(64)
        self.confirmed = threading.Event()
        self.counts = DeliveryCounts()
        self._queue_url = queue_url
        self._sqs = sqs
        self._signer = signer
        self._sns_endpoint = sns_endpoint
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sns-https-{subscription.logical_id}", daemon=True
        )

    @property
    def cert_url(self) -> str:
        return f"{self._sns_endpoint}/{self._signer.file_name}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(_STOP_JOIN_S)

    def describe(self) -> dict[str, Any]:
        return {
            "logical_id": self.subscription.logical_id,
            "topic_arn": self.subscription.topic_arn,
            "endpoint": self.subscription.endpoint,
            "subscription_arn": self.subscription_arn,
            "status": "confirmed" if self.confirmed.is_set() else "pending_confirmation",
            "delivered": self.counts.delivered,
            "retried": self.counts.retried,
            "dropped": self.counts.dropped,
            "recently_delivered": list(self.counts.recent),
        }

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self.confirmed.is_set():
                    self._forward_batch()
                else:
                    self._request_confirmation()
            except Exception:
                log.exception("%s: delivery failed", self.subscription.logical_id)
                self._stopping.wait(RETRY_DELAY_S)

    def _request_confirmation(self) -> None:
        topic_arn = self.subscription.topic_arn
        query = urlencode(
            {"Action": "ConfirmSubscription", "TopicArn": topic_arn, "Token": self.token}
        )
        fields: dict[str, Any] = {
            "Type": SUBSCRIPTION_CONFIRMATION,
            "MessageId": str(uuid.uuid4()),
            "Token": self.token,
            "TopicArn": topic_arn,
            "Message": (
                f"You have chosen to subscribe to the topic {topic_arn}.\n"
                "To confirm the subscription, visit the SubscribeURL included in this message."
            ),
            "SubscribeURL": f"{self._sns_endpoint}/?{query}",
            "Timestamp": _timestamp(datetime.now(UTC)),
        }
        status = self._post(fields)
        if not self.confirmed.is_set():
            log.info(
                "%s: SubscriptionConfirmation answered %s, not confirmed yet",
                self.subscription.logical_id,
                status,
            )
            self._stopping.wait(CONFIRMATION_RESEND_S)

    def _forward_batch(self) -> None:
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=RECEIVE_WAIT_S,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        for item in received:
            if self._stopping.is_set():
                return
            self._forward(item)

    def _forward(self, item: dict[str, Any]) -> None:
        try:
            published = json.loads(item["Body"])
            fields = self._notification(published)
        except (ValueError, KeyError, TypeError):
            log.exception("%s: not an SNS envelope, dropped", self.subscription.logical_id)
            self._done(item, dropped=True)
            return
        status = self._post(fields)
        attempts = int(item.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if status is not None and 200 <= status < 300:
            self.counts.delivered += 1
            self.counts.recent.append(fields["MessageId"])
            self._done(item)
        elif status is not None and 400 <= status < 500:
            log.warning(
                "%s: %s answered %s to %s; SNS does not retry a client error, dropped",
                self.subscription.logical_id,
                self.subscription.endpoint,
                status,
                fields["MessageId"],
            )
            self._done(item, dropped=True)
        elif attempts >= MAX_ATTEMPTS:
            log.warning(
                "%s: %s failed %d times (last: %s), dropped as SNS would",
                self.subscription.logical_id,
                fields["MessageId"],
                attempts,
                status,
            )
            self._done(item, dropped=True)
        else:
            self.counts.retried += 1

    def _done(self, item: dict[str, Any], *, dropped: bool = False) -> None:
        if dropped:
            self.counts.dropped += 1
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=item["ReceiptHandle"])

    def _notification(self, published: dict[str, Any]) -> dict[str, Any]:
        """SNS's HTTP envelope of a message moto fanned out to this subscription's queue."""
        fields: dict[str, Any] = {
            "Type": NOTIFICATION,
            "MessageId": published["MessageId"],
            "TopicArn": published["TopicArn"],
        }
        if published.get("Subject"):
            fields["Subject"] = published["Subject"]
        fields["Message"] = published["Message"]
        fields["Timestamp"] = published["Timestamp"]
        fields["UnsubscribeURL"] = f"{self._sns_endpoint}/?" + urlencode(
            {"Action": "Unsubscribe", "SubscriptionArn": self.subscription_arn}
        )
        if published.get("MessageAttributes"):
            fields["MessageAttributes"] = published["MessageAttributes"]
        return fields

    def _post(self, fields: dict[str, Any]) -> int | None:
        """POST the signed envelope as SNS does; the status, or None if nothing answered."""
        fields = {**fields, "SignatureVersion": "2", "SigningCertURL": self.cert_url}
        fields["Signature"] = self._signer.sign(fields)
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": _USER_AGENT,
            "x-amz-sns-message-type": fields["Type"],
            "x-amz-sns-message-id": fields["MessageId"],
            "x-amz-sns-topic-arn": fields["TopicArn"],
        }
        if fields["Type"] == NOTIFICATION:
            headers["x-amz-sns-subscription-arn"] = self.subscription_arn
        request = urllib.request.Request(  # noqa: S310 - the template's own endpoint
            self.subscription.endpoint,
            data=json.dumps(fields).encode(),
            method="POST",
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError as error:
            log.info(
                "%s: %s did not answer: %s",
                self.subscription.logical_id,
                self.subscription.endpoint,
                error,
            )
            return None
