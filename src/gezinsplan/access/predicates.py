"""The SQL predicates every read of case data is filtered by.

Lists, details and (later) exports all use these, so they cannot disagree about who sees what.
"""

from sqlalchemy import ColumnElement, exists, false, or_
from sqlalchemy.orm import aliased
from sqlmodel import col

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.households.models import Household
from gezinsplan.roles.models import RoleAssignment, RoleType

PROFESSIONAL_ROLES = frozenset({Role.TOEGANG, Role.CARE_PROVIDER})


def regisseur_of(actor: Actor) -> ColumnElement[bool]:
    """Households the actor coordinates now: an active regisseur assignment to them."""
    if not _may_coordinate(actor):
        return false()
    # An alias, so the subquery correlates only to the household even inside a query that
    # itself reads role assignments.
    role = aliased(RoleAssignment)
    return (
        exists()
        .where(
            col(role.household_id) == col(Household.id),
            col(role.professional_sub) == actor.sub,
            col(role.organization_id) == actor.org,
            col(role.role_type) == RoleType.REGISSEUR,
            col(role.ended_at).is_(None),
        )
        .correlate(Household)
    )


def _may_coordinate(actor: Actor) -> bool:
    return bool(actor.roles & PROFESSIONAL_ROLES) and actor.org is not None


def visible_households(actor: Actor) -> ColumnElement[bool]:
    """A toegang worker's municipalities, and every household the actor is regisseur of."""
    allowed: list[ColumnElement[bool]] = []
    if actor.has(Role.TOEGANG) and actor.municipalities:
        allowed.append(col(Household.municipality_code).in_(sorted(actor.municipalities)))
    if _may_coordinate(actor):
        allowed.append(regisseur_of(actor))
    return or_(*allowed) if allowed else false()


def editable_households(actor: Actor) -> ColumnElement[bool]:
    """Households the actor may change; for now the same as those it may see."""
    return visible_households(actor)
