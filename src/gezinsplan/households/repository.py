"""Queries on households. Every read starts from the actor's visible statement."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import (
    editable_households,
    own_household,
    regisseur_of,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member

SCOPE = Scope.BASIC


def get_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope = SCOPE
) -> Household | None:
    statement = select(Household).where(
        col(Household.id) == household_id, visible_households(actor, scope)
    )
    return session.scalars(statement).one_or_none()


def get_editable(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope = SCOPE
) -> Household | None:
    statement = select(Household).where(
        col(Household.id) == household_id, editable_households(actor, scope)
    )
    return session.scalars(statement).one_or_none()


def own_household_id(session: Session, actor: Actor) -> uuid.UUID | None:
    """The household a resident's member claim names, if any."""
    return session.scalars(select(col(Household.id)).where(own_household(actor))).first()


def _name_matches(search: str) -> ColumnElement[bool]:
    member_matches = exists().where(
        col(Member.household_id) == col(Household.id),
        or_(
            col(Member.given_name).icontains(search, autoescape=True),
            col(Member.family_name).icontains(search, autoescape=True),
        ),
    )
    return or_(col(Household.name).icontains(search, autoescape=True), member_matches)


def list_visible(
    session: Session,
    actor: Actor,
    page: PageRequest,
    *,
    municipality: str | None = None,
    status: str | None = None,
    search: str | None = None,
    own_caseload: bool = False,
) -> Sequence[Household]:
    statement = select(Household).where(visible_households(actor, SCOPE))
    if own_caseload:
        statement = statement.where(regisseur_of(actor))
    if municipality is not None:
        statement = statement.where(col(Household.municipality_code) == municipality)
    if status is not None:
        statement = statement.where(col(Household.status) == status)
    if search:
        statement = statement.where(_name_matches(search))
    statement = paginate(statement, col(Household.created_at), col(Household.id), page)
    return session.scalars(statement).all()
