"""The change feed: events in the order their transactions committed, without gaps.

An event's place is ``(txid, seq)``. On PostgreSQL ``seq`` is taken at insert, so a
transaction that inserted early and commits late would slip in behind a reader that already
moved past it. The feed therefore shows only events of transactions older than the oldest
one still running (``pg_snapshot_xmin``): every transaction below that line has ended, so
nothing can appear behind a cursor later. On SQLite the single writer makes insert order
commit order and every ``txid`` is 0.

A cursor names the feed's epoch and a place. It answers 410 when it is of another epoch (the
database was restored: start a new epoch), lies before the purge mark (its events expired)
or after the head (the database lost what it had seen).
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
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

from gezinsplan.events.models import Event, FeedState
from gezinsplan.kit.clock import new_id, utcnow

TAG = "f1"


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event ``(txid, seq)``."""

    txid: int = 0
    seq: int = 0

    @classmethod
    def of(cls, event: Event) -> "Position":
        return cls.at(event.txid, event.seq)

    @classmethod
    def at(cls, txid: int | None, seq: int | None) -> "Position":
        """The place of a stored event (both columns are set once it is stored)."""
        return cls(txid or 0, seq or 0)


@dataclass(frozen=True)
class Cursor:
    epoch: uuid.UUID
    position: Position

    def encode(self) -> str:
        raw = json.dumps([TAG, self.epoch.hex, self.position.txid, self.position.seq])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        """The cursor, or ``None`` when the text is not one this service handed out."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            tag, epoch, txid, seq = json.loads(raw)
            if tag != TAG or not isinstance(txid, int) or not isinstance(seq, int):
                return None
            if txid < 0 or seq < 0:
                return None
            return cls(uuid.UUID(hex=epoch), Position(txid, seq))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None


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


def purge(session: Session, retention: timedelta, keep: ColumnElement[bool] | None = None) -> int:
    """Delete events older than ``retention``; the purge mark moves past them, so a cursor
    from before answers 410. ``keep`` spares events still owed to a subscriber."""
    cutoff = utcnow() - retention
    last = session.execute(
        select(col(Event.txid), col(Event.seq))
        .where(col(Event.occurred_at) < cutoff, settled(session))
        .order_by(*(c.desc() for c in IN_ORDER))
        .limit(1)
    ).first()
    if last is None:
        return 0
    mark = Position.at(*last)
    feed_state = state(session)
    if mark > Position(feed_state.purged_txid, feed_state.purged_seq):
        feed_state.purged_txid, feed_state.purged_seq = mark.txid, mark.seq
    statement = delete(Event).where(col(Event.occurred_at) < cutoff, ~after(mark))
    if keep is not None:
        statement = statement.where(~keep)
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)
