"""Writing events in bulk: one statement instead of one ORM object per event."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from gezinsplan.events.models import Event
from gezinsplan.kit.bulk import execute_many, insert_rows

TABLE = Event.__table__  # type: ignore[attr-defined]


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        execute_many(session, insert_rows(session, TABLE), rows)
