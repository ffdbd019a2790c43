"""Contacts, opportunities and notifications through the API function."""

from collections.abc import Callable

from sqlalchemy import insert

from attendry.db.engine import session_scope
from attendry.db.models import Notification
from tests.fixtures.api import ApiResponse

Call = Callable[..., ApiResponse]

EVENT = {
    "title": "FinTech Summit Berlin",
    "location": "Berlin",
    "starts_at": "2027-03-10T09:00:00+01:00",
    "ends_at": "2027-03-11T18:00:00+01:00",
    "topics": ["payments", "risk"],
    "url": "https://fintech-summit.example/2027",
}


def test_contact_saved_from_an_event_reads_back_whole(call_api: Call, alice: str) -> None:
    event = call_api("POST", "/opportunities", user=alice, body=EVENT).json()
    body = {
        "name": "Dana Weber",
        "email": "Dana.Weber@Example.com",
        "title": "Head of Payments",
        "company": "Bank AG",
        "topics": ["payments"],
        "timezone": "Europe/Berlin",
        "opportunity_id": event["id"],
        "metadata": {"source": "speaker list"},
    }

    created = call_api("POST", "/contacts", user=alice, body=body)
    listed = call_api("GET", "/contacts", user=alice, query={"opportunity_id": event["id"]})

    assert created.status == 201, created.body
    contact = created.json()
    assert contact["email"] == "dana.weber@example.com"
    assert contact["metadata"] == {"source": "speaker list"}
    assert [c["id"] for c in listed.json()["items"]] == [contact["id"]]


def test_contact_refusals(call_api: Call, alice: str, bob: str) -> None:
    bobs_event = call_api("POST", "/opportunities", user=bob, body=EVENT).json()
    call_api("POST", "/contacts", user=alice, body={"name": "A", "email": "a@example.com"})

    duplicate = call_api(
        "POST", "/contacts", user=alice, body={"name": "A2", "email": "A@example.com"}
    )
    bad_zone = call_api(
        "POST", "/contacts", user=alice, body={"name": "B", "timezone": "Mars/Base"}
    )
    bad_email = call_api(
        "POST", "/contacts", user=alice, body={"name": "C", "email": "not-an-address"}
    )
    foreign_event = call_api(
        "POST", "/contacts", user=alice, body={"name": "D", "opportunity_id": bobs_event["id"]}
    )

    assert duplicate.status == 409
    assert bad_zone.status == 422
    assert bad_zone.json()["error"]["details"][0]["field"] == "body.timezone"
    assert bad_email.status == 422
    assert foreign_event.status == 422
    assert foreign_event.json()["error"]["details"][0]["field"] == "body.opportunity_id"


def test_opportunity_dates_must_be_in_order(call_api: Call, alice: str) -> None:
    body = {**EVENT, "ends_at": "2027-03-01T00:00:00+00:00"}

    response = call_api("POST", "/opportunities", user=alice, body=body)

    assert response.status == 422


def test_opportunity_is_scoped_to_its_owner(call_api: Call, alice: str, bob: str) -> None:
    event = call_api("POST", "/opportunities", user=alice, body=EVENT).json()

    assert call_api("GET", f"/opportunities/{event['id']}", user=alice).status == 200
    assert call_api("GET", f"/opportunities/{event['id']}", user=bob).status == 404
    assert call_api("GET", "/opportunities", user=bob).json()["items"] == []


def test_notification_read_is_idempotent_and_filters_unread(call_api: Call, alice: str) -> None:
    with session_scope() as session:
        ids = session.scalars(
            insert(Notification).returning(Notification.id),
            [{"user_id": alice, "kind": "draft.ready", "payload": {"n": n}} for n in range(2)],
        ).all()

    first = call_api("POST", f"/notifications/{ids[0]}/read", user=alice).json()
    again = call_api("POST", f"/notifications/{ids[0]}/read", user=alice).json()
    unread = call_api("GET", "/notifications", user=alice, query={"unread": "true"}).json()

    assert first["read_at"] is not None
    assert again["read_at"] == first["read_at"]
    assert [n["id"] for n in unread["items"]] == [str(ids[1])]


def test_health_and_openapi_need_no_token(call_api: Call) -> None:
    health = call_api("GET", "/health", user=None)
    document = call_api("GET", "/openapi.json", user=None)
    docs = call_api("GET", "/docs", user=None)

    assert health.status == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    assert document.status == 200
    paths = document.json()["paths"]
    assert {
        "/agents",
        "/agents/{agent_id}",
        "/contacts",
        "/opportunities",
        "/notifications",
    } <= set(paths)
    assert docs.status == 200
    assert "swagger" in docs.body.lower()
