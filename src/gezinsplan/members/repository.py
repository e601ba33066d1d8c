"""Queries on members, each starting from the access statements."""

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import editable, readable
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member

SCOPE = Scope.BASIC


def list_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Member]:
    statement = readable(Member, actor, SCOPE).where(col(Member.household_id) == household_id)
    return session.scalars(paginate(statement, col(Member.created_at), col(Member.id), page)).all()


def get_visible(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    scope: Scope = SCOPE,
) -> Member | None:
    """A member, seen for the given part of the file (a consent's giver is seen with it)."""
    statement = readable(Member, actor, scope).where(
        col(Member.id) == member_id, col(Member.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


def get_editable(
    session: Session, actor: Actor, household_id: uuid.UUID, member_id: uuid.UUID
) -> Member | None:
    statement = editable(Member, actor, SCOPE).where(
        col(Member.id) == member_id, col(Member.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()
