"""SNS's HTTPS deliveries, locally: each HTTPS subscription of the template gets what SNS
would post to it, signed, confirmation first.

moto keeps HTTP(S) subscriptions but delivers to them itself: inside the Publish call (a
slow or absent endpoint stalls or fails whoever published), with no
SubscriptionConfirmation, and signed with a certificate it claims is on the real
`sns.<region>.amazonaws.com`. So this extension takes those deliveries over:

- In moto, each HTTPS subscription is replaced by an SQS subscription of a queue of its
  own (`<stack>-SnsHttps-<logical id>`). That is how it learns of every publish: SNS's
  own fan-out, so nothing published is missed while the endpoint is slow or down, and
  each message keeps the id every other subscriber of the topic sees (the SQS way in
  and the webhook agree on it, as on AWS). The subscription's filter policy carries over.
- A sender thread per subscription posts a SubscriptionConfirmation first and forwards
  notifications only once the endpoint has visited its SubscribeURL, as SNS does. Each
  queued message then goes out in SNS's envelope and headers, signed (SignatureVersion 2)
  with a key made at start. A 2xx answer deletes it; a 5xx or no answer leaves it to be
  retried a few seconds later, up to SNS's default of three retries; a 4xx drops it, as
  SNS never retries those.
- `/_local/sns/` stands in for the SNS host: the signing certificate at
  `/_local/sns/<name>.pem`, SubscribeURLs at `/_local/sns/?Action=ConfirmSubscription&...`,
  and what each subscription has done at `GET /_local/sns/subscriptions`. Functions learn
  the address from `SNS_LOCAL_ENDPOINT`; the webhook trusts it only when STAGE is local.
"""

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
from typing import TYPE_CHECKING, Any
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
from attendry_local.apigw import HttpResponse, json_response
from attendry_local.aws import local_client
from attendry_local.local_routes import LocalRequest, LocalRouteError
from attendry_local.stack import LocalStack

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

log = logging.getLogger(__name__)

LOCAL_SNS_PATH = "/_local/sns"
_HTTP_PROTOCOLS = ("http", "https")
RETRY_DELAY_S = 2
MAX_ATTEMPTS = 4  # the first delivery and SNS's default three retries
CONFIRMATION_RESEND_S = 5.0
POST_TIMEOUT_S = 15.0  # SNS's own HTTP delivery timeout
RECEIVE_WAIT_S = 1
_STOP_JOIN_S = POST_TIMEOUT_S + RECEIVE_WAIT_S + 2
_USER_AGENT = "Amazon Simple Notification Service Agent"


def local_sns_endpoint(api_url: str) -> str:
    """Where the local SNS host is served, given the local HTTP API's URL."""
    return f"{api_url.rstrip('/')}{LOCAL_SNS_PATH}"


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


def https_subscriptions(stack: LocalStack) -> list[HttpsSubscription]:
    """Every HTTP(S) subscription: `AWS::SNS::Subscription`s and topics' inline lists."""
    found: list[HttpsSubscription] = []
    for logical_id in stack.logical_ids("AWS::SNS::Subscription"):
        properties = stack.properties(logical_id)
        protocol = str(properties.get("Protocol", "")).lower()
        if protocol in _HTTP_PROTOCOLS:
            filters = {
                name: value if isinstance(value, str) else json.dumps(value)
                for name, value in properties.items()
                if name in ("FilterPolicy", "FilterPolicyScope")
            }
            found.append(
                HttpsSubscription(
                    logical_id,
                    str(properties["TopicArn"]),
                    protocol,
                    str(properties["Endpoint"]),
                    filters,
                )
            )
    for logical_id in stack.logical_ids("AWS::SNS::Topic"):
        inline = stack.properties(logical_id).get("Subscription") or []
        for index, subscription in enumerate(inline):
            protocol = str(subscription.get("Protocol", "")).lower()
            if protocol in _HTTP_PROTOCOLS:
                topic_arn = str(stack.resource(logical_id).arn)
                found.append(
                    HttpsSubscription(
                        f"{logical_id}Subscription{index}",
                        topic_arn,
                        protocol,
                        str(subscription["Endpoint"]),
                    )
                )
    return found


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


class LocalSnsHttps:
    """The extension's state: the signer, each subscription's sender, and their routes."""

    def __init__(self, runtime: "LocalRuntime") -> None:
        addresses = runtime.stack.addresses
        self._api_url = runtime.api_url
        self._sns = local_client("sns", addresses.aws_endpoint, addresses.region)
        self._sqs = local_client("sqs", addresses.aws_endpoint, addresses.region)
        self._stack = runtime.stack
        self.signer = LocalSigner()
        self.endpoint = local_sns_endpoint(runtime.api_url)
        self.deliveries: list[HttpsDelivery] = []
        self._sqs_subscriptions: list[str] = []
        self._queues: list[str] = []

    def start(self) -> None:
        for subscription in https_subscriptions(self._stack):
            self._take_over(subscription)
        for delivery in self.deliveries:
            delivery.start()

    def stop(self) -> None:
        for delivery in self.deliveries:
            delivery.stop()
        for subscription_arn in self._sqs_subscriptions:
            self._sns.unsubscribe(SubscriptionArn=subscription_arn)
        for queue_url in self._queues:
            self._sqs.delete_queue(QueueUrl=queue_url)

    def _take_over(self, subscription: HttpsSubscription) -> None:
        """Stop moto delivering to the endpoint itself; fan out to a queue of ours instead."""
        self._unsubscribe_in_moto(subscription)
        if not subscription.endpoint.startswith(self._api_url + "/"):
            log.warning(
                "%s: %s is not this runtime's API; nothing is delivered to it locally",
                subscription.logical_id,
                subscription.endpoint,
            )
            return
        name = f"{self._stack.addresses.stack_name}-SnsHttps-{subscription.logical_id}"[:80]
        queue_url = self._sqs.create_queue(
            QueueName=name, Attributes={"VisibilityTimeout": str(RETRY_DELAY_S)}
        )["QueueUrl"]
        self._sqs.purge_queue(QueueUrl=queue_url)
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        created = self._sns.subscribe(
            TopicArn=subscription.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes=subscription.filter_attributes,
            ReturnSubscriptionArn=True,
        )
        self._sqs_subscriptions.append(created["SubscriptionArn"])
        self._queues.append(queue_url)
        self.deliveries.append(
            HttpsDelivery(
                subscription,
                queue_url=queue_url,
                sqs=self._sqs,
                signer=self.signer,
                sns_endpoint=self.endpoint,
            )
        )

    def _unsubscribe_in_moto(self, subscription: HttpsSubscription) -> None:
        pages = self._sns.get_paginator("list_subscriptions_by_topic").paginate(
            TopicArn=subscription.topic_arn
        )
        for page in pages:
            for existing in page.get("Subscriptions", []):
                if (existing["Protocol"], existing["Endpoint"]) == (
                    subscription.protocol,
                    subscription.endpoint,
                ):
                    self._sns.unsubscribe(SubscriptionArn=existing["SubscriptionArn"])

    # The local SNS host's routes.

    def certificate(self, request: LocalRequest) -> HttpResponse:
        if request.path_parameters.get("name") != self.signer.file_name:
            raise LocalRouteError(404, "No such signing certificate")
        return HttpResponse(200, [("content-type", "application/x-pem-file")], self.signer.pem)

    def action(self, request: LocalRequest) -> HttpResponse:
        """The SubscribeURL: `?Action=ConfirmSubscription&TopicArn=...&Token=...`."""
        if request.query.get("Action") != "ConfirmSubscription":
            raise LocalRouteError(400, "Only ConfirmSubscription is served by the local SNS")
        for delivery in self.deliveries:
            if secrets.compare_digest(
                delivery.token, request.query.get("Token", "")
            ) and delivery.subscription.topic_arn == request.query.get("TopicArn"):
                delivery.confirmed.set()
                body = (
                    '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                    "<ConfirmSubscriptionResult><SubscriptionArn>"
                    f"{delivery.subscription_arn}"
                    "</SubscriptionArn></ConfirmSubscriptionResult>"
                    "</ConfirmSubscriptionResponse>"
                )
                return HttpResponse(200, [("content-type", "text/xml")], body.encode())
        raise LocalRouteError(404, "No pending subscription has this token")

    def subscriptions(self, request: LocalRequest) -> HttpResponse:
        return json_response(
            200,
            {
                "signing_cert_url": f"{self.endpoint}/{self.signer.file_name}",
                "subscriptions": [delivery.describe() for delivery in self.deliveries],
            },
        )


def sns_https_extension(runtime: "LocalRuntime") -> None:
    """A LocalRuntime extension: `LocalRuntime(..., extensions=[sns_https_extension])`."""
    local_sns = LocalSnsHttps(runtime)
    routes = runtime.local_routes
    routes.add("GET", f"{LOCAL_SNS_PATH}/subscriptions", local_sns.subscriptions)
    routes.add("GET", f"{LOCAL_SNS_PATH}/", local_sns.action)
    routes.add("GET", f"{LOCAL_SNS_PATH}/{{name}}", local_sns.certificate)
    runtime.on_stop(local_sns.stop)
    local_sns.start()
