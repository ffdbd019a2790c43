"""Agents through the API function: create with defaults, read, list, patch, and every refusal."""

from collections.abc import Callable

from tests.fixtures.api import ApiResponse

Call = Callable[..., ApiResponse]


def create_agent(call_api: Call, user: str, **overrides: object) -> dict[str, object]:
    body = {"agent_type": "outreach", "name": "Outreach", **overrides}
    response = call_api("POST", "/agents", user=user, body=body)
    assert response.status == 201, response.body
    return response.json()  # type: ignore[no-any-return]


def test_created_agent_gets_the_spec_defaults_for_its_type(call_api: Call, alice: str) -> None:
    agent = create_agent(call_api, alice, agent_type="followup", name="Chaser")

    assert agent["status"] == "active"
    settings = agent["settings"]
    assert settings["requires_approval"] is True
    assert settings["followup_cadence_days"] == [3, 7, 14]
    assert settings["max_followups"] == 3
    assert settings["send_window"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "08:00:00",
        "end": "18:00:00",
    }


def test_agent_is_read_back_by_its_owner_and_hidden_from_others(
    call_api: Call, alice: str, bob: str
) -> None:
    agent = create_agent(call_api, alice, settings={"tone": "friendly"})

    mine = call_api("GET", f"/agents/{agent['id']}", user=alice)
    theirs = call_api("GET", f"/agents/{agent['id']}", user=bob)

    assert mine.status == 200
    assert mine.json()["settings"]["tone"] == "friendly"
    assert theirs.status == 404
    assert theirs.json()["error"]["code"] == "not_found"


def test_patch_pauses_and_merges_settings_keeping_the_rest(call_api: Call, alice: str) -> None:
    agent = create_agent(call_api, alice, settings={"tone": "formal", "daily_send_cap": 20})

    response = call_api(
        "PATCH",
        f"/agents/{agent['id']}",
        user=alice,
        body={"status": "paused", "settings": {"daily_send_cap": 5}},
    )

    assert response.status == 200, response.body
    patched = response.json()
    assert patched["status"] == "paused"
    assert patched["settings"]["daily_send_cap"] == 5
    assert patched["settings"]["tone"] == "formal"


def test_settings_of_another_type_are_refused_with_the_field_named(
    call_api: Call, alice: str
) -> None:
    response = call_api(
        "POST",
        "/agents",
        user=alice,
        body={"agent_type": "outreach", "name": "x", "settings": {"max_followups": 2}},
    )

    assert response.status == 422
    fields = [d["field"] for d in response.json()["error"]["details"]]
    assert fields == ["body.settings.max_followups"]


def test_invalid_body_is_422_with_each_field(call_api: Call, alice: str) -> None:
    response = call_api("POST", "/agents", user=alice, body={"agent_type": "spy", "name": ""})

    assert response.status == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert {"body.agent_type", "body.name"} <= fields


def test_malformed_json_is_422_not_500(call_api: Call, alice: str) -> None:
    response = call_api("POST", "/agents", user=alice, raw_body="{not json")

    assert response.status == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_duplicate_name_is_409(call_api: Call, alice: str, bob: str) -> None:
    create_agent(call_api, alice, name="Same")

    again = call_api("POST", "/agents", user=alice, body={"agent_type": "planning", "name": "Same"})
    other_user = call_api(
        "POST", "/agents", user=bob, body={"agent_type": "outreach", "name": "Same"}
    )

    assert again.status == 409
    assert again.json()["error"]["code"] == "conflict"
    assert other_user.status == 201


def test_no_token_is_401(call_api: Call) -> None:
    response = call_api("GET", "/agents", user=None)

    assert response.status == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_body_over_256_kb_is_413(call_api: Call, alice: str) -> None:
    huge = "x" * (256 * 1024 + 1)
    response = call_api("POST", "/agents", user=alice, raw_body=huge)

    assert response.status == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_route_is_404_in_the_same_shape(call_api: Call, alice: str) -> None:
    response = call_api("GET", "/nothing-here", user=alice)

    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"


def test_list_pages_newest_first_without_gaps_or_repeats(
    call_api: Call, alice: str, bob: str
) -> None:
    created = [create_agent(call_api, alice, name=f"agent {i}")["id"] for i in range(7)]
    create_agent(call_api, bob, name="not alice's")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = call_api("GET", "/agents", user=alice, query=query).json()
        seen += [a["id"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(created))
    assert pages == 3


def test_list_filters_by_type(call_api: Call, alice: str) -> None:
    create_agent(call_api, alice, name="o")
    planner = create_agent(call_api, alice, agent_type="planning", name="p")

    page = call_api("GET", "/agents", user=alice, query={"agent_type": "planning"}).json()

    assert [a["id"] for a in page["items"]] == [planner["id"]]


def test_each_filter_value_gets_its_own_rows(call_api: Call, alice: str) -> None:
    """A list statement is built once per set of filters; the values must still count."""
    outreach = create_agent(call_api, alice, name="o")
    planner = create_agent(call_api, alice, agent_type="planning", name="p")
    call_api("PATCH", f"/agents/{planner['id']}", user=alice, body={"status": "paused"})

    def ids(query: dict[str, str]) -> list[str]:
        page = call_api("GET", "/agents", user=alice, query=query).json()
        return [agent["id"] for agent in page["items"]]

    assert ids({"agent_type": "planning"}) == [planner["id"]]
    assert ids({"agent_type": "outreach"}) == [outreach["id"]]
    assert ids({"status": "paused"}) == [planner["id"]]
    assert ids({"status": "active", "agent_type": "outreach"}) == [outreach["id"]]
    assert ids({"status": "paused", "agent_type": "outreach"}) == []


def test_limit_over_200_and_forged_cursor_are_422(call_api: Call, alice: str) -> None:
    too_many = call_api("GET", "/agents", user=alice, query={"limit": "201"})
    forged = call_api("GET", "/agents", user=alice, query={"cursor": "bm90LWEtY3Vyc29y"})

    assert too_many.status == 422
    assert too_many.json()["error"]["details"][0]["field"] == "query.limit"
    assert forged.status == 422
    assert forged.json()["error"]["details"][0]["field"] == "query.cursor"


def test_a_form_encoded_body_is_415_saying_to_send_json(call_api: Call, alice: str) -> None:
    response = call_api(
        "POST",
        "/agents",
        user=alice,
        body={"agent_type": "outreach", "name": "x"},
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status == 415
    assert "application/json" in response.json()["error"]["message"]
