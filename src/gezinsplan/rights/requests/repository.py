"""Queries on rights requests, read in the access-log scope: the family sees its own
household's, the privacy officer those of the municipalities in the token."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member
from gezinsplan.rights.models import RightsRequest

SCOPE = Scope.ACCESS_LOG


def member_of(
    session: Session, actor: Actor, household_id: uuid.UUID, member_id: uuid.UUID
) -> Member | None:
    statement = readable(Member, actor, SCOPE).where(
        col(Member.id) == member_id, col(Member.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


def of_household(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[RightsRequest]:
    statement = readable(RightsRequest, actor, SCOPE).where(
        col(RightsRequest.household_id) == household_id
    )
    ordered = paginate(statement, col(RightsRequest.created_at), col(RightsRequest.id), page)
    return session.scalars(ordered).all()


def get(
    session: Session, actor: Actor, household_id: uuid.UUID, request_id: uuid.UUID
) -> RightsRequest | None:
    statement = readable(RightsRequest, actor, SCOPE).where(
        col(RightsRequest.id) == request_id, col(RightsRequest.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


# Where the worklist's order puts a request: (0 open or 1 decided, due date, id).
WorklistKey = tuple[int, date, uuid.UUID]


def worklist(
    session: Session,
    actor: Actor,
    *,
    decided: bool | None,
    overdue_on: date | None,
    after: WorklistKey | None,
    limit: int,
) -> Sequence[RightsRequest]:
    """Open requests first, soonest due first, from after the cursor's key; one extra row
    tells whether more follow.

    ``overdue_on``: only requests still open and due before that day.
    """
    decided_at, due_on, id_ = (
        col(RightsRequest.decided_at),
        col(RightsRequest.due_on),
        col(RightsRequest.id),
    )
    statement = readable(RightsRequest, actor, SCOPE)
    if decided is not None:
        statement = statement.where(decided_at.is_not(None) if decided else decided_at.is_(None))
    if overdue_on is not None:
        statement = statement.where(decided_at.is_(None), due_on < overdue_on)
    closed = case((decided_at.is_(None), 0), else_=1)
    if after is not None:
        flag, day, last = after
        statement = statement.where(
            or_(
                closed > flag,
                and_(closed == flag, or_(due_on > day, and_(due_on == day, id_ > last))),
            )
        )
    ordered = statement.order_by(closed, due_on, id_).limit(limit + 1)
    return session.scalars(ordered).all()


def extend(
    session: Session,
    request_id: uuid.UUID,
    *,
    at: datetime,
    by: str,
    months: int,
    reason: str,
    due_on: date,
) -> bool:
    """Extend an open request that was not extended before; one conditional UPDATE, so two
    officers at once cannot both extend it."""
    result = session.execute(
        update(RightsRequest)
        .where(
            col(RightsRequest.id) == request_id,
            col(RightsRequest.extended_at).is_(None),
            col(RightsRequest.decided_at).is_(None),
        )
        .values(
            extended_at=at,
            extended_by=by,
            extension_months=months,
            extension_reason=reason,
            due_on=due_on,
        )
        .returning(col(RightsRequest.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


def decide(
    session: Session, request_id: uuid.UUID, *, at: datetime, by: str, outcome: str, reason: str
) -> bool:
    """Decide a request nobody decided yet; one conditional UPDATE."""
    result = session.execute(
        update(RightsRequest)
        .where(col(RightsRequest.id) == request_id, col(RightsRequest.decided_at).is_(None))
        .values(decided_at=at, decided_by=by, outcome=outcome, decision_reason=reason)
        .returning(col(RightsRequest.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None
