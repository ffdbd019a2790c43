"""The fixtures integration tests of several packages share: one moto server per test
process, on loopback; the API function; this test's AWS, outreach rows, sent emails and
AgentTasks queues; databases with nothing in them.

Each test makes queues, buckets and identities of its own, so sharing the server never
lets one test see another's messages. The helpers behind these live in tests/fixtures/.
"""

import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from sqlalchemy.orm import Session

from attendry.platform.sqs import default_sqs_client
from attendry_local.postgres import drop_database, ensure_database
from tests.fixtures import agent_tasks, sent_emails
from tests.fixtures import aws as moto
from tests.fixtures import outreach as outreach_rows
from tests.fixtures.agent_tasks import MAX_RECEIVE_COUNT, Handler, LambdaContext, Queues
from tests.fixtures.api import ApiHandler, CallApi, api_caller, load_api_handler
from tests.fixtures.aws import AWS_ENVIRONMENT, REGION, Aws
from tests.fixtures.functions import load_function
from tests.fixtures.outreach import Outreach
from tests.fixtures.sent_emails import Apply, MakeSent


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def empty_database_url(database_server_url: str) -> Iterator[str]:
    """A database of its own with no table, dropped after the test."""
    name = f"attendry_empty_{uuid.uuid4().hex[:8]}"
    url = ensure_database(database_server_url, name)
    yield url
    drop_database(database_server_url, name)


# ----------------------------------------------------------------------------- the API


@pytest.fixture(scope="session")
def api_handler(database_url: str) -> ApiHandler:
    return load_api_handler()


@pytest.fixture
def call_api(api_handler: ApiHandler) -> CallApi:
    return api_caller(api_handler)


@pytest.fixture
def alice() -> str:
    return f"alice-{uuid.uuid4()}"


@pytest.fixture
def bob() -> str:
    return f"bob-{uuid.uuid4()}"


# ------------------------------------------------------------- sending and its events


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """This test's EmailSend queue and DLQ on moto, set in the environment as the template
    sets them; the cached clients and settings are cleared around the test so they are
    built against it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    for name, value in AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    stand_in = moto.email_send_aws(moto_endpoint)
    monkeypatch.setenv("EMAIL_SEND_QUEUE_URL", stand_in.queue_url)
    monkeypatch.setenv("EMAIL_SEND_DLQ_URL", stand_in.dlq_url)
    moto.clear_cached_collaborators()
    try:
        yield stand_in
    finally:
        moto.clear_cached_collaborators()


@pytest.fixture
def session(db_session: Session) -> Session:
    """The root conftest's session, under the name the email tests use."""
    return db_session


@pytest.fixture
def user(user_id: str) -> str:
    return user_id


@pytest.fixture
def make_outreach(database_url: str) -> Callable[..., Outreach]:
    return outreach_rows.make_outreach


@pytest.fixture
def outreach(make_outreach: Callable[..., Outreach], user: str) -> Outreach:
    return make_outreach(user)


@pytest.fixture
def make_sent(database_url: str) -> MakeSent:
    """`make_sent(user_id, recorded=False)` leaves the row `sending`, its outcome lost."""
    return sent_emails.make_sent


@pytest.fixture
def apply(database_url: str) -> Apply:
    """`apply(event, sns_message_id=None)`: the notification applied, as both ways in do."""
    return sent_emails.apply_notification


# ------------------------------------------------------------------- agent tasks


@pytest.fixture
def aws_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """boto3 pointed at the moto server for one test (others may bring their own)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    default_sqs_client.cache_clear()
    yield moto_endpoint
    default_sqs_client.cache_clear()


@pytest.fixture
def queues(aws_endpoint: str) -> Queues:
    """A fresh AgentTasks queue and DLQ, shaped like the template's (visible at once)."""
    return agent_tasks.agent_task_queues(boto3.client("sqs"))


@pytest.fixture
def worker_env(
    database_url: str, queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.MonkeyPatch]:
    """The environment the template gives the agent-task function, offline drafter; the
    settings cached from it are forgotten before and after the test."""
    monkeypatch.setenv("AGENT_TASKS_QUEUE_URL", queues.url)
    monkeypatch.setenv("AGENT_TASKS_DLQ_URL", queues.dlq_url)
    monkeypatch.setenv("MAX_RECEIVE_COUNT", str(MAX_RECEIVE_COUNT))
    for name in ("GEMINI_API_KEY", "GEMINI_API_KEY_SECRET_ARN", "LLM_MONTHLY_BUDGET_USD"):
        monkeypatch.delenv(name, raising=False)
    agent_tasks.forget_cached_settings()
    yield monkeypatch
    agent_tasks.forget_cached_settings()


@pytest.fixture
def agent_task_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """The function as a fresh cold start: its settings are read from this test's environment."""
    module = load_function("agent_tasks")
    return lambda event: module.lambda_handler(event, LambdaContext())


@pytest.fixture
def task_redrive_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """A fresh cold start: its settings (the queue among them) are this test's."""
    module = load_function("task_redrive")
    return lambda event: module.lambda_handler(
        event, LambdaContext(function_name="TaskRedriveFunction")
    )


@pytest.fixture
def planning_pass_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """A fresh cold start: its settings (the queue among them) are this test's."""
    module = load_function("planning_pass")
    return lambda event: module.lambda_handler(
        event, LambdaContext(function_name="PlanningPassFunction")
    )
