"""Queries on role assignments, each starting from the access statements."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import editable, readable
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.roles.models import RoleAssignment, RoleType, active

SCOPE = Scope.ROLES


def list_visible(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    page: PageRequest,
    *,
    active: bool | None = None,
) -> Sequence[RoleAssignment]:
    statement = readable(RoleAssignment, actor, SCOPE).where(
        col(RoleAssignment.household_id) == household_id
    )
    if active is not None:
        ended = col(RoleAssignment.ended_at)
        statement = statement.where(ended.is_(None) if active else ended.is_not(None))
    ordered = paginate(statement, col(RoleAssignment.created_at), col(RoleAssignment.id), page)
    return session.scalars(ordered).all()


def get_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, role_id: uuid.UUID
) -> RoleAssignment | None:
    statement = readable(RoleAssignment, actor, SCOPE).where(
        col(RoleAssignment.id) == role_id, col(RoleAssignment.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


def get_editable(
    session: Session, actor: Actor, household_id: uuid.UUID, role_id: uuid.UUID
) -> RoleAssignment | None:
    statement = editable(RoleAssignment, actor, SCOPE).where(
        col(RoleAssignment.id) == role_id, col(RoleAssignment.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


def active_regisseur(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> RoleAssignment | None:
    statement = editable(RoleAssignment, actor, SCOPE).where(
        col(RoleAssignment.household_id) == household_id,
        *active(RoleAssignment, RoleType.REGISSEUR),
    )
    return session.scalars(statement).one_or_none()


def end_active(
    session: Session,
    assignment_id: uuid.UUID,
    *,
    at: datetime,
    by: str,
    reason: str | None,
) -> bool:
    """End the assignment if it is still active; False when someone else ended it first.

    One conditional UPDATE: on PostgreSQL a concurrent ender waits for the row lock, then
    finds ``ended_at`` set and changes nothing.
    """
    result = session.execute(
        update(RoleAssignment)
        .where(col(RoleAssignment.id) == assignment_id, col(RoleAssignment.ended_at).is_(None))
        .values(ended_at=at, ended_by=by, end_reason=reason)
        .returning(col(RoleAssignment.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


def end_all_active(
    session: Session, household_id: uuid.UUID, *, at: datetime, by: str, reason: str
) -> Sequence[uuid.UUID]:
    """End every active assignment on the household in one statement; their ids."""
    result = session.execute(
        update(RoleAssignment)
        .where(
            col(RoleAssignment.household_id) == household_id,
            col(RoleAssignment.ended_at).is_(None),
        )
        .values(ended_at=at, ended_by=by, end_reason=reason)
        .returning(col(RoleAssignment.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalars().all()
