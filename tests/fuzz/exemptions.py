"""What the fuzzer must not hold against the API, each with why.

Valid-by-schema data refused for a reason the OpenAPI document cannot state:

Schemathesis' `positive_data_acceptance` check sends requests the document calls valid
and expects them accepted. A few operations apply rules that depend on stored data or on
one field's relation to another, which JSON Schema cannot say: there the refusal is the
right answer, and each is listed here with its statuses and why. Everything else that
refuses valid data is a bug, in the document or in the route; fix it there, not here.

Methods API Gateway answers itself: the coverage phase sends each path methods its
operations do not declare and expects the API's 405. Two kinds never reach the API:
- a method no route key can name (TRACE, QUERY): API Gateway answers its own 404
  `{"message":"Not Found"}`, as the local HTTP API does (README, "Local mode");
- another method on a public route's path: the template routes only the public method
  without the authorizer, so any other goes to the catch-all `ANY /{proxy+}`, whose JWT
  authorizer answers 401 to a caller without a token before the API could say 405.
"""

from dataclasses import dataclass

# Schemathesis' own defaults for the check, which an operation's list replaces: a 5xx is
# left to `not_a_server_error`, and 401/403/404/409/429 say nothing about the data.
ACCEPTING_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")


# Schemathesis' own defaults for invalid data's refusal, and 413: a body over the API's
# 256 KB limit (a long field of invalid data can be one) is refused before it is read.
REJECTING_STATUSES = (
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "413",
    "415",
    "422",
    "428",
    "429",
    "5xx",
)

# Schemathesis' default list of undeclared methods to try, less those two.
UNEXPECTED_METHODS = ("get", "put", "post", "delete", "options", "patch")


@dataclass(frozen=True)
class Exemption:
    """`method path` may refuse schema-valid data with `statuses`, because of `reason`."""

    method: str
    path: str
    statuses: tuple[int, ...]
    reason: str

    @property
    def name(self) -> str:
        """The operation as schemathesis names it: one filter, unlike a path and a method
        (two filters, of which any one selects)."""
        return f"{self.method} {self.path}"

    @property
    def expected_statuses(self) -> tuple[str, ...]:
        return (*ACCEPTING_STATUSES, *map(str, self.statuses))


PUBLIC_OPERATIONS = (
    "GET /health",
    "POST /webhooks/ses",
    "GET /unsubscribe/{token}",
    "POST /unsubscribe/{token}",
)
"""The operations without the authorizer (template.yaml), where `unsupported_method` is off."""

EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        "GET",
        "/recommendations",
        (422,),
        "a ranking cursor is an opaque token the API issued; no pattern tells a real one",
    ),
    Exemption(
        "PATCH",
        "/agents/{agent_id}",
        (422,),
        "settings must fit the stored agent's type, which the request does not carry",
    ),
    Exemption(
        "POST",
        "/agents",
        (422,),
        "settings must fit the model of the body's agent_type, a send window start before its end",
    ),
    Exemption(
        "POST",
        "/agents/{agent_id}/tasks",
        (422,),
        "the task's contact_id must name a contact of the user's that exists",
    ),
    Exemption(
        "POST",
        "/contacts",
        (422,),
        "opportunity_id must name an opportunity of the user's that exists",
    ),
    Exemption(
        "POST",
        "/opportunities/{opportunity_id}/delegate",
        (422,),
        "agent_id must name an outreach agent of the user's that exists",
    ),
    Exemption(
        "POST",
        "/opportunities",
        (422,),
        "ends_at must not be before starts_at, a relation between two fields",
    ),
    Exemption(
        "POST",
        "/webhooks/ses",
        (400,),
        "only a message SNS signed is taken, and no schema describes a signature",
    ),
)
