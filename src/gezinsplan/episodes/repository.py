"""Queries on episodes, each starting from the access statements."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import editable, readable
from gezinsplan.auth.actor import Actor
from gezinsplan.episodes.models import Episode
from gezinsplan.kit.pagination import PageRequest, paginate

SCOPE = Scope.BASIC


def list_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Episode]:
    """The household's episodes, oldest first."""
    statement = readable(Episode, actor, SCOPE).where(col(Episode.household_id) == household_id)
    ordered = paginate(statement, col(Episode.opened_at), col(Episode.id), page)
    return session.scalars(ordered).all()


def closings_since(
    session: Session, actor: Actor, household_id: uuid.UUID, since: datetime
) -> list[datetime]:
    """When the household's episodes closed, from ``since`` on: read by whoever opens it."""
    statement = editable(Episode, actor, SCOPE, col(Episode.closed_at)).where(
        col(Episode.household_id) == household_id, col(Episode.closed_at) >= since
    )
    return [closed_at for closed_at in session.scalars(statement) if closed_at is not None]


def close_open(
    session: Session,
    household_id: uuid.UUID,
    *,
    at: datetime,
    by: str,
    reason: str,
) -> bool:
    """Close the household's open episode; False when it has none (closed meanwhile)."""
    result = session.execute(
        update(Episode)
        .where(col(Episode.household_id) == household_id, col(Episode.closed_at).is_(None))
        .values(closed_at=at, closed_by=by, closing_reason=reason)
        .returning(col(Episode.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None
