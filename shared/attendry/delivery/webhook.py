"""What SNS posts to `POST /webhooks/ses`: verified, then confirmed or applied.

The HTTPS way in for SES events, beside the SQS one; both end in
`apply_sns_notification`, keyed by the SNS message id, so an event that arrives both
ways, or twice one way, counts once. Nothing in a message is used before it is shown to
come from SNS: the topic is checked against the configured ones first (a stranger's
topic costs no network call), then where its certificate comes from, then the
signature; only then is the SES event parsed or the SubscribeURL visited.

A failure to apply an event (the database away) is left to raise: the API answers 5xx
and SNS delivers again, which is safe because applying is idempotent. A message that
is malformed or untrusted gets a 4xx, which SNS does not retry.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendry.core.clock import Clock, system_clock
from attendry.core.observability import logger
from attendry.delivery.parsing import MalformedSesEventError
from attendry.delivery.service import SesEventPolicies, apply_sns_notification
from attendry.delivery.webhook_schemas import WebhookAction
from attendry.platform.sns_http import fetch_certificate, visit_subscribe_url
from attendry.platform.sns_signature import (
    NOTIFICATION,
    SUBSCRIPTION_CONFIRMATION,
    SnsMessage,
    SnsMessageError,
    SnsSignatureVerifier,
    SnsVerificationError,
    parse_sns_message,
)

ApplyNotification = Callable[[str, dict[str, Any], datetime], object]
ConfirmSubscription = Callable[[str], None]


class SesWebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    topic_arns: str = Field(
        default="",
        alias="SES_EVENTS_TOPIC_ARNS",
        description="Comma-separated SNS topic ARNs whose messages the webhook accepts; "
        "empty accepts none.",
    )
    stage: str | None = Field(default=None, alias="STAGE")
    sns_local_endpoint: str | None = Field(
        default=None,
        alias="SNS_LOCAL_ENDPOINT",
        description="The local runtime's stand-in for the SNS host; honoured only when "
        "STAGE is local.",
    )

    def allowed_topics(self) -> frozenset[str]:
        return frozenset(arn.strip() for arn in self.topic_arns.split(",") if arn.strip())

    def local_endpoint(self) -> str | None:
        """Never outside the local stage: a deployed webhook trusts only SNS's own hosts."""
        return self.sns_local_endpoint if self.stage == "local" else None


@lru_cache(maxsize=1)
def ses_webhook_settings() -> SesWebhookSettings:
    return SesWebhookSettings()


class SubscriptionConfirmationError(Exception):
    """The SubscribeURL could not be visited; SNS may send the confirmation again."""


@dataclass(frozen=True)
class WebhookOutcome:
    action: WebhookAction
    message_type: str
    message_id: str


@dataclass
class SesWebhook:
    """The webhook's use case with its collaborators, each replaceable in tests."""

    verifier: SnsSignatureVerifier
    allowed_topics: frozenset[str]
    apply: ApplyNotification
    clock: Clock
    confirm: ConfirmSubscription = visit_subscribe_url

    def receive(self, body: str | bytes) -> WebhookOutcome:
        """Raises SnsMessageError (malformed), SnsVerificationError (untrusted) or
        SubscriptionConfirmationError (SNS unreachable)."""
        message = parse_sns_message(body)
        if message.topic_arn not in self.allowed_topics:
            raise SnsVerificationError(f"Topic {message.topic_arn} is not one this API accepts.")
        self.verifier.verify(message)
        if message.type == NOTIFICATION:
            return self._apply(message)
        if message.type == SUBSCRIPTION_CONFIRMATION:
            return self._confirm(message)
        logger.info(
            "SNS unsubscribe confirmation received",
            extra={"topic_arn": message.topic_arn, "sns_message_id": message.message_id},
        )
        return WebhookOutcome(WebhookAction.IGNORED, message.type, message.message_id)

    def _apply(self, message: SnsMessage) -> WebhookOutcome:
        try:
            event = json.loads(message.message)
        except ValueError as error:
            raise SnsMessageError("The notification's Message is not JSON.") from error
        if not isinstance(event, dict):
            raise SnsMessageError("The notification's Message is not a JSON object.")
        try:
            self.apply(message.message_id, event, self.clock())
        except MalformedSesEventError as error:
            raise SnsMessageError(error.message) from error
        return WebhookOutcome(WebhookAction.APPLIED, message.type, message.message_id)

    def _confirm(self, message: SnsMessage) -> WebhookOutcome:
        url = self.verifier.subscribe_url(message)
        try:
            self.confirm(url)
        except OSError as error:
            raise SubscriptionConfirmationError(
                f"The subscription to {message.topic_arn} could not be confirmed: {error}"
            ) from error
        logger.info(
            "SNS subscription confirmed",
            extra={"topic_arn": message.topic_arn, "sns_message_id": message.message_id},
        )
        return WebhookOutcome(WebhookAction.CONFIRMED, message.type, message.message_id)


@lru_cache(maxsize=1)
def default_ses_webhook() -> SesWebhook:
    """One per execution environment, so the certificate cache outlives an invocation."""
    settings = ses_webhook_settings()
    if not settings.allowed_topics():
        logger.warning("SES_EVENTS_TOPIC_ARNS is empty: the SES webhook refuses every message")
    verifier = SnsSignatureVerifier(
        fetch_certificate, local_endpoint=settings.local_endpoint(), clock=system_clock
    )
    return SesWebhook(
        verifier=verifier,
        allowed_topics=settings.allowed_topics(),
        apply=partial(
            apply_sns_notification,
            policies=SesEventPolicies.from_environment(),
            clock=system_clock,
        ),
        clock=system_clock,
    )
