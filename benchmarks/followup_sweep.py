"""The follow-up sweep's claim: a batch of 100 due rows, locked, at two sizes of history.

Each size gets a scratch database seeded with INSERT ... SELECT generate_series: 1,000
users (a Follow-up agent and ten contacts each), the sent messages, and the follow-ups:
the scheduled ones (due times spread over a month, a fifth of them due),
twice as many already drafted, sent or cancelled (the history the partial index leaves
out), and ten users whose sending is paused. The timed statement is the sweep's own
(`attendry.services.followup_sweep.due_followups`), run through SQLAlchemy in a
transaction that is rolled back, so every run claims the same due rows.
"""

import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from attendry.services.followup_sweep import due_followups
from benchmarks.lambda_harness import libpq_dsn

USERS = 1_000
CONTACTS_PER_USER = 10
BATCH = 100
SMALL = (10_000, 1_000)
LARGE = (1_000_000, 100_000)
"""(sent rows, scheduled follow-ups)"""


@dataclass(frozen=True)
class ClaimTiming:
    sent_rows: int
    scheduled: int
    claimed: int
    median_ms: float
    plan: list[str]


def _seed(dsn: str, sent_rows: int, scheduled: int) -> None:
    """Bulk-load as pg_restore would: foreign-key triggers off (the rows are consistent by
    construction), the sent table's secondary indexes dropped and built again after."""
    history = 2 * scheduled
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(
            """
            SELECT indexname, indexdef FROM pg_indexes
            WHERE tablename = 'agent_outreach_sent' AND indexname NOT IN (
                SELECT conname FROM pg_constraint
                WHERE conrelid = 'agent_outreach_sent'::regclass)
            """
        )
        secondary = cursor.fetchall()
        for name, _ in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            """
            INSERT INTO ai_agents (id, user_id, agent_type, name, settings)
            SELECT md5('agent' || u)::uuid, 'bench-user-' || u, 'followup', 'Follow-ups',
                   '{}'::jsonb
            FROM generate_series(0, %(users)s - 1) AS u
            """,
            {"users": USERS},
        )
        cursor.execute(
            """
            INSERT INTO saved_speaker_profiles (id, user_id, name, email, timezone)
            SELECT md5('contact' || c)::uuid, 'bench-user-' || (c %% %(users)s),
                   'Contact ' || c, 'contact' || c || '@example.com', 'Europe/Berlin'
            FROM generate_series(0, %(contacts)s - 1) AS c
            """,
            {"users": USERS, "contacts": USERS * CONTACTS_PER_USER},
        )
        cursor.execute(
            """
            INSERT INTO agent_outreach_sent
                (id, user_id, agent_id, contact_id, recipient_email, subject, message_body,
                 sent_at, delivery_status, idempotency_key, created_at)
            SELECT lpad(to_hex(n), 32, '0')::uuid, 'bench-user-' || (n %% %(users)s),
                   md5('agent' || (n %% %(users)s))::uuid,
                   md5('contact' || (n %% %(contacts)s))::uuid,
                   'contact' || (n %% %(contacts)s) || '@example.com', 'Hello', 'Hi there',
                   now() - (n %% 90) * interval '1 day', 'delivered',
                   'bench-' || lpad(n::text, 8, '0'),
                   now() - (n %% 90) * interval '1 day'
            FROM generate_series(0, %(sent)s - 1) AS n
            """,
            {"users": USERS, "contacts": USERS * CONTACTS_PER_USER, "sent": sent_rows},
        )
        for _, definition in secondary:
            cursor.execute(definition)
        cursor.execute(
            """
            INSERT INTO agent_followup_schedule
                (user_id, agent_id, sent_id, contact_id, attempt, due_at, status, reason)
            SELECT 'bench-user-' || (n %% %(users)s), md5('agent' || (n %% %(users)s))::uuid,
                   lpad(to_hex(n), 32, '0')::uuid, md5('contact' || (n %% %(contacts)s))::uuid, 1,
                   CASE WHEN n < %(scheduled)s
                        THEN now() - interval '6 days'
                             + ((n * 7919) %% 43200) * interval '1 minute'
                        ELSE now() - (n %% 60) * interval '1 day' END,
                   CASE WHEN n < %(scheduled)s THEN 'scheduled'
                        ELSE (ARRAY['drafted', 'sent', 'cancelled'])[1 + n %% 3] END,
                   CASE WHEN n >= %(scheduled)s AND n %% 3 = 2 THEN 'replied' END
            FROM generate_series(0, %(rows)s - 1) AS n
            """,
            {
                "users": USERS,
                "contacts": USERS * CONTACTS_PER_USER,
                "scheduled": scheduled,
                "rows": min(sent_rows, scheduled + history),
            },
        )
        cursor.execute(
            """
            INSERT INTO user_sending_state (user_id, paused, reason, paused_at)
            SELECT 'bench-user-' || u, true, 'bounce rate', now()
            FROM generate_series(0, 9) AS u
            """
        )
        cursor.execute("ANALYZE")


def _claim_ms(database_url: str, runs: int) -> tuple[int, float, list[str]]:
    engine = create_engine(database_url, pool_size=1)
    now = datetime.now(UTC)
    statement = due_followups(now, BATCH)
    with Session(engine) as session:
        compiled = statement.compile(dialect=engine.dialect)
        plan = [
            row[0]
            for row in session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        ]
        session.rollback()
        samples = []
        claimed = 0
        for run in range(runs + 10):
            start = time.perf_counter()
            claimed = len(session.scalars(statement).all())
            elapsed = time.perf_counter() - start
            session.rollback()
            if run >= 10:  # warm-up: connection, statement cache, buffers
                samples.append(elapsed)
    engine.dispose()
    return claimed, statistics.median(samples) * 1000, plan


def measure(server_url: str, runs: int) -> list[ClaimTiming]:
    from attendry_local.postgres import scratch_database

    timings = []
    for sent_rows, scheduled in (SMALL, LARGE):
        with scratch_database(server_url, "attendry_bench_sweep") as url:
            _seed(libpq_dsn(url), sent_rows, scheduled)
            os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
            claimed, median_ms, plan = _claim_ms(url, runs)
            timings.append(ClaimTiming(sent_rows, scheduled, claimed, median_ms, plan))
    return timings


def plan_nodes(plan: list[str]) -> str:
    """The plan's nodes, top first, as `Limit > LockRows > ...` (conditions left out)."""
    nodes = []
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        if text and not text.startswith(("Index Cond", "Filter", "Sort Key", "Join Filter")):
            nodes.append(text.split("  (cost")[0])
    return " > ".join(nodes)
