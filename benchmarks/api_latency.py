"""GET /agents through the API function against the same query in raw SQL.

10,000 agents of one user (plus other users' rows) in a scratch database; the handler is
called with the sample event of `events/api/list_agents.json`, exactly as API Gateway
would call it, and the baseline runs the page's SQL through psycopg with nothing around it.
The two are timed in alternation, so a busy moment of the machine weighs on both alike;
each response is checked after the timed call, not inside it.
"""

import copy
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.lambda_harness import LambdaContext, libpq_dsn, load_handler

ROWS_OF_USER = 10_000
OTHER_USERS_ROWS = 10_000
PAGE = 50
WARMUP = 20
USER = "bench-user"


@dataclass(frozen=True)
class Latency:
    api_median_ms: float
    sql_median_ms: float

    @property
    def ratio(self) -> float:
        return self.api_median_ms / self.sql_median_ms


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


def _alternating_medians_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    for _ in range(WARMUP):
        first()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, times in zip((first, second), samples, strict=True):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return statistics.median(samples[0]) * 1000, statistics.median(samples[1]) * 1000


def run(root: Path, database_url: str, runs: int) -> Latency:
    dsn = libpq_dsn(database_url)
    _seed(dsn)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    handler = load_handler(root, "api")
    event = json.loads((root / "events/api/list_agents.json").read_text())
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = USER
    events = iter([copy.deepcopy(event) for _ in range(WARMUP + runs)])
    responses: list[dict[str, Any]] = []

    def api_call() -> None:
        responses.append(handler(next(events), LambdaContext("ApiFunction")))

    with psycopg.connect(dsn) as connection:
        pages: list[list[Any]] = []

        def sql_call() -> None:
            pages.append(
                connection.execute(
                    "SELECT * FROM ai_agents WHERE user_id = %s"
                    " ORDER BY created_at DESC, id DESC LIMIT %s",
                    (USER, PAGE + 1),
                ).fetchall()
            )

        api, sql = _alternating_medians_ms(api_call, sql_call, runs)
    for response in responses:
        assert response["statusCode"] == 200, response
        assert len(json.loads(response["body"])["items"]) == PAGE
    assert all(len(rows) == PAGE + 1 for rows in pages)
    return Latency(api_median_ms=api, sql_median_ms=sql)
