"""API Gateway's rules in isolation: route precedence and response format inference."""

import pytest

from attendry_local.apigw import RouteTable, translate_response
from attendry_local.topology import HttpRoute


def route(method: str, path: str) -> HttpRoute:
    return HttpRoute(method, path, "Function", None, ())


TABLE = RouteTable(
    [
        route("ANY", "/{proxy+}"),
        route("ANY", "/agents/{proxy+}"),
        route("GET", "/agents/{agent_id}"),
        route("ANY", "/agents/{agent_id}"),
        route("GET", "/agents/mine"),
        route("POST", "/agents"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/agents/mine", "GET /agents/mine", {}),
        ("GET", "/agents/a1", "GET /agents/{agent_id}", {"agent_id": "a1"}),
        ("PATCH", "/agents/a1", "ANY /agents/{agent_id}", {"agent_id": "a1"}),
        ("GET", "/agents/a1/runs", "ANY /agents/{proxy+}", {"proxy": "a1/runs"}),
        ("POST", "/agents", "POST /agents", {}),
        ("GET", "/agents", "ANY /{proxy+}", {"proxy": "agents"}),
        ("GET", "/agents/caf%C3%A9", "GET /agents/{agent_id}", {"agent_id": "café"}),
    ],
)
def test_the_most_specific_route_matches(
    method: str, path: str, route_key: str, parameters: dict[str, str]
) -> None:
    match = TABLE.match(method, path)

    assert match is not None
    assert (match.route.route_key, match.path_parameters) == (route_key, parameters)


def test_the_default_route_catches_what_nothing_else_does() -> None:
    table = RouteTable([route("ANY", "$default"), route("GET", "/health")])

    health, other = table.match("GET", "/health"), table.match("DELETE", "/")

    assert health is not None
    assert health.route.route_key == "GET /health"
    assert other is not None
    assert other.route.route_key == "$default"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "get"])
def test_any_and_default_stand_only_for_the_methods_a_route_key_names(method: str) -> None:
    table = RouteTable([route("ANY", "/{proxy+}"), route("ANY", "$default")])

    assert table.match(method, "/agents") is None


def test_nothing_matches_an_empty_greedy_segment() -> None:
    assert RouteTable([route("ANY", "/{proxy+}")]).match("GET", "/") is None


def test_a_malformed_function_response_is_a_500() -> None:
    response = translate_response({"statusCode": "not a number"})

    assert response.status == 500
    assert response.body == b'{"message":"Internal Server Error"}'


def test_a_list_response_is_inferred_as_json() -> None:
    response = translate_response([1, 2])

    assert (response.status, response.body) == (200, b"[1, 2]")
