"""Side effects that must wait until a session's transaction commits (and vanish on rollback).

Telling the outside world (a queue, a bus) about rows before they are committed would let
a consumer look for rows that never come to exist. Each effect runs once, after the
outermost commit, and a failing one is logged without touching the others or the commit.

Savepoints need care, because SQLAlchemy dispatches `after_commit` when a savepoint is
released and `after_rollback` when one is rolled back: an effect registered inside a
savepoint waits for the outermost commit, and is dropped only if that savepoint (or one
around it) is rolled back.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from attendry.core.observability import logger

_KEY = "attendry.after_commit"

Effect = Callable[[], object]
_Pending = list[tuple[SessionTransaction | None, Effect]]


def after_commit(session: Session, effect: Effect) -> None:
    """Run `effect` once the transaction `session` is in has committed, savepoints and all."""
    pending: _Pending | None = session.info.get(_KEY)
    if pending is None:
        pending = session.info[_KEY] = []
        event.listen(session, "after_commit", _run)
        event.listen(session, "after_soft_rollback", _discard)
    owner = session.get_nested_transaction() or session.get_transaction()
    pending.append((owner, effect))


def _run(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outermost commit decides
    pending: _Pending = session.info.get(_KEY, [])
    effects = [effect for _, effect in pending]
    pending.clear()
    for effect in effects:
        try:
            effect()
        except Exception:
            logger.exception("An after-commit effect failed")


def _discard(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget the effects registered in the rolled-back transaction or a savepoint within it."""
    pending: _Pending = session.info.get(_KEY, [])
    pending[:] = [
        (owner, effect) for owner, effect in pending if not _within(owner, previous_transaction)
    ]


def _within(owner: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    if owner is None:
        return rolled_back.parent is None
    transaction: SessionTransaction | None = owner
    while transaction is not None:
        if transaction is rolled_back:
            return True
        transaction = transaction.parent
    return False
