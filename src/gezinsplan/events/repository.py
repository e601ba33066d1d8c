"""Writing events in bulk: one executemany instead of one ORM object per event."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gezinsplan.events.models import Event


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Event.__table__), list(rows))  # type: ignore[attr-defined]
