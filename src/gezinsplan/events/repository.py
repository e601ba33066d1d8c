"""Events: writing them in bulk, and reading the feed in commit order (events/feed.py)."""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Text,
    delete,
    exists,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.statements import feed_scan
from gezinsplan.auth.actor import Actor
from gezinsplan.events.feed import Position
from gezinsplan.events.models import Event, FeedState
from gezinsplan.kit import bulk
from gezinsplan.kit.clock import new_id, utcnow

TABLE = Event.__table__  # type: ignore[attr-defined]


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        bulk.insert_many(session, TABLE, rows)


def settled(session: Session) -> ColumnElement[bool]:
    """Events whose transaction has ended (or is the reader's own, which it sees already)."""
    if session.get_bind().dialect.name != "postgresql":
        return true()
    xmin = func.pg_snapshot_xmin(func.pg_current_snapshot()).cast(Text).cast(BigInteger)
    own = func.pg_current_xact_id_if_assigned().cast(Text).cast(BigInteger)
    return or_(col(Event.txid) < xmin, col(Event.txid) == own)


def after(position: Position) -> ColumnElement[bool]:
    return tuple_(col(Event.txid), col(Event.seq)) > tuple_(position.txid, position.seq)


IN_ORDER = (col(Event.txid), col(Event.seq))


def state(session: Session) -> FeedState:
    found = session.get(FeedState, 1)
    if found is None:  # a database made without the migration's row
        found = FeedState(id=1, epoch=new_id())
        session.add(found)
        session.flush()
    return found


def new_epoch(session: Session) -> uuid.UUID:
    """Start a new epoch of the feed: cursors of the old one answer 410."""
    found = state(session)
    found.epoch = new_id()
    session.flush()
    return found.epoch


def head(session: Session) -> Position:
    """The place of the last settled event; where a new reader or subscription starts."""
    row = session.execute(
        select(col(Event.txid), col(Event.seq))
        .where(settled(session))
        .order_by(*(c.desc() for c in IN_ORDER))
        .limit(1)
    ).first()
    return Position.at(*row) if row else Position()


def committed_after(
    session: Session, position: Position, limit: int, types: Sequence[str] = ()
) -> list[Event]:
    """Every settled event after ``position``, in commit order, whoever may see it.

    For the webhook fan-out, which decides who sees an event when it delivers it.
    """
    statement = select(Event).where(settled(session), after(position))
    if types:
        statement = statement.where(col(Event.type).in_(types))
    return list(session.scalars(statement.order_by(*IN_ORDER).limit(limit)))


def beyond(session: Session, txid: Any, seq: Any) -> ColumnElement[bool]:
    """Whether a settled event lies after the place held in ``txid``, ``seq`` (columns of
    the outer statement, such as a subscription's): its reader has work."""
    return exists().where(
        settled(session), tuple_(col(Event.txid), col(Event.seq)) > tuple_(txid, seq)
    )


def purge(
    session: Session,
    retention: timedelta,
    keep: ColumnElement[bool] | None = None,
    *,
    batch: int | None = None,
) -> int:
    """Delete events older than ``retention``; the purge mark moves past them, so a cursor
    from before answers 410. ``keep`` spares events still owed to a subscriber. With
    ``batch``, only up to the ``batch``-th expired event past the mark: a caller that purges
    a long history in transactions of bounded length calls again while it gets ``batch``."""
    cutoff = utcnow() - retention
    feed_state = state(session)
    purged = Position(feed_state.purged_txid, feed_state.purged_seq)
    expired = select(col(Event.txid), col(Event.seq)).where(
        col(Event.occurred_at) < cutoff, settled(session)
    )
    if batch is None:
        last = expired.order_by(*(c.desc() for c in IN_ORDER)).limit(1)
    else:
        last = expired.where(after(purged)).order_by(*IN_ORDER).offset(batch - 1).limit(1)
    found = session.execute(last).first()
    if found is None and batch is not None:
        # Fewer than ``batch`` left: up to the newest.
        found = session.execute(expired.order_by(*(c.desc() for c in IN_ORDER)).limit(1)).first()
    if found is None:
        return 0
    mark = Position.at(*found)
    if mark > purged:
        feed_state.purged_txid, feed_state.purged_seq = mark.txid, mark.seq
    # Without synchronize_session the ORM adds RETURNING and loads every purged row's key
    # into Python, holding the GIL long enough (millions of events) for uvicorn to take the
    # worker for hung and kill it. This session holds no events to keep in step.
    statement = (
        delete(Event)
        .where(col(Event.occurred_at) < cutoff, ~after(mark))
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        statement = statement.where(~keep)
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)


def scan(
    session: Session, actor: Actor, position: Position, types: Sequence[str], limit: int
) -> Sequence[Any]:
    """(event, whether the actor may see it now) for settled events after ``position``."""
    statement = feed_scan(actor).where(settled(session), after(position))
    if types:
        statement = statement.where(col(Event.type).in_(types))
    return session.execute(statement.order_by(*IN_ORDER).limit(limit)).all()


def reached(session: Session, position: Position) -> bool:
    """Whether any event sits at or after ``position``."""
    at_or_after = exists().where(
        (col(Event.txid) > position.txid)
        | ((col(Event.txid) == position.txid) & (col(Event.seq) >= position.seq))
    )
    return bool(session.scalar(select(at_or_after)))
