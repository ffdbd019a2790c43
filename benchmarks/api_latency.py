"""GET /agents through the API function against the same query in raw SQL.

10,000 agents of one user (plus other users' rows) in a scratch database; the handler is
called with the sample event of `events/api/list_agents.json`, exactly as API Gateway
would call it, and the baseline runs the page's SQL through psycopg with nothing around it.
"""

import copy
import importlib.util
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

ROWS_OF_USER = 10_000
OTHER_USERS_ROWS = 10_000
PAGE = 50
USER = "bench-user"


@dataclass(frozen=True)
class Latency:
    api_median_ms: float
    sql_median_ms: float

    @property
    def ratio(self) -> float:
        return self.api_median_ms / self.sql_median_ms


class _Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _seed(dsn: str) -> None:
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ai_agents (user_id, agent_type, name, settings, created_at)
            SELECT CASE WHEN n <= %(mine)s THEN %(user)s ELSE 'other-' || (n %% 100) END,
                   'outreach', 'agent ' || n, '{"tone": "professional"}'::jsonb,
                   now() - n * interval '1 second'
            FROM generate_series(1, %(total)s) AS n
            """,
            {"mine": ROWS_OF_USER, "user": USER, "total": ROWS_OF_USER + OTHER_USERS_ROWS},
        )
        cursor.execute("ANALYZE ai_agents")


def _handler(root: Path) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("api_app", root / "functions/api/app.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.lambda_handler
    return handler


def _median_ms(call: Callable[[], object], runs: int) -> float:
    for _ in range(min(20, runs)):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def run(root: Path, database_url: str, runs: int) -> Latency:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    _seed(dsn)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    handler = _handler(root)
    event = json.loads((root / "events/api/list_agents.json").read_text())
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = USER

    def api_call() -> None:
        response = handler(copy.deepcopy(event), _Context())
        assert response["statusCode"] == 200, response
        assert len(json.loads(response["body"])["items"]) == PAGE

    with psycopg.connect(dsn) as connection:

        def sql_call() -> None:
            rows = connection.execute(
                "SELECT * FROM ai_agents WHERE user_id = %s"
                " ORDER BY created_at DESC, id DESC LIMIT %s",
                (USER, PAGE + 1),
            ).fetchall()
            assert len(rows) == PAGE + 1

        sql = _median_ms(sql_call, runs)
    return Latency(api_median_ms=_median_ms(api_call, runs), sql_median_ms=sql)
