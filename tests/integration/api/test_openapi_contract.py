"""The OpenAPI document is the contract: valid OpenAPI 3, and true to what the routes answer."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.fixtures.api import ApiResponse, LambdaContext, http_event

Call = Callable[..., ApiResponse]
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
PUBLIC = {
    ("get", "/health"),
    ("post", "/webhooks/ses"),
    *((method, "/unsubscribe/{token}") for method in ("get", "post")),
}
NON_JSON_BODIES = {("post", "/webhooks/ses"), ("post", "/unsubscribe/{token}")}


@pytest.fixture(scope="module")
def document(api_handler: Any) -> dict[str, Any]:
    response = api_handler(http_event("GET", "/openapi.json", user=None), LambdaContext())
    assert response["statusCode"] == 200
    loaded: dict[str, Any] = json.loads(response["body"])
    return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def schema_of(response: dict[str, Any]) -> Any:
    return response["content"]["application/json"]["schema"]


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_operation_documents_422_in_the_apis_own_error_shape(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        assert schema_of(operation["responses"]["422"]) == ERROR_BODY, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_documents_the_statuses_every_route_can_answer(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        statuses = set(operation["responses"])
        assert {"413", "422", "500"} <= statuses, (method, path)
        assert ("415" in statuses) is ((method, path) not in NON_JSON_BODIES), (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)


def test_public_operations_say_so_and_the_rest_document_401(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert operation["security"] == [], (method, path)
            assert "401" not in operation["responses"], (method, path)
        else:
            assert "security" not in operation, (method, path)
            assert "401" in operation["responses"], (method, path)
    assert document["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/agents", "201"),
        ("post", "/contacts", "201"),
        ("post", "/opportunities", "201"),
        ("post", "/agents/{agent_id}/tasks", "202"),
        ("post", "/agents/outreach/drafts/{draft_id}/approve", "202"),
        ("post", "/opportunities/{opportunity_id}/delegate", "202"),
    ],
)
def test_success_codes_are_those_the_routes_answer(
    document: dict[str, Any], method: str, path: str, status: str
) -> None:
    successes = {code for code in document["paths"][path][method]["responses"] if code < "300"}

    assert successes == {status}


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path, operation in operations(document):
        if "requestBody" not in operation:
            continue
        for media in operation["requestBody"]["content"].values():
            refs = [
                option.get("$ref", "") for option in media["schema"].get("anyOf", [media["schema"]])
            ]
            examples = [schemas[ref.rsplit("/", 1)[1]].get("examples") for ref in refs if ref]
            assert "example" in media or any(examples), (method, path)


def test_the_webhook_documents_the_text_body_sns_posts(document: dict[str, Any]) -> None:
    body = document["paths"]["/webhooks/ses"]["post"]["requestBody"]

    assert body["required"] is True
    assert body["content"]["text/plain"]["schema"] == {"type": "string"}


def test_a_create_answers_what_the_document_says(call_api: Call, alice: str) -> None:
    created = call_api("POST", "/opportunities", user=alice, body={"title": "Summit"})
    unauthorized = call_api("GET", "/opportunities", user=None)

    assert created.status == 201
    assert unauthorized.status == 401
    assert set(unauthorized.json()["error"]) == {"code", "message", "details"}


def test_a_method_a_path_does_not_serve_is_405_naming_those_it_does(
    call_api: Call, alice: str
) -> None:
    wrong_method = call_api("DELETE", "/agents", user=alice)
    no_such_path = call_api("GET", "/nowhere", user=alice)

    assert wrong_method.status == 405
    assert wrong_method.headers["allow"] == "GET, POST"
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert no_such_path.status == 404


def test_any_cursor_of_the_documented_shape_is_a_place_in_the_list(
    call_api: Call, alice: str, document: dict[str, Any]
) -> None:
    parameters = document["paths"]["/contacts"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "cursor")["schema"]["pattern"]
    call_api("POST", "/contacts", user=alice, body={"name": "Ada"})
    call_api("POST", "/contacts", user=alice, body={"name": "Grace"})

    first = call_api("GET", "/contacts", user=alice, query={"limit": "1"})
    cursor = first.json()["next_cursor"]
    rest = call_api("GET", "/contacts", user=alice, query={"cursor": cursor})
    made_up = call_api("GET", "/contacts", user=alice, query={"cursor": "9" * 16 + ".0" + "f" * 31})

    assert re.fullmatch(pattern, cursor)
    assert [c["name"] for c in rest.json()["items"]] == ["Ada"]
    assert made_up.status == 200
    assert len(made_up.json()["items"]) == 2


def test_a_method_no_route_serves_is_405_whatever_its_body(call_api: Call) -> None:
    response = call_api(
        "PUT", "/webhooks/ses", user=None, raw_body="x", headers={"content-type": "text/plain"}
    )

    assert response.status == 405
    assert response.headers["allow"] == "POST"
