"""The hand-tuned SQL every SES event runs, on the driver's cursor.

The statements every event runs go to the driver's cursor, inside the transaction
SQLAlchemy opened: SQLAlchemy's execution layer costs about 150 us of CPU per statement
over psycopg's own, which left the function at 2.2x the time of raw psycopg in
benchmarks/ses_events.py (the target is at most 2x). Their SQL is built once, from the
models' own table and column names; every other statement goes through SQLAlchemy, in
the ORM session `orm_session` opens inside the same transaction.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, inspect
from sqlalchemy.orm import Session

from attendry.db.driver import driver_cursor, driver_value
from attendry.db.enums import DeliveryStatus
from attendry.db.models import Base, OutreachSent
from attendry.db.models import SesEvent as SesEventRow
from attendry.delivery.rules import SentFacts
from attendry.delivery.schemas import SesEvent

_SES_EVENTS = Base.metadata.tables[SesEventRow.__tablename__]
_SENT = Base.metadata.tables[OutreachSent.__tablename__]
_COLUMN_OF = {attr.key: attr.columns[0].name for attr in inspect(OutreachSent).column_attrs}
_FACT_FIELDS = tuple(field.name for field in fields(SentFacts))
_SENT_FIELDS = ("id", "user_id", *_FACT_FIELDS)
"""What every event needs of its row; the rest is read only for a bounce or complaint."""
_LOCK_BY_SES_MESSAGE_ID = (
    f"SELECT {', '.join(_COLUMN_OF[name] for name in _SENT_FIELDS)} FROM {_SENT.name}"
    f" WHERE {_COLUMN_OF['ses_message_id']} = %(ses_message_id)s FOR UPDATE"
)
_STORED_FIELDS = (
    "sns_message_id",
    "event_type",
    "ses_message_id",
    "payload",
    "received_at",
    "applied",
)
_STORE_NOTIFICATION = (
    f"INSERT INTO {_SES_EVENTS.name} ({', '.join(_STORED_FIELDS)})"
    f" VALUES ({', '.join(f'%({name})s' for name in _STORED_FIELDS)})"
    f" ON CONFLICT (sns_message_id) DO NOTHING RETURNING id"
)


@dataclass
class SentEmail:
    """The locked sent row: whose it is, and its facts (`SentFacts` lists them, once) kept
    up to date as events change them."""

    id: UUID
    user_id: str
    facts: SentFacts

    @classmethod
    def of(cls, sent: OutreachSent) -> "SentEmail":
        facts = SentFacts(**{name: getattr(sent, name) for name in _FACT_FIELDS})
        return cls(sent.id, sent.user_id, facts)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "SentEmail":
        sent_id, user_id, *values = row
        facts = dict(zip(_FACT_FIELDS, values, strict=True))
        facts["delivery_status"] = DeliveryStatus(facts["delivery_status"])
        return cls(sent_id, user_id, SentFacts(**facts))


def lock_by_ses_message_id(connection: Connection, event: SesEvent) -> SentEmail | None:
    """The sent row SES's message id names, locked. Such a row was recorded with its status
    in one transaction, so it needs no reconciling and its draft no lock."""
    with driver_cursor(connection) as cursor:
        cursor.execute(_LOCK_BY_SES_MESSAGE_ID, {"ses_message_id": event.mail.message_id})
        row = cursor.fetchone()
    return SentEmail.from_row(row) if row is not None else None


def store_notification(
    connection: Connection,
    sns_message_id: str,
    event: SesEvent,
    message: Mapping[str, Any],
    received_at: datetime,
    *,
    applied: bool,
) -> bool:
    """Keep the notification; False when its SNS message id was already kept."""
    with driver_cursor(connection) as cursor:
        cursor.execute(
            _STORE_NOTIFICATION,
            {
                "sns_message_id": sns_message_id,
                "event_type": event.event_type,
                "ses_message_id": event.mail.message_id,
                "payload": Jsonb(dict(message)),
                "received_at": received_at,
                "applied": applied,
            },
        )
        return cursor.fetchone() is not None


@contextmanager
def orm_session(connection: Connection) -> Iterator[Session]:
    """An ORM session inside the connection's transaction, for the rarer steps that need
    one (reconciling, notifying, suppressing); its work is flushed into that transaction,
    which the caller commits."""
    with Session(bind=connection, expire_on_commit=False) as session:
        yield session
        session.commit()


@lru_cache(maxsize=64)
def _update_of(names: tuple[str, ...]) -> str:
    """One UPDATE per set of changed fields: the few kinds of event reuse a few statements.
    `updated_at` is set here as the model's `onupdate` would."""
    assignments = [f"{_COLUMN_OF[name]} = %(new_{name})s" for name in names]
    return (
        f"UPDATE {_SENT.name} SET {', '.join(assignments)}, updated_at = now()"
        " WHERE id = %(sent_id)s"
    )


def save_changes(connection: Connection, sent: SentEmail, changes: dict[str, Any]) -> None:
    """Write `changes` to the row, and to `sent`."""
    if not changes:
        return
    with driver_cursor(connection) as cursor:
        cursor.execute(
            _update_of(tuple(sorted(changes))),
            {
                "sent_id": sent.id,
                **{f"new_{name}": driver_value(value) for name, value in changes.items()},
            },
        )
    sent.facts = replace(
        sent.facts, **{name: value for name, value in changes.items() if name in _FACT_FIELDS}
    )
