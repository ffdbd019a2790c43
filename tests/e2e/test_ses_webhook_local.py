"""The HTTPS way in for SES events, locally, through the real template.

With `SesWebhookSubscription=true` the template subscribes `POST /webhooks/ses` to the SES
events topic; the local SNS (`sns_https_extension`) confirms it, then posts whatever is
published to the topic, signed with the local certificate, while the SQS way in takes the
same message: it must count once.
"""

import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendry.db.models import SesEvent
from attendry_local.aws import local_client
from attendry_local.runtime import LocalRuntime
from tests.fixtures.sns import SES_DELIVERY_EVENT, SigningIdentity, notification
from tests.local.support import http, wait_until


def webhook_subscription(system: LocalRuntime) -> dict[str, Any]:
    listed = http("GET", f"{system.api_url}/_local/sns/subscriptions").json()
    (subscription,) = listed["subscriptions"]
    return dict(subscription)


def stored(db_session: Session, sns_message_id: str) -> int:
    db_session.expire_all()
    query = select(func.count()).where(SesEvent.sns_message_id == sns_message_id)
    return int(db_session.scalar(query) or 0)


def test_the_webhook_confirms_its_subscription_at_start(system: LocalRuntime) -> None:
    subscription = wait_until(
        lambda: (found := webhook_subscription(system))["status"] == "confirmed" and found
    )

    assert subscription["endpoint"] == f"{system.api_url}/webhooks/ses"
    assert subscription["topic_arn"] == system.stack.resource("SesEventsTopic").arn


def test_a_published_ses_event_reaches_the_webhook_signed_and_counts_once(
    system: LocalRuntime, db_session: Session
) -> None:
    # Given an SES event published to the SES events topic, as SES publishes it
    sns = local_client("sns", system.aws_endpoint, system.stack.addresses.region)
    event = {**SES_DELIVERY_EVENT, "mail": {**SES_DELIVERY_EVENT["mail"], "messageId": "x-1"}}
    published = sns.publish(
        TopicArn=system.stack.resource("SesEventsTopic").arn, Message=json.dumps(event)
    )
    message_id = published["MessageId"]

    # Then the webhook accepted it, signed by the local certificate (2xx, or it would be
    # retried and dropped)
    wait_until(lambda: message_id in webhook_subscription(system)["recently_delivered"])

    # And the event is stored once, though both ways in brought it
    wait_until(lambda: stored(db_session, message_id))
    assert stored(db_session, message_id) == 1


def test_a_message_not_signed_by_the_local_sns_is_refused(system: LocalRuntime) -> None:
    # Given a notification for the right topic, signed by a key that is not the local SNS's
    local_endpoint = f"{system.api_url}/_local/sns"
    envelope = SigningIdentity().sign(
        notification(
            topic_arn=system.stack.resource("SesEventsTopic").arn,
            cert_url=f"{local_endpoint}/SimpleNotificationService-{uuid.uuid4().hex}.pem",
        )
    )

    # When it is posted to the local API as SNS would
    response = http(
        "POST",
        f"{system.api_url}/webhooks/ses",
        headers={"content-type": "text/plain; charset=UTF-8"},
        body=json.dumps(envelope).encode(),
    )

    # Then it is refused
    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_message_the_webhook_refuses_is_dropped_not_retried(system: LocalRuntime) -> None:
    # Given a message on the topic that is not an SES event (the webhook answers 400)
    sns = local_client("sns", system.aws_endpoint, system.stack.addresses.region)
    dropped_before = webhook_subscription(system)["dropped"]
    sns.publish(TopicArn=system.stack.resource("SesEventsTopic").arn, Message="not json")

    # Then the local SNS drops it after that one answer, as SNS does with a 4xx
    wait_until(lambda: webhook_subscription(system)["dropped"] == dropped_before + 1)
    assert webhook_subscription(system)["retried"] == 0
