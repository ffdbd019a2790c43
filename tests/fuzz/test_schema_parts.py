"""The pieces that make the fuzzer's valid data valid: the document's HeaderText and
JsonValue components, and the exemptions the generated schemathesis.toml carries."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attendry.api.app import app
from attendry.api.openapi import api_document
from attendry.email.headers import UnsafeHeaderError, check_header_value, header_text_pattern
from attendry.http.request_body import MAX_INTEGER
from tests.fuzz.driver import config_text
from tests.fuzz.exemptions import ACCEPTING_STATUSES, EXEMPTIONS, PUBLIC_OPERATIONS

HEADER_TEXT = re.compile(header_text_pattern())


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return api_document(app)


def taken(value: str) -> bool:
    try:
        check_header_value("subject", value)
    except UnsafeHeaderError:
        return False
    return True


@pytest.mark.parametrize(
    "value",
    [
        "Your talk at Data Summit",
        "  trimmed around  ",
        "\t\r\nwhitespace controls around are trimmed\n",
        "Grüße, 東京 🎤",
        "What does =? mean",
        "\ue000 private use",
    ],
)
def test_the_pattern_takes_what_the_check_takes(value: str) -> None:
    assert taken(value)
    assert HEADER_TEXT.fullmatch(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "Hi\r\nBcc: evil@attacker.example",
        "tab\tinside",
        "NEL\x85inside",
        "gnp\u202eexe.pdf",
        "isolate\u2066x\u2069",
        "zero\u200bwidth",
        "line\u2028separator",
        "bom\ufeff",
        "hangul filler \u3164",
        "tag \U000e0041",
    ],
)
def test_the_pattern_refuses_what_the_check_refuses(value: str) -> None:
    assert not taken(value)
    assert not HEADER_TEXT.fullmatch(value)


# Everything but what the pattern cannot judge by the characters alone: an encoded-word
# (refused by what it decodes to) and the zero-width joiner (taken inside an emoji).
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\u200d")))
def test_the_pattern_and_the_check_agree_on_any_text(value: str) -> None:
    if "=?" in value:
        return
    assert bool(HEADER_TEXT.fullmatch(value)) is taken(value)


def test_every_header_field_of_a_request_refers_to_header_text(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    header_fields = [
        ("AgentCreate", "name"),
        ("AgentUpdate", "name"),
        ("ContactCreate", "name"),
        ("DraftUpdate", "subject"),
    ]
    for model, name in header_fields:
        text = json.dumps(schemas[model]["properties"][name])
        assert '"$ref": "#/components/schemas/HeaderText"' in text, (model, name)
    assert schemas["HeaderText"]["pattern"] == header_text_pattern()


def test_free_form_json_is_a_json_value_within_the_bodys_limits(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    value = {"$ref": "#/components/schemas/JsonValue"}
    integer = next(o for o in schemas["JsonValue"]["anyOf"] if o["type"] == "integer")

    assert schemas["ContactCreate"]["properties"]["metadata"]["additionalProperties"] == value
    assert schemas["OpportunityCreate"]["properties"]["signals"]["additionalProperties"] == value
    assert (integer["minimum"], integer["maximum"]) == (-MAX_INTEGER, MAX_INTEGER)


def test_every_exemption_names_an_operation_of_the_document(document: dict[str, Any]) -> None:
    for exemption in EXEMPTIONS:
        assert exemption.method.lower() in document["paths"].get(exemption.path, {}), exemption


def test_the_public_operations_are_those_the_document_calls_public(
    document: dict[str, Any],
) -> None:
    public = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("security") == []
    }

    assert public == set(PUBLIC_OPERATIONS)


def test_each_exemption_becomes_its_operations_settings() -> None:
    config = tomllib.loads(config_text(Path("/tmp/auth.json")))

    statuses = [
        (
            operation["include-name"],
            operation["checks"]["positive_data_acceptance"]["expected-statuses"],
        )
        for operation in config["operations"]
        if "positive_data_acceptance" in operation["checks"]
    ]
    unchecked_methods = [
        operation["include-name"]
        for operation in config["operations"]
        if operation["checks"].get("unsupported_method") == {"enabled": False}
    ]
    assert unchecked_methods == list(PUBLIC_OPERATIONS)
    assert statuses == [
        (f"{e.method} {e.path}", [*ACCEPTING_STATUSES, *map(str, e.statuses)]) for e in EXEMPTIONS
    ]
    assert set(config["operations"][0]) == {"include-name", "checks"}
    assert "trace" not in config["phases"]["coverage"]["unexpected-methods"]
    assert config["auth"]["wfc"]["peers"] == ["alice", "bob"]
    assert config["generation"]["allow-x00"] is False
