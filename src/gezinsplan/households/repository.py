"""Queries on households. Every read starts from the actor's visible statement."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
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
from gezinsplan.households.search import name_matches
from gezinsplan.kit.pagination import PageRequest, paginate

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
        dialect = session.get_bind().dialect.name
        statement = statement.where(name_matches(dialect, search))
    statement = paginate(statement, col(Household.created_at), col(Household.id), page)
    return session.scalars(statement).all()
