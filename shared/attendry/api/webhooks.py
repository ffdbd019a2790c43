"""`POST /webhooks/ses`: SNS's HTTPS delivery of SES events, without a JWT.

SNS has no token to send; the message signature is the credential instead, checked by
the service before anything is read. SNS posts its JSON as `text/plain`, so this path
alone is exempt from the API's JSON-only rule (`attendry.api.app`). Status codes are
chosen for SNS's retry policy: 2xx done, 4xx never worth retrying, 5xx try again.

The webhook's machinery (SNS signatures and `cryptography`, the SES-event pipeline,
botocore) is imported on the first post, not at the API's cold start: only SNS calls
this route, and every user request would otherwise pay for it.
"""

import json
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from attendry.api.errors import error_response
from attendry.api.responses import PUBLIC, error
from attendry.core.observability import logger
from attendry.schemas.webhooks import WebhookReceipt

router = Router()
TAGS = ["webhooks"]
# Powertools documents only a model's body; this one is SNS's JSON, sent as text/plain.
SNS_MESSAGE_BODY = {
    "required": True,
    "description": "One SNS message (`Notification`, `SubscriptionConfirmation` or "
    "`UnsubscribeConfirmation`) as JSON text, signed by SNS.",
    "content": {
        "text/plain": {
            "schema": {"type": "string"},
            "example": json.dumps(
                {
                    "Type": "SubscriptionConfirmation",
                    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
                    "Token": "2336412f37f...",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:attendry-ses-events",
                    "Message": "You have chosen to subscribe to the topic ...",
                    "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
                    "Timestamp": "2026-06-04T09:00:00.000Z",
                    "SignatureVersion": "2",
                    "Signature": "EXAMPLEpH+...",
                    "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem",
                }
            ),
        }
    },
}


@router.post(
    "/webhooks/ses",
    summary="SES events and subscription confirmations from Amazon SNS",
    description=(
        "The HTTPS subscription of the SES events topic. Accepts only messages of the "
        "configured topics whose SNS signature verifies; confirms a SubscriptionConfirmation "
        "by visiting its SubscribeURL; applies a Notification's SES event once (a repeat "
        "changes nothing). The body is SNS's JSON, sent as text/plain."
    ),
    tags=TAGS,
    openapi_extensions={**PUBLIC, "requestBody": SNS_MESSAGE_BODY},
    responses={
        200: {
            "description": "Applied, confirmed or (an unsubscribe confirmation) noted.",
            "content": {"application/json": {"model": WebhookReceipt}},
        },
        400: error("`malformed_sns_message`: not an SNS message: not JSON, or a field missing."),
        403: error("`forbidden`: not shown to come from SNS for a configured topic."),
        502: error("`confirmation_failed`: the subscription could not be confirmed with SNS."),
    },
)
def ses_webhook() -> Response[str]:
    from attendry.platform.sns_signature import SnsMessageError, SnsVerificationError
    from attendry.services.ses_webhook import SubscriptionConfirmationError, default_ses_webhook

    body = router.current_event.decoded_body or ""
    try:
        outcome = default_ses_webhook().receive(body)
    except SnsMessageError as error:
        logger.warning("SES webhook refused a malformed message", extra={"reason": str(error)})
        return error_response(HTTPStatus.BAD_REQUEST, "malformed_sns_message", str(error))
    except SnsVerificationError as error:
        logger.warning("SES webhook refused an unverified message", extra={"reason": str(error)})
        return error_response(
            HTTPStatus.FORBIDDEN,
            "forbidden",
            "The message is not shown to come from Amazon SNS for a topic this API accepts.",
        )
    except SubscriptionConfirmationError as error:
        logger.warning("SES webhook could not confirm a subscription", extra={"reason": str(error)})
        return error_response(HTTPStatus.BAD_GATEWAY, "confirmation_failed", str(error))
    receipt = WebhookReceipt(
        status=outcome.action, type=outcome.message_type, message_id=outcome.message_id
    )
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=receipt.model_dump_json(),
    )
