"""10,000 SES events through the SES-events function, next to raw psycopg doing the same writes.

Two scratch databases get the same seed: 2,500 sent emails of 50 users (50 each, so every
user's account-safety sample is full). Each email then gets four events, as SNS envelopes
in SQS batches of ten: Send, Delivery (a Permanent Bounce for one email in 25, i.e. two
per user: 4%, under the pause limit), Open and Click. The function's handler is called
exactly as Lambda calls it. The baseline is what a careful hand-written consumer would do
with psycopg and nothing else: per event, in its own transaction, the same inserts and
updates (store the notification once, move the row forward with COALESCE/CASE, and for a
bounce record it, suppress the address, notify, stop follow-ups and read the rates).
Neither side uses server-side prepared statements (the package's engine cannot, behind
RDS Proxy), and they take turns of 100 events so that both meet the same load.
"""

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.lambda_harness import LambdaContext, libpq_dsn, load_handler

USERS = 50
SENDS_PER_USER = 50
EVENTS = USERS * SENDS_PER_USER * 4
BATCH = 10
TURN = 100
BOUNCE_EVERY = 25
SENT_AT = datetime.now(UTC) - timedelta(hours=1)


@dataclass(frozen=True)
class Throughput:
    function_events_per_s: float
    baseline_events_per_s: float

    @property
    def ratio(self) -> float:
        return self.function_events_per_s / self.baseline_events_per_s


@dataclass(frozen=True)
class _Email:
    message_id: str
    sent_id: str
    address: str
    bounces: bool


def _seed(dsn: str) -> list[_Email]:
    emails = []
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        for user in range(USERS):
            user_id = f"bench-user-{user}"
            agent_id = cursor.execute(
                "INSERT INTO ai_agents (user_id, agent_type, name) VALUES (%s, 'outreach', 'a')"
                " RETURNING id",
                (user_id,),
            ).fetchone()
            assert agent_id is not None
            for n in range(SENDS_PER_USER):
                index = user * SENDS_PER_USER + n
                email = _Email(
                    message_id=f"0100019abench{index:06d}-{uuid.uuid4()}-000000",
                    sent_id=str(uuid.uuid4()),
                    address=f"contact-{index}@example.com",
                    bounces=index % BOUNCE_EVERY == 0,
                )
                contact_id = cursor.execute(
                    "INSERT INTO saved_speaker_profiles (user_id, name, email) VALUES (%s, 'c', %s)"
                    " RETURNING id",
                    (user_id, email.address),
                ).fetchone()
                assert contact_id is not None
                cursor.execute(
                    "INSERT INTO agent_outreach_sent (id, user_id, agent_id, contact_id,"
                    " recipient_email, subject, message_body, sent_at, delivery_status,"
                    " ses_message_id, rfc822_message_id, idempotency_key)"
                    " VALUES (%s, %s, %s, %s, %s, 'Hello', 'Hi', %s, 'sent', %s, %s, %s)",
                    (
                        email.sent_id,
                        user_id,
                        agent_id[0],
                        contact_id[0],
                        email.address,
                        SENT_AT + timedelta(seconds=index),
                        email.message_id,
                        f"<{email.message_id}@email.amazonses.com>",
                        email.sent_id,
                    ),
                )
                emails.append(email)
        cursor.execute("ANALYZE")
    return emails


def _time(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _events(emails: list[_Email]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(SNS message id, SES event record) for every event, phase by phase."""
    for phase in ("Send", "Delivery", "Open", "Click"):
        for offset, email in enumerate(emails):
            sent = SENT_AT + timedelta(seconds=offset)
            event_type = "Bounce" if phase == "Delivery" and email.bounces else phase
            mail = {
                "timestamp": _time(sent),
                "source": "outreach@attendry.example",
                "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/attendry.example",
                "messageId": email.message_id,
                "destination": [email.address],
                "tags": {"sent_id": [email.sent_id]},
            }
            record: dict[str, Any] = {"eventType": event_type, "mail": mail}
            at = _time(sent + timedelta(seconds=2))
            if event_type == "Send":
                record["send"] = {}
            elif event_type == "Delivery":
                record["delivery"] = {"timestamp": at, "recipients": [email.address]}
            elif event_type == "Bounce":
                record["bounce"] = {
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "bouncedRecipients": [
                        {"emailAddress": email.address, "diagnosticCode": "smtp; 550 5.1.1"}
                    ],
                    "timestamp": at,
                    "feedbackId": f"fb-{email.sent_id}",
                }
            else:
                record[event_type.lower()] = {"timestamp": at}
            yield str(uuid.uuid4()), record


def _sqs_batches(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    batches = []
    for start in range(0, len(events), BATCH):
        records = [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": json.dumps(
                    {
                        "Type": "Notification",
                        "MessageId": sns_id,
                        "TopicArn": "arn:aws:sns:us-east-1:123456789012:SesEventsTopic",
                        "Message": json.dumps(record),
                        "Timestamp": record["mail"]["timestamp"],
                    }
                ),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:SesEventsQueue",
                "awsRegion": "us-east-1",
            }
            for sns_id, record in events[start : start + BATCH]
        ]
        batches.append({"Records": records})
    return batches


def _use_database(database_url: str) -> None:
    """Point the package's cached engine at `database_url` (an earlier benchmark used one).

    The package is imported here, not at the top: importing it builds the logger, which
    must not happen before the other benchmarks set their log level.
    """
    from attendry.core.config import database_settings
    from attendry.db.engine import get_engine

    os.environ["DATABASE_URL"] = database_url
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    for cached in (get_engine, database_settings):
        cached.cache_clear()


def _function_runner(root: Path, database_url: str) -> Callable[[list[dict[str, Any]]], float]:
    _use_database(database_url)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    # The function cannot start without its DLQ; the benchmark's events never park.
    os.environ.setdefault("SES_EVENTS_DLQ_URL", "http://unused.invalid/ses-events-dlq")
    handler = load_handler(root, "ses_events")
    from attendry.core.observability import logger

    # The logger may have been built before this run's level was set (by another benchmark).
    logger.setLevel("WARNING")

    def timed(batches: list[dict[str, Any]]) -> float:
        start = time.perf_counter()
        for batch in batches:
            response = handler(batch, LambdaContext("SesEventsFunction"))
            assert response == {"batchItemFailures": []}, response
        return time.perf_counter() - start

    return timed


_STORE = (
    "INSERT INTO ses_events (sns_message_id, event_type, ses_message_id, payload, received_at,"
    " applied) VALUES (%s, %s, %s, %s, now(), true) ON CONFLICT (sns_message_id) DO NOTHING"
    " RETURNING id"
)
_FORWARD = {
    "Send": "SELECT id FROM agent_outreach_sent WHERE ses_message_id = %(m)s FOR UPDATE",
    "Delivery": (
        "UPDATE agent_outreach_sent SET delivered_at = COALESCE(delivered_at, %(t)s),"
        " delivery_status = CASE WHEN delivery_status IN ('sending', 'sent') THEN 'delivered'"
        " ELSE delivery_status END, updated_at = now() WHERE ses_message_id = %(m)s RETURNING id"
    ),
    "Open": (
        "UPDATE agent_outreach_sent SET opened_at = COALESCE(opened_at, %(t)s), updated_at = now()"
        " WHERE ses_message_id = %(m)s RETURNING id"
    ),
    "Click": (
        "UPDATE agent_outreach_sent SET clicked_at = COALESCE(clicked_at, %(t)s),"
        " updated_at = now() WHERE ses_message_id = %(m)s RETURNING id"
    ),
    "Bounce": (
        "UPDATE agent_outreach_sent SET delivery_status = CASE WHEN delivery_status IN"
        " ('sending', 'sent', 'delivered') THEN 'bounced' ELSE delivery_status END,"
        " bounce_type = CASE WHEN bounced_at IS NULL THEN %(bt)s ELSE bounce_type END,"
        " bounce_subtype = CASE WHEN bounced_at IS NULL THEN %(bs)s ELSE bounce_subtype END,"
        " bounce_diagnostic = CASE WHEN bounced_at IS NULL THEN %(d)s ELSE bounce_diagnostic END,"
        " bounced_at = COALESCE(bounced_at, %(t)s), updated_at = now()"
        " WHERE ses_message_id = %(m)s RETURNING id, user_id, contact_id, recipient_email"
    ),
}
_BOUNCE_WRITES = (
    "INSERT INTO email_bounces (address, bounce_type, bounce_subtype, diagnostic, bounced_at,"
    " feedback_id, ses_message_id, sent_id) VALUES (%(a)s, %(bt)s, %(bs)s, %(d)s, %(t)s,"
    " %(f)s, %(m)s, %(id)s) ON CONFLICT (feedback_id, address) DO NOTHING",
    "INSERT INTO email_suppressions (address, reason, scope) VALUES (%(a)s, 'bounce', 'global')"
    " ON CONFLICT (address) WHERE scope = 'global' DO NOTHING",
    "INSERT INTO notifications (user_id, kind, payload) VALUES (%(u)s, 'email.bounced', %(p)s)",
    "UPDATE agent_followup_schedule SET status = 'cancelled', reason = 'bounced'"
    " WHERE user_id = %(u)s AND status = 'scheduled' AND contact_id = %(c)s",
    "SELECT paused, resumed_at FROM user_sending_state WHERE user_id = %(u)s",
    "SELECT bounce_type, bounce_subtype, complained_at, metadata FROM agent_outreach_sent"
    " WHERE user_id = %(u)s AND sent_at > now() - interval '30 days'"
    " AND delivery_status NOT IN ('sending', 'failed', 'rejected')"
    " ORDER BY sent_at DESC LIMIT 200",
)


def _apply_raw(cursor: psycopg.Cursor[Any], sns_id: str, record: dict[str, Any]) -> None:
    event_type = record["eventType"]
    message_id = record["mail"]["messageId"]
    cursor.execute(_STORE, (sns_id, event_type, message_id, Jsonb(record)))
    if cursor.fetchone() is None:
        return
    detail = record.get(event_type.lower()) or {}
    bounce = record.get("bounce") or {}
    recipient = (bounce.get("bouncedRecipients") or [{}])[0]
    values = {
        "m": message_id,
        "t": detail.get("timestamp"),
        "bt": bounce.get("bounceType"),
        "bs": bounce.get("bounceSubType"),
        "d": recipient.get("diagnosticCode"),
    }
    row = cursor.execute(_FORWARD[event_type], values).fetchone()
    if event_type != "Bounce" or row is None:
        return
    sent_id, user_id, contact_id, address = row
    bounce_values = {
        **values,
        "a": address,
        "f": bounce.get("feedbackId"),
        "id": sent_id,
        "u": user_id,
        "c": contact_id,
        "p": Jsonb({"sent_id": str(sent_id), "bounce_type": values["bt"]}),
    }
    for statement in _BOUNCE_WRITES:
        cursor.execute(statement, bounce_values)
        if cursor.description is not None:
            cursor.fetchall()


def _baseline(
    connection: psycopg.Connection[Any], events: list[tuple[str, dict[str, Any]]]
) -> float:
    """Each event in its own transaction, as the function does it."""
    start = time.perf_counter()
    for sns_id, record in events:
        with connection.transaction(), connection.cursor() as cursor:
            _apply_raw(cursor, sns_id, record)
    return time.perf_counter() - start


def run(root: Path, function_database_url: str, baseline_database_url: str) -> Throughput:
    """The two take turns, 100 events each, so both meet the same load on the machine:
    commits dominate, and their cost moves with whatever else the disk is doing."""
    events = list(_events(_seed(libpq_dsn(function_database_url))))
    baseline_events = list(_events(_seed(libpq_dsn(baseline_database_url))))
    assert len(events) == len(baseline_events) == EVENTS
    batches = _sqs_batches(events)
    per_turn = TURN // BATCH
    run_function = _function_runner(root, function_database_url)
    function_s = baseline_s = 0.0
    # No server-side prepared statements, as the package's engine (RDS Proxy would pin
    # every connection that prepares): both sides make PostgreSQL plan each statement.
    with psycopg.connect(libpq_dsn(baseline_database_url), prepare_threshold=None) as connection:
        for turn in range(0, EVENTS // TURN):
            function_s += run_function(batches[turn * per_turn : (turn + 1) * per_turn])
            baseline_s += _baseline(connection, baseline_events[turn * TURN : (turn + 1) * TURN])
    return Throughput(
        function_events_per_s=EVENTS / function_s, baseline_events_per_s=EVENTS / baseline_s
    )
