"""The SQL predicates every read of case data is filtered by.

Lists, details and (later) exports all use these, so they cannot disagree about who sees what.
"""

from sqlalchemy import ColumnElement, false
from sqlmodel import col

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.households.models import Household


def visible_households(actor: Actor) -> ColumnElement[bool]:
    """Households the actor may see: a toegang worker's municipalities; nothing for others."""
    if actor.has(Role.TOEGANG) and actor.municipalities:
        return col(Household.municipality_code).in_(sorted(actor.municipalities))
    return false()


def editable_households(actor: Actor) -> ColumnElement[bool]:
    """Households the actor may change; for now the same as those it may see."""
    return visible_households(actor)
