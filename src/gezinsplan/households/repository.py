"""Queries on households. Every read starts from the actor's visible statement.

The list's name search matches the words of household and member names by prefix. On
PostgreSQL each name is indexed as words (GIN indexes on ``to_tsvector('simple', ...)``,
migration 0009), so a search reads the index instead of every member of every household,
as a substring search (``ILIKE '%x%'``) did. SQLite, the embedded default, finds the same
words with LIKE. Every word searched for must begin a word of the household's name or of
one member's names.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    false,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from gezinsplan.access.predicates import (
    own_household,
    regisseur_of,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member
from gezinsplan.plans.models import Plan
from gezinsplan.roles.models import RoleAssignment, RoleType

SCOPE = Scope.BASIC


def own_household_id(session: Session, actor: Actor) -> uuid.UUID | None:
    """The household a resident's member claim names, if any."""
    return session.scalars(select(col(Household.id)).where(own_household(actor))).first()


# Letters and digits: no LIKE wildcard and no tsquery operator can get through.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
HOUSEHOLD_WORDS = "to_tsvector('simple', households.name)"
MEMBER_WORDS = "to_tsvector('simple', members.given_name || ' ' || members.family_name)"


def words(search: str) -> list[str]:
    return [word.lower() for word in WORD.findall(search)][:MAX_WORDS]


def name_matches(dialect: str, search: str) -> ColumnElement[bool]:
    """Households whose name, or one of whose members' names, has every word searched for."""
    terms = words(search)
    if not terms:
        return false()
    if dialect == "postgresql":
        query: BindParameter[str] = bindparam(
            "name_words", " & ".join(f"{term}:*" for term in terms)
        )
        named = select(col(Household.id)).where(
            text(f"{HOUSEHOLD_WORDS} @@ to_tsquery('simple', :name_words)").bindparams(query)
        )
        members = select(col(Member.household_id)).where(
            text(f"{MEMBER_WORDS} @@ to_tsquery('simple', :name_words)").bindparams(query)
        )
        # Two INs joined by OR, not one IN over their UNION: the planner hashes each set of
        # matches once (from its word index) and probes it while walking the page order.
        # Over the UNION, at a million households, it compared every household walked with
        # every match instead (5.5 s for ?q=bakker).
        return or_(col(Household.id).in_(named), col(Household.id).in_(members))
    household = and_(*[_starts_a_word(col(Household.name), term) for term in terms])
    member = and_(
        *[
            or_(
                _starts_a_word(col(Member.given_name), term),
                _starts_a_word(col(Member.family_name), term),
            )
            for term in terms
        ]
    )
    members = select(col(Member.household_id)).where(member)
    return or_(household, col(Household.id).in_(members))


def _starts_a_word(column: object, term: str) -> ColumnElement[bool]:
    """SQLite: ``term`` begins the text or a word after a space or a hyphen."""
    spaced = " " + term + "%"
    return or_(
        col(column).ilike(term + "%"),
        col(column).ilike("%" + spaced),
        col(column).ilike("%-" + term + "%"),
    )


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
        select(Household, regisseur, plan_status)
        .select_from(Household)
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
        .where(visible_households(actor, SCOPE))
    )
    if own_caseload:
        statement = statement.where(regisseur_of(actor))
    if municipality is not None:
        statement = statement.where(col(Household.municipality_code) == municipality)
    if status is not None:
        statement = statement.where(col(Household.status) == status)
    if search:
        dialect = session.get_bind().dialect.name
        statement = statement.where(name_matches(dialect, search))
    paged: Any = paginate(statement, col(Household.created_at), col(Household.id), page)
    rows: Sequence[Any] = session.execute(paged).all()
    return [HouseholdListRow(*row) for row in rows]
