"""The unsubscribe link: a page to confirm (GET) and RFC 8058 one-click (POST), no login.

The token in the path is the only credential: sealed, it names the sent email, its user
and its recipient. A GET never changes anything, because mail scanners and link
previewers fetch links; a POST unsubscribes at once, whether a mail client sent
`List-Unsubscribe=One-Click` or the contact pressed the page's button. Answers are small
HTML pages (one-click clients ignore them): no script, no external resources, and no
referrer, so the token goes nowhere else.
"""

import html
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from attendry.api.responses import PUBLIC
from attendry.db.engine import read_scope, session_scope
from attendry.email.settings import EmailSettings, email_settings
from attendry.email.unsubscribe import InvalidTokenError, UnsubscribeClaims, read_unsubscribe_token
from attendry.services.unsubscribe import (
    UnsubscribeVia,
    UnsubscribeView,
    describe_unsubscribe,
    unsubscribe_with_claims,
)

router = Router()
TAGS = ["unsubscribe"]
HTML = "text/html; charset=utf-8"
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5;"
    "margin:0;padding:2rem 1rem;color:#111827;background:#f9fafb}"
    "main{max-width:32rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;"
    "border:1px solid #d1d5db;border-radius:.5rem}"
    "h1{font-size:1.5rem;margin-top:0}"
    "button{font:inherit;font-weight:600;padding:.6rem 1.4rem;border:2px solid #1d4ed8;"
    "border-radius:.375rem;background:#1d4ed8;color:#fff;cursor:pointer}"
    "button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}"
)
# Powertools documents only a model's body; this one is a form, from a mail client or the page.
ONE_CLICK_BODY = {
    "required": False,
    "description": "RFC 8058's `List-Unsubscribe=One-Click` from a mail client, or the "
    "confirmation page's form; any other form unsubscribes as the page.",
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    ONE_CLICK_FIELD: {"type": "string", "enum": [ONE_CLICK_VALUE]},
                    "confirm": {"type": "string", "enum": ["yes"]},
                },
                "additionalProperties": False,
            },
            "example": {ONE_CLICK_FIELD: ONE_CLICK_VALUE},
        }
    },
}
_HTML_RESPONSE: OpenAPIResponse = {
    "description": "A small HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _page(status: HTTPStatus, title: str, body: str) -> Response[str]:
    document = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return Response(status_code=status, content_type=HTML, body=document, headers=_HEADERS)


def _invalid_link() -> Response[str]:
    return _page(
        HTTPStatus.NOT_FOUND,
        "Link not valid",
        "<p>This unsubscribe link is not valid. It may have been copied incompletely: "
        "please use the link exactly as it appears in the email, or reply to the email "
        "and ask not to be contacted again.</p>",
    )


def _sender(view: UnsubscribeView) -> str:
    address = html.escape(view.sender_address)
    if view.sender_name:
        return f"<strong>{html.escape(view.sender_name)}</strong> ({address})"
    return f"<strong>{address}</strong>"


def _confirmation_page(view: UnsubscribeView) -> Response[str]:
    address = f"<strong>{html.escape(view.address)}</strong>"
    if view.unsubscribed:
        return _page(
            HTTPStatus.OK,
            "You are unsubscribed",
            f"<p>{address} is already unsubscribed: {_sender(view)} will not email it again.</p>",
        )
    return _page(
        HTTPStatus.OK,
        "Unsubscribe",
        f"<p>Stop receiving email from {_sender(view)} at {address}?</p>\n"
        '<form method="post">\n'
        '<input type="hidden" name="confirm" value="yes">\n'
        '<button type="submit">Unsubscribe</button>\n'
        "</form>",
    )


def _done_page(view: UnsubscribeView) -> Response[str]:
    return _page(
        HTTPStatus.OK,
        "You are unsubscribed",
        f"<p>{_sender(view)} will not email <strong>{html.escape(view.address)}</strong> "
        "again.</p>",
    )


@lru_cache(maxsize=8)
def _settings_for_origin(origin: str) -> EmailSettings:
    return EmailSettings(PUBLIC_BASE_URL=origin)


def _email_settings() -> EmailSettings:
    """The email settings, for the token key and the From address.

    Deployed, the API function gets PUBLIC_BASE_URL only when the stack has a public base
    URL parameter: its own execute-api URL would make the function depend on the API that
    depends on it, and the settings refuse a deployed stage without an https base URL.
    This request's own https origin then stands in (these routes only read links, never
    make them); any other setting that is wrong still fails, from that second load.
    """
    try:
        return email_settings()
    except ValidationError:
        event = router.current_event
        domain = (
            event.request_context.domain_name if isinstance(event, APIGatewayProxyEventV2) else ""
        )
        return _settings_for_origin(f"https://{domain}")


def _claims(token: str, settings: EmailSettings) -> UnsubscribeClaims | None:
    try:
        return read_unsubscribe_token(token, settings=settings)
    except InvalidTokenError:
        return None


def _via(body: str | None) -> UnsubscribeVia:
    fields: dict[str, Any] = parse_qs(body or "", keep_blank_values=True)
    values = [value.strip().lower() for value in fields.get(ONE_CLICK_FIELD, [])]
    return UnsubscribeVia.ONE_CLICK if ONE_CLICK_VALUE.lower() in values else UnsubscribeVia.PAGE


@router.get(
    "/unsubscribe/<token>",
    summary="The page an unsubscribe link opens: who, to which address, and a button",
    description="No login: the token is the credential. Changes nothing. 404 for a bad token.",
    tags=TAGS,
    openapi_extensions=PUBLIC,
    responses={200: _HTML_RESPONSE, 404: _HTML_RESPONSE},
)
def unsubscribe_page(token: str) -> Response[str]:
    settings = _email_settings()
    claims = _claims(token, settings)
    if claims is None:
        return _invalid_link()
    with read_scope() as session:
        view = describe_unsubscribe(session, claims, settings)
    return _confirmation_page(view)


@router.post(
    "/unsubscribe/<token>",
    summary="Unsubscribe at once (RFC 8058 one-click, or the page's button)",
    description="No login: the token is the credential. Takes a form body "
    "(`List-Unsubscribe=One-Click` from mail clients); idempotent. 404 for a bad token.",
    tags=TAGS,
    openapi_extensions={**PUBLIC, "requestBody": ONE_CLICK_BODY},
    responses={200: _HTML_RESPONSE, 404: _HTML_RESPONSE},
)
def unsubscribe_now(token: str) -> Response[str]:
    settings = _email_settings()
    claims = _claims(token, settings)
    if claims is None:
        return _invalid_link()
    via = _via(router.current_event.decoded_body)
    with session_scope() as session:
        unsubscribe_with_claims(session, claims, via)
        view = describe_unsubscribe(session, claims, settings)
    return _done_page(view)
