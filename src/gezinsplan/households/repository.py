"""Queries on households. Every read starts from the actor's visible statement.

The list's name search reads the words stored per household (``households.search``).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, or_
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access import statements
from gezinsplan.access.predicates import (
    KEPT,
    own_household,
    regisseur_of,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.households.schemas import HouseholdRead
from gezinsplan.households.search.repository import (
    SearchShape,
    also_matches,
    search_of,
    walked,
)
from gezinsplan.kit import clock
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.kit.pagination import PageRequest
from gezinsplan.plans.models import Plan
from gezinsplan.roles.models import RoleAssignment, RoleType, active

SCOPE = Scope.BASIC


def own_household_id(session: Session, actor: Actor) -> uuid.UUID | None:
    """The household a resident's member claim names, if any."""
    statement = statements.reachable(Household, own_household(actor), col(Household.id))
    return session.scalars(statement).first()


# The active regisseur shown on a list item: its own alias, apart from the predicates'.
_LISTED_REGISSEUR = shared_alias(RoleAssignment, "listed_regisseur")


# What a list item shows of the household (each field of ``HouseholdRead``), in the order
# its row carries them.
LISTED_NAMES = tuple(HouseholdRead.model_fields)
LISTED_COLUMNS = tuple(Household.__table__.c[name] for name in LISTED_NAMES)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class HouseholdListRow:
    """A listed household as plain values (no ORM instance: nothing is written), with its
    active regisseur (roles scope) and its plan's status, which is null unless the actor
    may read the plan."""

    household: dict[str, Any]
    regisseur: dict[str, Any] | None
    plan_status: str | None

    # The page's cursor reads these of the row.
    @property
    def created_at(self) -> Any:
        return self.household["created_at"]

    @property
    def id(self) -> uuid.UUID:
        return self.household["id"]  # type: ignore[no-any-return]


def _listed(row: Sequence[Any]) -> HouseholdListRow:
    width = len(LISTED_COLUMNS)
    household = dict(zip(LISTED_NAMES, row[:width], strict=True))
    regisseur_id, sub, name, organization_id, plan_status = row[width:]
    regisseur = (
        None
        if regisseur_id is None
        else {
            "professional_sub": sub or "",
            "professional_name": name,
            "organization_id": organization_id,
        }
    )
    return HouseholdListRow(household, regisseur, plan_status)


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
    basic consent sees who coordinates but not how the plan stands.

    A search walks the stored beginnings of one of its words in page order
    (``households.search``), so it stops at a full page however many households match. The
    statement is built once per actor and shape of the request; the values travel as
    parameters."""
    dialect = session.get_bind().dialect.name
    values: dict[str, Any] = {"municipality": municipality, "status": status}
    matching: SearchShape | None = None
    if search:
        found = search_of(dialect, search)
        matching = found.shape
        values |= found.values
    if page.cursor is not None:
        values |= {"after_created_at": page.cursor.created_at, "after_id": page.cursor.id}
    shape = Shape(
        municipality=municipality is not None,
        status=status is not None,
        matching=matching,
        own_caseload=own_caseload,
        after=page.cursor is not None,
    )
    statement = _list_statement(actor, shape, dialect, clock.today())
    rows = session.connection().execute(statement, values | {"limit": page.limit + 1})
    return [_listed(row) for row in rows]


@dataclass(frozen=True)
class Shape:
    """Which filters a list request uses: one statement per shape (and actor)."""

    municipality: bool
    status: bool
    matching: SearchShape | None
    own_caseload: bool
    after: bool


@lru_cache(maxsize=KEPT)
def _list_statement(actor: Actor, shape: Shape, dialect: str, today: date) -> Any:  # noqa: ARG001
    """The page's household ids first, then those households with their regisseur and plan:
    the planner then walks the page order over households alone and stops at a full page,
    instead of joining every assignment and plan before it knows which rows it needs."""
    created_at: Any = col(Household.created_at)
    id_: Any = col(Household.id)
    page = statements.readable(Household, actor, SCOPE, id_)
    # The page order: the households' own, or that of the walked beginnings of a word
    # searched for (the same: each row carries its household's created_at and id).
    order_created_at, order_id = created_at, id_
    if shape.matching is not None:
        prefixes, joined = walked(id_)
        page = page.join(prefixes, joined)
        page = page.where(*also_matches(dialect, shape.matching, id_))
        order_created_at, order_id = prefixes.c.created_at, prefixes.c.household_id
    if shape.own_caseload:
        page = page.where(regisseur_of(actor))
    if shape.municipality:
        page = page.where(col(Household.municipality_code) == bindparam("municipality"))
    if shape.status:
        page = page.where(col(Household.status) == bindparam("status"))
    if shape.after:
        after = bindparam("after_created_at", type_=created_at.type)
        page = page.where(
            or_(
                order_created_at > after,
                and_(
                    order_created_at == after,
                    order_id > bindparam("after_id", type_=id_.type),
                ),
            )
        )
    page = page.order_by(order_created_at, order_id).limit(bindparam("limit"))
    regisseur = _LISTED_REGISSEUR
    plan_status = case((visible_households(actor, Scope.PLAN), col(Plan.status)), else_=None)
    return (
        statements.readable(
            Household,
            actor,
            SCOPE,
            *LISTED_COLUMNS,
            col(regisseur.id),
            col(regisseur.professional_sub),
            col(regisseur.professional_name),
            col(regisseur.organization_id),
            plan_status,
        )
        .outerjoin(
            regisseur,
            and_(
                col(regisseur.household_id) == col(Household.id),
                *active(regisseur, RoleType.REGISSEUR),
                visible_households(actor, Scope.ROLES),
            ),
        )
        .outerjoin(Plan, col(Plan.household_id) == col(Household.id))
        .where(id_.in_(page.correlate(None).scalar_subquery()))
        .order_by(created_at, id_)
    )
