"""Queries on members, always through the households the actor may see."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import editable_households, visible_households
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member

SCOPE = Scope.BASIC


def list_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Member]:
    statement = (
        select(Member)
        .join(Household, col(Household.id) == col(Member.household_id))
        .where(col(Member.household_id) == household_id, visible_households(actor, SCOPE))
    )
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
    statement = (
        select(Member)
        .join(Household, col(Household.id) == col(Member.household_id))
        .where(
            col(Member.id) == member_id,
            col(Member.household_id) == household_id,
            visible_households(actor, scope),
        )
    )
    return session.scalars(statement).one_or_none()


def get_editable(
    session: Session, actor: Actor, household_id: uuid.UUID, member_id: uuid.UUID
) -> Member | None:
    statement = (
        select(Member)
        .join(Household, col(Household.id) == col(Member.household_id))
        .where(
            col(Member.id) == member_id,
            col(Member.household_id) == household_id,
            editable_households(actor, SCOPE),
        )
    )
    return session.scalars(statement).one_or_none()
