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

import json
import logging
import secrets
from typing import TYPE_CHECKING

from attendry_local.apigw import HttpResponse, json_response
from attendry_local.aws import local_client
from attendry_local.local_routes import LocalRequest, LocalRouteError
from attendry_local.sns_delivery import RETRY_DELAY_S, HttpsDelivery, HttpsSubscription, LocalSigner
from attendry_local.stack import LocalStack

if TYPE_CHECKING:
    from attendry_local.runtime import LocalRuntime

log = logging.getLogger(__name__)

LOCAL_SNS_PATH = "/_local/sns"
_HTTP_PROTOCOLS = ("http", "https")


def local_sns_endpoint(api_url: str) -> str:
    """Where the local SNS host is served, given the local HTTP API's URL."""
    return f"{api_url.rstrip('/')}{LOCAL_SNS_PATH}"


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
