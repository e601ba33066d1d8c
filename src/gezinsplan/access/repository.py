"""The queries behind the grounds and the visibility of an access already granted.

Each still applies the household predicate, so none can answer for a household the actor
does not reach.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import null, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from gezinsplan.access.predicates import (
    editable_households,
    may_coordinate,
    regisseur_conditions,
    valid_on,
    visible_households,
    works_on,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.households.models import Household
from gezinsplan.kit import clock
from gezinsplan.roles.models import RoleAssignment, RoleType

REGISSEUR_KEY = "gezinsplan_regisseur_assignment"

# The actor's own assignment, read beside the household it belongs to.
_OWN = aliased(RoleAssignment, name="own_assignment")


def load_household(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope, *, write: bool
) -> Household | None:
    """The household, when the actor may read (or change) this part of its file.

    The grounds ask next whether the actor is its regisseur; that answer comes back in the
    same statement and is kept on the session, which lives as long as the request.
    """
    allowed = editable_households(actor, scope) if write else visible_households(actor, scope)
    statement = select(Household, _own_assignment(actor)).where(
        col(Household.id) == household_id, allowed
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        return None
    household, role_id = row
    session.info.setdefault(REGISSEUR_KEY, {})[household.id] = role_id
    return cast(Household, household)


def _own_assignment(actor: Actor) -> Any:
    """The id of the actor's active regisseur assignment to the household, else NULL."""
    if not may_coordinate(actor):
        return null().label("own_assignment")
    found = select(col(_OWN.id)).where(*regisseur_conditions(_OWN, actor))
    return found.correlate(Household).scalar_subquery().label("own_assignment")


def regisseur_assignment(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> uuid.UUID | None:
    """The actor's active regisseur assignment to the household, if any."""
    memo: dict[uuid.UUID, uuid.UUID | None] = session.info.setdefault(REGISSEUR_KEY, {})
    if household_id not in memo:
        statement = (
            select(col(RoleAssignment.id))
            .join(Household, col(Household.id) == col(RoleAssignment.household_id))
            .where(
                col(Household.id) == household_id,
                *regisseur_conditions(RoleAssignment, actor),
                visible_households(actor, Scope.ROLES),
            )
        )
        memo[household_id] = session.scalars(statement).first()
    return memo[household_id]


@dataclass(frozen=True)
class HeldConsent:
    """One category (and, when the consent is limited, one life domain) of a valid consent."""

    consent_id: uuid.UUID
    created_at: datetime
    purpose: str
    category: str
    life_domain: str | None


HELD_KEY = "gezinsplan_held_consents"


def held_consents(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope
) -> list[HeldConsent]:
    """The organization's consents on the household valid today, read once per request.

    Both the legal basis of the audit record and the response's visibility come from them;
    the session lives as long as the request, so neither asks the database twice.
    """
    memo: dict[tuple[uuid.UUID, Scope], list[HeldConsent]] = session.info.setdefault(HELD_KEY, {})
    if (household_id, scope) not in memo:
        statement = (
            select(
                col(Consent.id),
                col(Consent.created_at),
                col(Consent.purpose),
                col(ConsentCategory.category),
                col(ConsentDomain.life_domain),
            )
            .join(Household, col(Household.id) == col(Consent.household_id))
            .join(ConsentCategory, col(ConsentCategory.consent_id) == col(Consent.id))
            .outerjoin(ConsentDomain, col(ConsentDomain.consent_id) == col(Consent.id))
            .where(
                col(Consent.household_id) == household_id,
                col(Consent.grantee_organization_id) == actor.org,
                *valid_on(Consent, clock.today()),
                visible_households(actor, scope),
            )
            .order_by(col(Consent.created_at), col(Consent.id))
        )
        memo[household_id, scope] = [HeldConsent(*row) for row in session.execute(statement)]
    return memo[household_id, scope]


def care_assignments(
    session: Session, actor: Actor, household_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The active care-provider assignment of the actor's organization, by household."""
    statement = (
        select(col(RoleAssignment.household_id), col(RoleAssignment.id))
        .join(Household, col(Household.id) == col(RoleAssignment.household_id))
        .where(
            col(RoleAssignment.household_id).in_(household_ids),
            col(RoleAssignment.organization_id) == actor.org,
            col(RoleAssignment.role_type) == RoleType.CARE_PROVIDER,
            col(RoleAssignment.ended_at).is_(None),
            works_on(actor),
        )
    )
    return {row[0]: row[1] for row in session.execute(statement).all()}
