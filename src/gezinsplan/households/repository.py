"""Queries on households. Every read starts from the actor's visible statement.

The list's name search reads the words stored per household (``households.search``).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from gezinsplan.access import statements
from gezinsplan.access.predicates import (
    own_household,
    regisseur_of,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.households.search.repository import few_matches, name_matches
from gezinsplan.kit.bulk import one_of
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.plans.models import Plan
from gezinsplan.roles.models import RoleAssignment, RoleType

SCOPE = Scope.BASIC


def own_household_id(session: Session, actor: Actor) -> uuid.UUID | None:
    """The household a resident's member claim names, if any."""
    statement = statements.reachable(Household, own_household(actor), col(Household.id))
    return session.scalars(statement).first()


# The active regisseur shown on a list item: its own alias, apart from the predicates'.
_LISTED_REGISSEUR = aliased(RoleAssignment, name="listed_regisseur")


@dataclass(frozen=True)
class HouseholdListRow:
    """A listed household with its active regisseur (roles scope) and its plan's status,
    which is null unless the actor may read the plan."""

    household: Household
    regisseur: RoleAssignment | None
    plan_status: str | None

    # The page's cursor reads these of the row.
    @property
    def created_at(self) -> Any:
        return self.household.created_at

    @property
    def id(self) -> uuid.UUID:
        return self.household.id


def list_visible(
    session: Session,
    actor: Actor,
    page: PageRequest,
    *,
    municipality: str | None = None,
    status: str | None = None,
    search: str | None = None,
    own_caseload: bool = False,
) -> Sequence[HouseholdListRow]:
    """One statement: the page of households, each outer-joined to its active regisseur and
    its plan. The regisseur is shown where the actor may read the household's roles, the plan
    status where it may read the plan: each its own predicate, so a care provider with a
    basic consent sees who coordinates but not how the plan stands."""
    regisseur = _LISTED_REGISSEUR
    plan_status = case((visible_households(actor, Scope.PLAN), col(Plan.status)), else_=None)
    statement = (
        statements.readable(Household, actor, SCOPE, Household, regisseur, plan_status)
        .outerjoin(
            regisseur,
            and_(
                col(regisseur.household_id) == col(Household.id),
                col(regisseur.role_type) == RoleType.REGISSEUR,
                col(regisseur.ended_at).is_(None),
                visible_households(actor, Scope.ROLES),
            ),
        )
        .outerjoin(Plan, col(Plan.household_id) == col(Household.id))
    )
    if own_caseload:
        statement = statement.where(regisseur_of(actor))
    if municipality is not None:
        statement = statement.where(col(Household.municipality_code) == municipality)
    if status is not None:
        statement = statement.where(col(Household.status) == status)
    if search:
        few = few_matches(session, search)
        if few is None:
            statement = statement.where(name_matches(session.get_bind().dialect.name, search))
        else:
            statement = statement.where(one_of(session, col(Household.id), few))
    paged: Any = paginate(statement, col(Household.created_at), col(Household.id), page)
    rows: Sequence[Any] = session.execute(paged).all()
    return [HouseholdListRow(*row) for row in rows]
