"""The `DatabaseMigrations` custom resource through its Lambda handler: it migrates a real
database and answers CloudFormation (a capturing HTTP server stands in for the pre-signed
S3 URL), failure included, and never touches the database on Delete."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from attendry.core.config import database_settings
from attendry.db.migrate import head
from tests.fixtures.api import LambdaContext
from tests.fixtures.database import table_names
from tests.fixtures.functions import lambda_handler_of
from tests.fixtures.paths import ROOT

pytestmark = pytest.mark.integration

SAMPLE = json.loads((ROOT / "events/migrations/create.json").read_text())
CONTEXT = LambdaContext(function_name="MigrationsFunction")


class CloudFormation:
    """Records the answers PUT to its URL, as S3 stores them for CloudFormation."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                answers.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/response?signed=1"


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    stand_in = CloudFormation()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def empty_database(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database with nothing in it, as DATABASE_URL of the function."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    database_settings.cache_clear()
    yield empty_database_url
    monkeypatch.undo()
    database_settings.cache_clear()


@pytest.fixture(scope="module")
def handler() -> Any:
    return lambda_handler_of("migrations")


def request(kind: str, response_url: str) -> dict[str, Any]:
    return {**SAMPLE, "RequestType": kind, "ResponseURL": response_url}


def test_create_migrates_an_empty_database_and_answers_success(
    handler: Any, cloudformation: CloudFormation, empty_database: str
) -> None:
    result = handler(request("Create", cloudformation.url), CONTEXT)

    assert result == {"migrated": True}
    assert {"ai_agents", "agent_tasks", "alembic_version"} <= table_names(empty_database)
    [answer] = cloudformation.answers
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {"Revision": head()}
    assert answer["PhysicalResourceId"] == "attendry-database-schema"
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        SAMPLE["StackId"],
        SAMPLE["RequestId"],
        "DatabaseMigrations",
    )


def test_a_failure_is_answered_with_its_reason_instead_of_leaving_the_stack_waiting(
    handler: Any, cloudformation: CloudFormation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    database_settings.cache_clear()

    result = handler(request("Update", cloudformation.url), CONTEXT)
    monkeypatch.undo()
    database_settings.cache_clear()

    assert result == {"migrated": False}
    [answer] = cloudformation.answers
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Migrating the database failed: OperationalError")


def test_delete_answers_success_and_leaves_the_database_alone(
    handler: Any, cloudformation: CloudFormation, empty_database: str
) -> None:
    result = handler(request("Delete", cloudformation.url), CONTEXT)

    assert result == {"migrated": True}
    assert table_names(empty_database) == set()
    assert cloudformation.answers[0]["Status"] == "SUCCESS"
