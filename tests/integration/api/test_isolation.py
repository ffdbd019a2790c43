"""Per-user scoping, route by route: another user's rows are never reachable.

Alice and Bob each own a full account (every kind of row the API shows, see
`tests.fixtures.worlds`). Every route the API serves has a row in `ROUTES`, and a route
added without one fails `test_every_route_has_an_isolation_case`, so scoping is decided
for each new route rather than forgotten. The cases:

- `ById`: Bob sends Alice's id where the route takes one. He gets 404, word for word the
  answer for an id nobody has (so the 404 does not even tell him the id exists), nothing
  of Alice's text, and none of Alice's rows changes. Alice sending the same request gets
  her answer, so the request was one that works.
- `Listing`: Bob lists while Alice's rows are there and sees exactly his own; a filter
  naming Alice's row (`?agent_id=<hers>`) finds nothing, the same filter naming his finds
  his.
- `Summary`: figures (LLM usage, sending rates) count only the caller's rows.
- `NamingAnothersRow`: Bob's own route, with Alice's id in the body: refused as invalid
  input, as an id nobody has would be.
- `Creating`, `OwnState`, `AnotherUsersIdempotencyKey`: what Bob makes or changes is his.
- `Public`: routes a token in the request itself authorises, not the caller's JWT.
"""

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import boto3
import pytest
from cfnlint.decode import cfn_yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from attendry.api.app import app as resolver
from attendry.db.engine import get_engine
from attendry.db.models import Agent, Contact, Opportunity, OutreachSent, UserSendingState
from attendry.platform.sqs import default_sqs_client
from attendry.sending.settings import sending_settings
from attendry.tasks.settings import task_settings
from attendry.usage.settings import llm_limit_settings
from tests.fixtures.api import ApiResponse
from tests.fixtures.paths import TEMPLATE
from tests.fixtures.worlds import World, make_world, now_utc, snapshot

pytestmark = pytest.mark.integration

Call = Callable[..., ApiResponse]
Route = tuple[str, str]
REGION = "us-east-1"


@dataclass
class Accounts:
    """Alice, whose rows are the target, and Bob, who must not reach them."""

    call: Call
    session: Session
    alice: World
    bob: World

    def alices_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return snapshot(self.session, self.alice.user_id)


def path_of(template: str, value: object) -> str:
    """The route's path with its one path parameter set to `value`."""
    filled, count = re.subn(r"\{[^}]+\}", str(value), template)
    assert count == 1, f"{template} takes {count} path parameters; the case needs one"
    return filled


def tuesday_ten_a_week_after(now: datetime) -> datetime:
    """A due time every world's follow-up accepts: a Tuesday 10:00 UTC, a week ahead."""
    day = now + timedelta(days=7)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


Body = Callable[[World], Any]


class Case(Protocol):
    def check(self, route: Route, accounts: Accounts) -> None: ...


@dataclass(frozen=True)
class ById:
    row: Callable[[World], uuid.UUID]
    owner_status: int = 200
    body: Body | None = None

    def check(self, route: Route, accounts: Accounts) -> None:
        method, template = route
        alice, bob = accounts.alice, accounts.bob
        target = self.row(alice)
        nobodys = uuid.uuid4()
        before = accounts.alices_rows()

        theirs = accounts.call(
            method, path_of(template, target), user=bob.user_id, body=self._body(bob)
        )
        unknown = accounts.call(
            method, path_of(template, nobodys), user=bob.user_id, body=self._body(bob)
        )

        assert theirs.status == 404, f"another user's id answered {theirs.status}: {theirs.body}"
        assert theirs.json()["error"]["code"] == "not_found"
        assert theirs.body.replace(str(target), "<id>") == unknown.body.replace(
            str(nobodys), "<id>"
        ), "the 404 for another user's id differs from the 404 for an id nobody has"
        assert alice.marker not in theirs.body
        assert accounts.alices_rows() == before, "another user's request changed the owner's rows"

        mine = accounts.call(
            method, path_of(template, target), user=alice.user_id, body=self._body(alice)
        )
        assert mine.status == self.owner_status, f"the owner got {mine.status}: {mine.body}"

    def _body(self, caller: World) -> Any:
        return self.body(caller) if self.body else None


def ids(response: ApiResponse) -> set[str]:
    return {item["id"] for item in response.json()["items"]}


def opportunity_ids(response: ApiResponse) -> set[str]:
    return {item["opportunity"]["id"] for item in response.json()["items"]}


def as_text(values: set[uuid.UUID]) -> set[str]:
    return {str(value) for value in values}


@dataclass(frozen=True)
class Listing:
    own: Callable[[World], set[uuid.UUID]]
    filters: Mapping[str, Callable[[World], uuid.UUID]] = field(default_factory=dict)
    listed: Callable[[ApiResponse], set[str]] = ids

    def check(self, route: Route, accounts: Accounts) -> None:
        _, path = route
        alice, bob = accounts.alice, accounts.bob

        page = accounts.call("GET", path, user=bob.user_id)

        assert page.status == 200, page.body
        assert self.listed(page) == as_text(self.own(bob))
        assert alice.marker not in page.body
        for name, row in self.filters.items():
            theirs = accounts.call("GET", path, user=bob.user_id, query={name: str(row(alice))})
            own = accounts.call("GET", path, user=bob.user_id, query={name: str(row(bob))})
            assert (theirs.status, self.listed(theirs)) == (200, set()), f"?{name}=<theirs>"
            assert self.listed(own), f"?{name}=<own> found nothing: the filter proves nothing"
            assert self.listed(own) <= as_text(self.own(bob))


@dataclass(frozen=True)
class Summary:
    """`expect(response_json, world)` holds for Bob's answer and his world alone."""

    expect: Callable[[dict[str, Any], World], None]

    def check(self, route: Route, accounts: Accounts) -> None:
        method, path = route
        answer = accounts.call(method, path, user=accounts.bob.user_id)
        assert answer.status == 200, answer.body
        self.expect(answer.json(), accounts.bob)
        mine = accounts.call(method, path, user=accounts.alice.user_id)
        self.expect(mine.json(), accounts.alice)


@dataclass(frozen=True)
class NamingAnothersRow:
    """Bob's route and Bob's request, but `field` names Alice's row: 422 naming the field."""

    own_path: Callable[[World], uuid.UUID]
    body: Callable[[World, World], Any]
    """(caller, whose row the body names) -> body."""
    field: str
    owner_status: int

    def check(self, route: Route, accounts: Accounts) -> None:
        method, template = route
        alice, bob = accounts.alice, accounts.bob
        path = path_of(template, self.own_path(bob))
        before = accounts.alices_rows()

        theirs = accounts.call(method, path, user=bob.user_id, body=self.body(bob, alice))

        assert theirs.status == 422, theirs.body
        assert [d["field"] for d in theirs.json()["error"]["details"]] == [self.field]
        assert alice.marker not in theirs.body
        assert accounts.alices_rows() == before
        own = accounts.call(method, path, user=bob.user_id, body=self.body(bob, bob))
        assert own.status == self.owner_status, own.body


@dataclass(frozen=True)
class Creating:
    """What Bob creates is Bob's: Alice can neither read nor list it."""

    body: Body
    model: type[Agent] | type[Contact] | type[Opportunity]

    def check(self, route: Route, accounts: Accounts) -> None:
        method, path = route
        alice, bob = accounts.alice, accounts.bob

        created = accounts.call(method, path, user=bob.user_id, body=self.body(bob))

        assert created.status == 201, created.body
        new_id = created.json()["id"]
        owner = accounts.session.scalar(
            select(self.model.user_id).where(self.model.id == uuid.UUID(new_id))
        )
        assert owner == bob.user_id
        assert accounts.call("GET", f"{path}/{new_id}", user=alice.user_id).status == 404
        assert new_id not in ids(accounts.call("GET", path, user=alice.user_id))


@dataclass(frozen=True)
class OwnState:
    """`check_state(accounts)` runs the route as Bob and checks Alice's state held."""

    check_state: Callable[[Route, Accounts], None]

    def check(self, route: Route, accounts: Accounts) -> None:
        self.check_state(route, accounts)


@dataclass(frozen=True)
class AnotherUsersIdempotencyKey:
    """Bob reusing the Idempotency-Key Alice used gets a task of his own, not hers."""

    def check(self, route: Route, accounts: Accounts) -> None:
        method, template = route
        alice, bob = accounts.alice, accounts.bob
        key = {"Idempotency-Key": f"{alice.marker}-key"}
        before = accounts.alices_rows()

        response = accounts.call(
            method,
            path_of(template, bob.outreach_agent_id),
            user=bob.user_id,
            body=task_body(bob),
            headers=key,
        )

        assert response.status == 202, response.body
        assert response.json()["id"] != str(alice.task_id)
        assert response.json()["input"]["contact_id"] == str(bob.contact_id)
        assert alice.marker not in response.body.replace(key["Idempotency-Key"], "")
        assert accounts.alices_rows() == before


@dataclass(frozen=True)
class SameSpeaker:
    """Both users wrote to the same person: Bob marking his contact replied stops his
    follow-ups only. (Follow-ups are also stopped by address, which both threads share.)"""

    def check(self, route: Route, accounts: Accounts) -> None:
        method, template = route
        alice, bob = accounts.alice, accounts.bob
        address = accounts.session.scalar(
            select(Contact.email).where(Contact.id == alice.contact_id)
        )
        accounts.session.execute(
            update(Contact).where(Contact.id == bob.contact_id).values(email=address)
        )
        accounts.session.execute(
            update(OutreachSent)
            .where(OutreachSent.user_id == bob.user_id)
            .values(recipient_email=address)
        )
        accounts.session.commit()
        before = accounts.alices_rows()

        marked = accounts.call(method, path_of(template, bob.contact_id), user=bob.user_id)

        assert marked.status == 200, marked.body
        assert marked.json()["followups_cancelled"] == 1
        assert alice.marker not in marked.body
        assert accounts.alices_rows() == before, "the other user's follow-ups were stopped"


@dataclass(frozen=True)
class Public:
    """Not scoped by a caller: `reason` says what authorises the request instead."""

    reason: str


def task_body(caller: World, names: World | None = None) -> dict[str, Any]:
    return {
        "task_type": "draft_outreach",
        "input": {"contact_id": str((names or caller).contact_id)},
    }


def delegate_body(caller: World, names: World) -> dict[str, Any]:
    return {"contact_ids": [str(names.fresh_contact_id)]}


def contact_body(caller: World, names: World | None = None) -> dict[str, Any]:
    return {
        "name": "Grace Hopper",
        "email": f"grace-{uuid.uuid4().hex[:8]}@example.com",
        "opportunity_id": str((names or caller).opportunity_id),
    }


def only_own_usage(answer: dict[str, Any], world: World) -> None:
    assert (answer["calls"], answer["input_tokens"], answer["output_tokens"]) == (
        1,
        *world.usage,
    )


def only_own_sends(answer: dict[str, Any], world: World) -> None:
    rates = answer["rates"]
    assert (rates["sends"], rates["bounces"]) == (len(world.sent_ids), len(world.sent_ids) - 1)
    assert answer["paused"] is False


def resume_leaves_others_paused(route: Route, accounts: Accounts) -> None:
    method, path = route
    alice, bob = accounts.alice, accounts.bob
    accounts.session.add(
        UserSendingState(
            user_id=alice.user_id, paused=True, reason="bounce rate", paused_at=now_utc()
        )
    )
    accounts.session.commit()
    before = accounts.alices_rows()

    resumed = accounts.call(method, path, user=bob.user_id)

    assert resumed.status == 200, resumed.body
    assert resumed.json()["paused"] is False
    assert accounts.alices_rows() == before
    accounts.session.expire_all()
    state = accounts.session.get(UserSendingState, alice.user_id)
    assert state is not None
    assert state.paused is True


NOW = now_utc()

ROUTES: dict[Route, tuple[Case | Public, ...]] = {
    ("GET", "/health"): (Public("liveness: no user data"),),
    ("GET", "/openapi.json"): (Public("the API's description: no user data"),),
    ("GET", "/docs"): (Public("the Swagger page: no user data"),),
    ("POST", "/webhooks/ses"): (Public("SNS's signature, for SES's events"),),
    ("GET", "/unsubscribe/{token}"): (Public("the signed token of one sent email"),),
    ("POST", "/unsubscribe/{token}"): (Public("the signed token of one sent email"),),
    ("POST", "/agents"): (
        Creating(lambda w: {"agent_type": "outreach", "name": f"New {uuid.uuid4()}"}, Agent),
    ),
    ("GET", "/agents"): (Listing(lambda w: w.agent_ids),),
    ("GET", "/agents/{agent_id}"): (ById(lambda w: w.outreach_agent_id),),
    ("PATCH", "/agents/{agent_id}"): (
        ById(lambda w: w.outreach_agent_id, body=lambda w: {"name": f"Renamed {uuid.uuid4()}"}),
    ),
    ("POST", "/contacts"): (Creating(contact_body, Contact),),
    ("GET", "/contacts"): (
        Listing(lambda w: w.contact_ids, filters={"opportunity_id": lambda w: w.opportunity_id}),
    ),
    ("GET", "/contacts/{contact_id}"): (ById(lambda w: w.contact_id),),
    ("POST", "/contacts/{contact_id}/replied"): (ById(lambda w: w.contact_id), SameSpeaker()),
    ("GET", "/contacts/{contact_id}/thread"): (ById(lambda w: w.contact_id),),
    ("GET", "/replies"): (
        Listing(
            lambda w: {w.inbound_id},
            filters={
                "agent_id": lambda w: w.outreach_agent_id,
                "contact_id": lambda w: w.contact_id,
            },
        ),
    ),
    ("GET", "/replies/{reply_id}"): (ById(lambda w: w.inbound_id),),
    ("POST", "/opportunities"): (
        Creating(
            lambda w: {"title": "New Summit", "starts_at": "2031-01-01T09:00:00Z"}, Opportunity
        ),
    ),
    ("GET", "/opportunities"): (Listing(lambda w: {w.opportunity_id}),),
    ("GET", "/opportunities/{opportunity_id}"): (ById(lambda w: w.opportunity_id),),
    ("GET", "/notifications"): (Listing(lambda w: {w.notification_id}),),
    ("POST", "/notifications/{notification_id}/read"): (ById(lambda w: w.notification_id),),
    ("GET", "/usage"): (Summary(only_own_usage),),
    ("POST", "/agents/{agent_id}/tasks"): (
        ById(lambda w: w.outreach_agent_id, owner_status=202, body=task_body),
        NamingAnothersRow(
            lambda w: w.outreach_agent_id, task_body, "body.input.contact_id", owner_status=202
        ),
        AnotherUsersIdempotencyKey(),
    ),
    ("GET", "/agents/{agent_id}/tasks"): (ById(lambda w: w.outreach_agent_id),),
    ("GET", "/tasks/{task_id}"): (ById(lambda w: w.task_id),),
    ("GET", "/agents/outreach/drafts"): (
        Listing(
            lambda w: w.draft_ids,
            filters={
                "agent_id": lambda w: w.outreach_agent_id,
                "contact_id": lambda w: w.contact_id,
            },
        ),
    ),
    ("GET", "/agents/outreach/drafts/{draft_id}"): (ById(lambda w: w.draft_id),),
    ("PATCH", "/agents/outreach/drafts/{draft_id}"): (
        ById(lambda w: w.draft_id, body=lambda w: {"subject": "A better subject"}),
    ),
    ("POST", "/agents/outreach/drafts/{draft_id}/approve"): (
        ById(lambda w: w.draft_id, owner_status=202),
    ),
    ("POST", "/agents/outreach/drafts/{draft_id}/reject"): (
        ById(lambda w: w.draft_id, body=lambda w: {"reason": "Not now"}),
    ),
    ("GET", "/agents/outreach/sent"): (
        Listing(
            lambda w: w.sent_ids,
            filters={
                "agent_id": lambda w: w.outreach_agent_id,
                "contact_id": lambda w: w.contact_id,
            },
        ),
    ),
    ("GET", "/agents/outreach/sent/{sent_id}"): (ById(lambda w: w.sent_id),),
    ("GET", "/sending"): (Summary(only_own_sends),),
    ("POST", "/sending/resume"): (OwnState(resume_leaves_others_paused),),
    ("GET", "/followups"): (
        Listing(
            lambda w: {w.followup_id},
            filters={
                "agent_id": lambda w: w.followup_agent_id,
                "contact_id": lambda w: w.contact_id,
            },
        ),
    ),
    ("POST", "/followups/{followup_id}/cancel"): (ById(lambda w: w.followup_id),),
    ("PATCH", "/followups/{followup_id}"): (
        ById(
            lambda w: w.followup_id,
            body=lambda w: {"due_at": tuesday_ten_a_week_after(NOW).isoformat()},
        ),
    ),
    ("GET", "/agents/{agent_id}/messages"): (ById(lambda w: w.outreach_agent_id),),
    ("GET", "/recommendations"): (Listing(lambda w: {w.opportunity_id}, listed=opportunity_ids),),
    ("GET", "/opportunities/{opportunity_id}/recommendations"): (ById(lambda w: w.opportunity_id),),
    ("POST", "/opportunities/{opportunity_id}/delegate"): (
        ById(lambda w: w.opportunity_id, owner_status=202),
        NamingAnothersRow(
            lambda w: w.opportunity_id, delegate_body, "body.contact_ids", owner_status=202
        ),
    ),
    ("GET", "/opportunities/{opportunity_id}/activity"): (ById(lambda w: w.opportunity_id),),
}


def served_routes() -> set[Route]:
    """Every route the API function answers, as (method, OpenAPI path)."""
    routes = [*resolver._static_routes, *resolver._dynamic_routes]
    return {(route.method, route.openapi_path) for route in routes}


def test_every_route_has_an_isolation_case() -> None:
    served = served_routes()

    assert sorted(served - set(ROUTES)) == [], "routes without a case in ROUTES"
    assert sorted(set(ROUTES) - served) == [], "cases for routes the API no longer serves"


def test_the_public_routes_are_the_ones_the_template_leaves_without_the_authorizer() -> None:
    template = cfn_yaml.load(str(TEMPLATE))
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    unauthorised = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for event in events.values()
        if event["Type"] == "HttpApi"
        and event["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    }

    public = {route for route, cases in ROUTES.items() if any(isinstance(c, Public) for c in cases)}

    assert public == unauthorised


CASES = [
    pytest.param(route, case, id=f"{route[0]} {route[1]} [{type(case).__name__}]")
    for route, cases in ROUTES.items()
    for case in cases
    if not isinstance(case, Public)
]


@pytest.fixture(scope="module")
def queues(moto_endpoint: str) -> Iterator[None]:
    """Queues for the routes that enqueue (tasks, approved drafts), for the module."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }.items():
            patch.setenv(name, value)
        sqs = boto3.client("sqs")
        suffix = uuid.uuid4().hex[:8]
        for variable, name in {
            "AGENT_TASKS_QUEUE_URL": "AgentTasks",
            "AGENT_TASKS_DLQ_URL": "AgentTasksDlq",
            "EMAIL_SEND_QUEUE_URL": "EmailSend",
            "EMAIL_SEND_DLQ_URL": "EmailSendDlq",
        }.items():
            patch.setenv(variable, sqs.create_queue(QueueName=f"{name}-{suffix}")["QueueUrl"])
        caches = (default_sqs_client, task_settings, llm_limit_settings, sending_settings)
        for cached in caches:
            cached.cache_clear()
        yield
        for cached in caches:
            cached.cache_clear()


@pytest.fixture
def accounts(call_api: Call, queues: None, alice: str, bob: str) -> Iterator[Accounts]:
    with Session(get_engine(), expire_on_commit=False) as session:
        worlds = {
            user: make_world(session, user, now=NOW, tokens=tokens, bounced=bounced)
            for user, tokens, bounced in ((alice, 1000, True), (bob, 10, False))
        }
        yield Accounts(call_api, session, worlds[alice], worlds[bob])


@pytest.mark.parametrize(("route", "case"), CASES)
def test_no_route_reaches_another_users_rows(route: Route, case: Case, accounts: Accounts) -> None:
    case.check(route, accounts)


@pytest.mark.parametrize(
    ("path", "noun"),
    [("/agents/{}/tasks", "Agent"), ("/agents/{}/messages", "Agent"), ("/contacts/{}", "Contact")],
)
def test_a_404_names_what_was_not_found(
    path: str, noun: str, accounts: Accounts, call_api: Call
) -> None:
    theirs = accounts.alice.outreach_agent_id if noun == "Agent" else accounts.alice.contact_id

    response = call_api("GET", path.format(theirs), user=accounts.bob.user_id)

    assert response.json()["error"]["message"] == f"{noun} {theirs} was not found."
