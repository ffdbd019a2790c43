"""Input PostgreSQL cannot store or give back is a 4xx naming the problem and the field.

Each class below once reached the database and ended in the API's generic 500 (issue 12,
section 2). Through the API function with a real database: status, code and field.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest

from attendry.http.request_body import MAX_JSON_DEPTH
from tests.fixtures.api import ApiResponse

Call = Callable[..., ApiResponse]

NOWHERE = "00000000-0000-4000-8000-000000000000"
"""An id nobody owns: bodies are judged before any route looks anything up."""

NUL = "\u0000"


def refusal(response: ApiResponse) -> tuple[int, str, list[str]]:
    error = response.json()["error"]
    return response.status, error["code"], [detail["field"] for detail in error["details"]]


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


# (route, raw JSON body, the field named)
NUL_BODIES = [
    ("POST /agents", {"agent_type": "outreach", "name": f"a{NUL}"}, "body.name"),
    (
        "POST /agents",
        {"agent_type": "outreach", "name": "a", "settings": {"signature": f"-{NUL}"}},
        "body.settings.signature",
    ),
    (f"PATCH /agents/{NOWHERE}", {"settings": {"tone": NUL}}, "body.settings.tone"),
    ("POST /contacts", {"name": "Ada", "company": f"A{NUL}"}, "body.company"),
    ("POST /contacts", {"name": "Ada", "metadata": {f"k{NUL}": 1}}, f"body.metadata.k{NUL}"),
    ("POST /contacts", {"name": "Ada", "metadata": {"k": [f"{NUL}"]}}, "body.metadata.k.0"),
    ("POST /opportunities", {"title": "Summit", "location": NUL}, "body.location"),
    (
        f"POST /agents/{NOWHERE}/tasks",
        {"task_type": "draft_outreach", "input": {"contact_id": NOWHERE, "instructions": NUL}},
        "body.input.instructions",
    ),
    (f"POST /opportunities/{NOWHERE}/delegate", {"instructions": NUL}, "body.instructions"),
    (f"PATCH /agents/outreach/drafts/{NOWHERE}", {"message_body": NUL}, "body.message_body"),
    (f"POST /agents/outreach/drafts/{NOWHERE}/reject", {"reason": NUL}, "body.reason"),
]


@pytest.mark.parametrize(("route", "body", "field"), NUL_BODIES)
def test_a_nul_anywhere_in_a_body_is_refused_naming_its_field(
    call_api: Call, alice: str, route: str, body: dict[str, Any], field: str
) -> None:
    method, path = route.split(" ")

    response = call_api(method, path, user=alice, raw_body=json.dumps(body))

    assert refusal(response) == (422, "validation_error", [field])
    assert "NUL" in response.json()["error"]["details"][0]["message"]


def test_a_nul_in_the_idempotency_key_is_refused_naming_the_header(
    call_api: Call, alice: str
) -> None:
    response = call_api(
        "POST",
        f"/agents/{NOWHERE}/tasks",
        user=alice,
        body={"task_type": "draft_outreach", "input": {"contact_id": NOWHERE}},
        headers={"idempotency-key": f"key{NUL}"},
    )

    assert refusal(response) == (422, "validation_error", ["header.idempotency-key"])


def test_a_token_whose_subject_holds_a_nul_is_unauthorized_saying_why(call_api: Call) -> None:
    response = call_api("GET", "/agents", user=f"alice{NUL}")

    assert refusal(response) == (401, "unauthorized", [])
    assert "NUL" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/agents", "application/json"),
        ("/webhooks/ses", "text/plain; charset=UTF-8"),
        ("/unsubscribe/any-token", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_utf8_is_refused_on_every_route(
    call_api: Call, alice: str, path: str, content_type: str
) -> None:
    response = call_api(
        "POST",
        path,
        user=alice,
        binary_body=b'{"name": "caf\xe9"}',
        headers={"content-type": content_type},
    )

    assert refusal(response) == (422, "validation_error", ["body"])
    assert "UTF-8" in response.json()["error"]["details"][0]["message"]


@pytest.mark.parametrize(
    ("route", "raw_body", "field"),
    [
        ("POST /contacts", '{"name": "Ada", "metadata": {"x": "\\ud800"}}', "body.metadata.x"),
        (
            "POST /opportunities",
            '{"title": "T", "signals": {"\\udfff": 1}}',
            "body.signals.\\udfff",
        ),
    ],
)
def test_a_lone_surrogate_is_refused_naming_its_field(
    call_api: Call, alice: str, route: str, raw_body: str, field: str
) -> None:
    method, path = route.split(" ")

    response = call_api(method, path, user=alice, raw_body=raw_body)

    assert refusal(response) == (422, "validation_error", [field])
    assert "surrogate" in response.json()["error"]["details"][0]["message"]


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 20, "9" * 5000]
)
def test_numbers_jsonb_cannot_hold_are_refused_naming_their_field(
    call_api: Call, alice: str, literal: str
) -> None:
    raw_body = f'{{"title": "T", "signals": {{"reach": [1, {literal}]}}}}'

    response = call_api("POST", "/opportunities", user=alice, raw_body=raw_body)

    assert refusal(response) == (422, "validation_error", ["body.signals.reach.1"])


def test_the_widest_numbers_jsonb_holds_are_stored_and_read_back(
    call_api: Call, alice: str
) -> None:
    signals = {"big": 2**63 - 1, "small": -(2**63 - 1), "double": 1.7976931348623157e308}

    created = call_api(
        "POST", "/opportunities", user=alice, body={"title": "T", "signals": signals}
    )
    read = call_api("GET", f"/opportunities/{created.json()['id']}", user=alice)

    assert created.status == 201, created.body
    stored = read.json()["signals"]
    assert (stored["big"], stored["small"]) == (signals["big"], signals["small"])
    # jsonb keeps a number's decimal value: the double comes back written out in full.
    assert float(stored["double"]) == signals["double"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=utf-8",
        "application/vnd.api+json",
        "application/merge-patch+json",
    ],
)
def test_every_json_media_type_is_read_as_json(
    call_api: Call, alice: str, content_type: str
) -> None:
    response = call_api(
        "POST",
        "/contacts",
        user=alice,
        body={"name": "Ada"},
        headers={"content-type": content_type},
    )

    assert response.status == 201, response.body


@pytest.mark.parametrize(
    "content_type", ["text/json", "application/+json", "application/jsonx", "text/plain", ""]
)
def test_other_media_types_are_unsupported(call_api: Call, alice: str, content_type: str) -> None:
    response = call_api(
        "POST",
        "/contacts",
        user=alice,
        body={"name": "Ada"},
        headers={"content-type": content_type},
    )

    assert refusal(response) == (415, "unsupported_media_type", [])


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        (nested(5_000), "body"),
        (f'{{"name": "Ada", "metadata": {{"x": {nested(900)}}}}}', "body.metadata.x" + ".0" * 30),
        (
            f'{{"name": "Ada", "metadata": {{"x": {nested(MAX_JSON_DEPTH - 1)}}}}}',
            "body.metadata.x" + ".0" * 30,
        ),
    ],
)
def test_json_nested_past_the_limit_is_refused(
    call_api: Call, alice: str, raw_body: str, field: str
) -> None:
    response = call_api("POST", "/contacts", user=alice, raw_body=raw_body)

    assert refusal(response) == (422, "validation_error", [field])
    assert str(MAX_JSON_DEPTH) in response.json()["error"]["details"][0]["message"]


def test_json_nested_to_the_limit_is_stored_and_read_back(call_api: Call, alice: str) -> None:
    # The body and `metadata` are two of the levels.
    deepest = json.loads(nested(MAX_JSON_DEPTH - 2))

    created = call_api(
        "POST", "/contacts", user=alice, body={"name": "A", "metadata": {"x": deepest}}
    )
    read = call_api("GET", f"/contacts/{created.json()['id']}", user=alice)

    assert created.status == 201, created.body
    assert read.json()["metadata"] == {"x": deepest}


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        (
            "POST /opportunities",
            {"title": "T", "starts_at": "9999-12-31T23:59:59-23:59"},
            "starts_at",
        ),
        ("POST /opportunities", {"title": "T", "ends_at": "0001-01-01T00:30:00+01:00"}, "ends_at"),
        (f"PATCH /followups/{NOWHERE}", {"due_at": "9999-12-31T23:00:00-01:00"}, "due_at"),
    ],
)
def test_a_date_time_outside_years_1_to_9999_in_utc_is_refused(
    call_api: Call, alice: str, route: str, body: dict[str, Any], field: str
) -> None:
    method, path = route.split(" ")

    response = call_api(method, path, user=alice, body=body)

    assert refusal(response) == (422, "validation_error", [f"body.{field}"])


def test_the_last_moment_of_9999_in_utc_is_stored_and_read_back(call_api: Call, alice: str) -> None:
    body = {"title": "T", "starts_at": "9999-12-31T23:59:59+01:00"}

    created = call_api("POST", "/opportunities", user=alice, body=body)
    read = call_api("GET", f"/opportunities/{created.json()['id']}", user=alice)

    assert created.status == 201, created.body
    assert read.json()["starts_at"] == "9999-12-31T22:59:59Z"


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("POST /opportunities", {"title": "T", "score": False}, "body.score"),
        ("POST /opportunities", {"title": "T", "score": "0.5"}, "body.score"),
        ("POST /opportunities", {"title": "T", "starts_at": 0}, "body.starts_at"),
        ("POST /opportunities", {"title": "T", "ends_at": True}, "body.ends_at"),
        (f"PATCH /followups/{NOWHERE}", {"due_at": 5}, "body.due_at"),
        (
            "POST /agents",
            {"agent_type": "outreach", "name": "a", "settings": {"requires_approval": 1}},
            "body.settings.requires_approval",
        ),
        (
            "POST /agents",
            {"agent_type": "outreach", "name": "a", "settings": {"daily_send_cap": True}},
            "body.settings.daily_send_cap",
        ),
        (
            "POST /agents",
            {"agent_type": "outreach", "name": "a", "settings": {"send_window": {"end": 3600}}},
            "body.settings.send_window.end",
        ),
        (
            "POST /agents",
            {"agent_type": "planning", "name": "a", "settings": {"min_score": True}},
            "body.settings.min_score",
        ),
    ],
)
def test_a_boolean_or_bare_number_of_the_wrong_kind_is_refused(
    call_api: Call, alice: str, route: str, body: dict[str, Any], field: str
) -> None:
    method, path = route.split(" ")

    response = call_api(method, path, user=alice, body=body)

    assert refusal(response) == (422, "validation_error", [field])


def test_json_that_does_not_parse_names_the_body_with_the_parsers_message(
    call_api: Call, alice: str
) -> None:
    response = call_api("POST", "/contacts", user=alice, raw_body='{"name": "Ada",}')

    assert refusal(response) == (422, "validation_error", ["body"])
    message = response.json()["error"]["details"][0]["message"]
    assert "line 1, column 16" in message
    assert "Expecting property name" in message
