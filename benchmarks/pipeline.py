"""The outreach pipeline end to end on the local runtime: tasks to drafts, approvals to sends.

Everything goes through the public HTTP API of a LocalRuntime built from template.yaml,
with the offline drafter, the real queues (moto), pollers, workers and PostgreSQL. Stage
times come from the rows' own timestamps: queued → claimed (queue wait), claimed →
completed (the agent's own work, no LLM call), approved → sent (queue wait plus SES).
"""

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from attendry.db.models import AgentTask, OutreachDraft, OutreachSent
from attendry_local.demo import Client
from attendry_local.runtime import LocalRuntime

CLIENT_THREADS = 8
WAIT_SECONDS = 600


@dataclass(frozen=True)
class Stage:
    name: str
    median_ms: float
    p95_ms: float


@dataclass(frozen=True)
class PipelineFigures:
    count: int
    drafts_per_s: float
    sends_per_s: float
    stages: list[Stage]


def _stage(name: str, pairs: list[tuple[datetime | None, datetime | None]]) -> Stage:
    spans = sorted((b - a).total_seconds() * 1000 for a, b in pairs if a and b)
    p95 = spans[min(len(spans) - 1, int(len(spans) * 0.95))]
    return Stage(name, statistics.median(spans), p95)


def _wait(done: threading.Event, probe: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the pipeline did not finish in time")
        done.wait(0.2)


def run(root: Path, database_url: str, count: int) -> PipelineFigures:
    engine = create_engine(database_url)
    stop = threading.Event()
    with LocalRuntime(
        root / "template.yaml",
        api_port=0,
        aws_port=0,
        database_url=database_url,
        run_schedules=False,
        env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING"},
    ) as runtime:
        client = Client(runtime.api_url)
        user = f"bench-{uuid.uuid4()}"
        client.token = client.call("POST", "/_local/token", {"sub": user})["token"]
        agent = client.call(
            "POST",
            "/agents",
            {"agent_type": "outreach", "name": "Bench", "settings": {"daily_send_cap": 2000}},
            expect=201,
        )
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            contacts = list(
                pool.map(
                    lambda n: client.call(
                        "POST",
                        "/contacts",
                        {"name": f"Speaker {n}", "email": f"success+{n}@simulator.amazonses.com"},
                        expect=201,
                    )["id"],
                    range(count),
                )
            )
            started = time.perf_counter()
            tasks = list(
                pool.map(
                    lambda contact: client.call(
                        "POST",
                        f"/agents/{agent['id']}/tasks",
                        {"task_type": "draft_outreach", "input": {"contact_id": contact}},
                        expect=202,
                    )["id"],
                    contacts,
                )
            )

            def drafted() -> bool:
                with Session(engine) as session:
                    rows = session.scalars(
                        select(AgentTask.status).where(AgentTask.id.in_(tasks))
                    ).all()
                return all(status.value == "completed" for status in rows)

            _wait(stop, drafted)
            drafts_elapsed = time.perf_counter() - started
            with Session(engine) as session:
                draft_ids = session.scalars(
                    select(OutreachDraft.id).where(OutreachDraft.task_id.in_(tasks))
                ).all()
            started = time.perf_counter()
            list(
                pool.map(
                    lambda draft: client.call(
                        "POST", f"/agents/outreach/drafts/{draft}/approve", expect=202
                    ),
                    draft_ids,
                )
            )

        def sent() -> bool:
            with Session(engine) as session:
                rows = session.scalars(
                    select(OutreachSent.sent_at).where(OutreachSent.draft_id.in_(draft_ids))
                ).all()
            return len(rows) == count and all(rows)

        _wait(stop, sent)
        sends_elapsed = time.perf_counter() - started

    with Session(engine) as session:
        task_rows = session.execute(
            select(AgentTask.created_at, AgentTask.started_at, AgentTask.completed_at).where(
                AgentTask.id.in_(tasks)
            )
        ).all()
        send_rows = session.execute(
            select(OutreachDraft.approved_at, OutreachSent.sent_at)
            .join(OutreachSent, OutreachSent.draft_id == OutreachDraft.id)
            .where(OutreachDraft.id.in_(draft_ids))
        ).all()
    engine.dispose()
    return PipelineFigures(
        count=count,
        drafts_per_s=count / drafts_elapsed,
        sends_per_s=count / sends_elapsed,
        stages=[
            _stage("task queued -> claimed", [(r[0], r[1]) for r in task_rows]),
            _stage("agent work (claimed -> done)", [(r[1], r[2]) for r in task_rows]),
            _stage("approved -> sent", [(r[0], r[1]) for r in send_rows]),
        ],
    )
