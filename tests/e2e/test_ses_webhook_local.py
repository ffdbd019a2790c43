"""The HTTPS way in for SES events, locally, through the real template.

With `SesWebhookSubscription=true` the template subscribes `POST /webhooks/ses` to the SES
events topic; the local SNS (`sns_https_extension`) confirms it, then posts whatever is
published to the topic, signed with the local certificate, while the SQS way in takes the
same message: it must count once, and a later repeat of it must change nothing.
"""

import json
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from attendry.db.enums import DeliveryStatus
from attendry.db.models import EmailSuppression, Notification, OutreachSent, SesEvent
from attendry_local.aws import local_client
from attendry_local.runtime import LocalRuntime
from tests.fixtures.local_runtime import http, wait_until
from tests.fixtures.ses import ses_event, sns_envelope
from tests.fixtures.sns import SigningIdentity, notification
from tests.fixtures.worlds import make_world, now_utc


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
    system: LocalRuntime, db_session: Session, user_id: str
) -> None:
    # Given an email of the user's, and its hard bounce published to the SES events topic
    # as SES publishes it
    world = make_world(db_session, user_id, now=now_utc(), tokens=10, bounced=False)
    sent = db_session.get(OutreachSent, world.sent_id)
    assert sent is not None
    assert sent.ses_message_id is not None
    assert sent.recipient_email is not None
    address = sent.recipient_email
    event = ses_event(
        "bounce_permanent", message_id=sent.ses_message_id, sent_id=sent.id, recipient=address
    )
    sns = local_client("sns", system.aws_endpoint, system.stack.addresses.region)
    published = sns.publish(
        TopicArn=system.stack.resource("SesEventsTopic").arn, Message=json.dumps(event)
    )
    message_id = published["MessageId"]

    # Then the webhook accepted it, signed by the local certificate (2xx, or it would be
    # retried and dropped), and the SQS way in took it too
    wait_until(lambda: message_id in webhook_subscription(system)["recently_delivered"])
    wait_until(lambda: ses_events_queue_is_empty(system))

    # And it counted once though both ways brought it: stored once, the email bounced,
    # the user told once, the address suppressed
    assert stored(db_session, message_id) == 1
    db_session.refresh(sent)
    assert sent.delivery_status is DeliveryStatus.BOUNCED
    assert told(db_session, user_id) == 1
    assert suppressed(db_session, address)

    # And once the suppression is lifted, SNS delivering the notification again (the SQS
    # way) changes nothing: a bounce applied again would suppress the address again
    db_session.execute(delete(EmailSuppression).where(EmailSuppression.address == address))
    db_session.commit()
    sqs = local_client("sqs", system.aws_endpoint, system.stack.addresses.region)
    sqs.send_message(
        QueueUrl=system.stack.resource("SesEventsQueue").url,
        MessageBody=sns_envelope(event, sns_message_id=message_id),
    )
    wait_until(lambda: ses_events_queue_is_empty(system))
    assert not suppressed(db_session, address)
    assert told(db_session, user_id) == 1
    assert stored(db_session, message_id) == 1


def ses_events_queue_is_empty(system: LocalRuntime) -> bool:
    """Nothing waiting and nothing in flight: every message was handled and deleted."""
    sqs = local_client("sqs", system.aws_endpoint, system.stack.addresses.region)
    attributes = sqs.get_queue_attributes(
        QueueUrl=system.stack.resource("SesEventsQueue").url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def told(db_session: Session, user_id: str) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.kind == "email.bounced"
    )
    return int(db_session.scalar(query) or 0)


def suppressed(db_session: Session, address: str) -> bool:
    db_session.expire_all()
    query = select(EmailSuppression.id).where(EmailSuppression.address == address)
    return db_session.scalars(query).first() is not None


def test_a_message_not_signed_by_the_local_sns_is_refused(
    system: LocalRuntime, db_session: Session
) -> None:
    # Given a notification for the right topic, naming the certificate the local SNS
    # really serves, but signed by another key
    cert_url = http("GET", f"{system.api_url}/_local/sns/subscriptions").json()["signing_cert_url"]
    assert http("GET", cert_url).status == 200
    envelope = SigningIdentity().sign(
        notification(topic_arn=system.stack.resource("SesEventsTopic").arn, cert_url=cert_url)
    )

    # When it is posted to the local API as SNS would
    response = http(
        "POST",
        f"{system.api_url}/webhooks/ses",
        headers={"content-type": "text/plain; charset=UTF-8"},
        body=json.dumps(envelope).encode(),
    )

    # Then its signature is checked against that certificate and refused: nothing stored
    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert stored(db_session, envelope["MessageId"]) == 0


def test_a_message_the_webhook_refuses_is_dropped_not_retried(system: LocalRuntime) -> None:
    # Given a message on the topic that is not an SES event (the webhook answers 400)
    sns = local_client("sns", system.aws_endpoint, system.stack.addresses.region)
    dropped_before = webhook_subscription(system)["dropped"]
    sns.publish(TopicArn=system.stack.resource("SesEventsTopic").arn, Message="not json")

    # Then the local SNS drops it after that one answer, as SNS does with a 4xx
    wait_until(lambda: webhook_subscription(system)["dropped"] == dropped_before + 1)
    assert webhook_subscription(system)["retried"] == 0
