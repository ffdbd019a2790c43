"""SES event records and the SNS envelopes that carry them, as AWS documents them.

Formats: "Contents of event data that Amazon SES publishes to Amazon SNS"
(https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html),
"Examples of event data that Amazon SES publishes to Amazon SNS"
(https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html)
and "HTTP/HTTPS notification JSON format"
(https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html).

The models are lenient where SES adds fields over time (extra fields are kept, most are
optional) and strict only where processing depends on a field: the event type, the SES
message id, and the time of each event that sets a timestamp. Processing stores the record
as received, so nothing a model ignores is lost.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator


class SesEventType(StrEnum):
    """`eventType` values SES publishes through a configuration set's event destination."""

    SEND = "Send"
    REJECT = "Reject"
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    DELIVERY = "Delivery"
    OPEN = "Open"
    CLICK = "Click"
    RENDERING_FAILURE = "Rendering Failure"
    DELIVERY_DELAY = "DeliveryDelay"
    SUBSCRIPTION = "Subscription"


SENT_ID_TAG = "sent_id"


class _SesObject(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class SesMail(_SesObject):
    timestamp: datetime
    message_id: str = Field(alias="messageId", min_length=1, max_length=200)
    source: str | None = None
    source_arn: str | None = Field(default=None, alias="sourceArn")
    sending_account_id: str | None = Field(default=None, alias="sendingAccountId")
    destination: list[str] = Field(default_factory=list)
    tags: dict[str, list[str]] = Field(default_factory=dict)

    def tag(self, name: str) -> str | None:
        """The first value of a message tag (SES gives each tag as a list)."""
        values = self.tags.get(name) or []
        return values[0] if values else None

    @property
    def region(self) -> str | None:
        """The region that sent the email, from the identity ARN (`arn:aws:ses:<region>:...`)."""
        parts = (self.source_arn or "").split(":")
        return parts[3] if len(parts) > 3 and parts[2] == "ses" and parts[3] else None


class BouncedRecipient(_SesObject):
    email_address: str = Field(alias="emailAddress")
    action: str | None = None
    status: str | None = None
    diagnostic_code: str | None = Field(default=None, alias="diagnosticCode")


class SesBounce(_SesObject):
    bounce_type: str = Field(alias="bounceType")
    bounce_sub_type: str = Field(alias="bounceSubType")
    bounced_recipients: list[BouncedRecipient] = Field(alias="bouncedRecipients")
    timestamp: datetime
    feedback_id: str | None = Field(default=None, alias="feedbackId")
    reporting_mta: str | None = Field(default=None, alias="reportingMTA")

    @property
    def diagnostic(self) -> str | None:
        """The first recipient's diagnostic code, else its status: what the ISP said."""
        for recipient in self.bounced_recipients:
            if recipient.diagnostic_code or recipient.status:
                return recipient.diagnostic_code or recipient.status
        return None


class ComplainedRecipient(_SesObject):
    email_address: str = Field(alias="emailAddress")


class SesComplaint(_SesObject):
    complained_recipients: list[ComplainedRecipient] = Field(alias="complainedRecipients")
    timestamp: datetime
    feedback_id: str | None = Field(default=None, alias="feedbackId")
    complaint_sub_type: str | None = Field(default=None, alias="complaintSubType")
    complaint_feedback_type: str | None = Field(default=None, alias="complaintFeedbackType")
    user_agent: str | None = Field(default=None, alias="userAgent")
    arrival_date: datetime | None = Field(default=None, alias="arrivalDate")


class SesDelivery(_SesObject):
    timestamp: datetime
    processing_time_millis: int | None = Field(default=None, alias="processingTimeMillis")
    recipients: list[str] = Field(default_factory=list)
    smtp_response: str | None = Field(default=None, alias="smtpResponse")
    reporting_mta: str | None = Field(default=None, alias="reportingMTA")


class SesReject(_SesObject):
    reason: str | None = None


class SesOpen(_SesObject):
    timestamp: datetime
    ip_address: str | None = Field(default=None, alias="ipAddress")
    user_agent: str | None = Field(default=None, alias="userAgent")


class SesClick(_SesObject):
    timestamp: datetime
    link: str | None = None
    ip_address: str | None = Field(default=None, alias="ipAddress")
    user_agent: str | None = Field(default=None, alias="userAgent")


class SesRenderingFailure(_SesObject):
    error_message: str | None = Field(default=None, alias="errorMessage")
    template_name: str | None = Field(default=None, alias="templateName")


class DelayedRecipient(_SesObject):
    email_address: str | None = Field(default=None, alias="emailAddress")
    status: str | None = None
    diagnostic_code: str | None = Field(default=None, alias="diagnosticCode")


class SesDeliveryDelay(_SesObject):
    timestamp: datetime
    delay_type: str | None = Field(default=None, alias="delayType")
    expiration_time: datetime | None = Field(default=None, alias="expirationTime")
    delayed_recipients: list[DelayedRecipient] = Field(
        default_factory=list, alias="delayedRecipients"
    )


class SesSubscription(_SesObject):
    contact_list: str | None = Field(default=None, alias="contactList")
    timestamp: datetime | None = None
    source: str | None = None
    new_topic_preferences: dict[str, Any] | None = Field(default=None, alias="newTopicPreferences")
    old_topic_preferences: dict[str, Any] | None = Field(default=None, alias="oldTopicPreferences")


_DETAIL_FIELD: dict[SesEventType, str] = {
    SesEventType.BOUNCE: "bounce",
    SesEventType.COMPLAINT: "complaint",
    SesEventType.DELIVERY: "delivery",
    SesEventType.OPEN: "open",
    SesEventType.CLICK: "click",
    SesEventType.DELIVERY_DELAY: "delivery_delay",
}
"""Event types whose detail object carries what processing records (its time, above all)."""


class SesEvent(_SesObject):
    """One event record. `notificationType` is read too: it is the same field in the
    notifications an identity (rather than a configuration set) sends."""

    event_type: str = Field(
        validation_alias=AliasChoices("eventType", "notificationType"), min_length=1
    )
    mail: SesMail
    send: dict[str, Any] | None = None
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None
    delivery: SesDelivery | None = None
    reject: SesReject | None = None
    open: SesOpen | None = None
    click: SesClick | None = None
    failure: SesRenderingFailure | None = None
    delivery_delay: SesDeliveryDelay | None = Field(default=None, alias="deliveryDelay")
    subscription: SesSubscription | None = None

    @model_validator(mode="after")
    def _has_its_details(self) -> "SesEvent":
        kind = self.kind
        field = _DETAIL_FIELD.get(kind) if kind is not None else None
        if field is not None and getattr(self, field) is None:
            raise ValueError(f"a {self.event_type} event needs its {field} object")
        return self

    @property
    def kind(self) -> SesEventType | None:
        """The known type, or None for a type SES added after this code was written."""
        try:
            return SesEventType(self.event_type)
        except ValueError:
            return None

    @property
    def occurred_at(self) -> datetime:
        """The event's own time (the ISP's, for a bounce or complaint); the send's otherwise."""
        for detail in (
            self.bounce,
            self.complaint,
            self.delivery,
            self.open,
            self.click,
            self.delivery_delay,
            self.subscription,
        ):
            moment = getattr(detail, "timestamp", None)
            if isinstance(moment, datetime):
                return moment
        return self.mail.timestamp


class SnsMessageType(StrEnum):
    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


class SnsEnvelope(BaseModel):
    """What SNS delivers to HTTPS endpoints, and to SQS queues without raw message delivery."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: str = Field(alias="Type")
    message_id: str = Field(alias="MessageId", min_length=1, max_length=200)
    topic_arn: str = Field(alias="TopicArn")
    message: str = Field(alias="Message")
    timestamp: datetime = Field(alias="Timestamp")
    subject: str | None = Field(default=None, alias="Subject")
