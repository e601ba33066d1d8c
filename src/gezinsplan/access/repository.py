"""The queries behind the grounds and the visibility of an access already granted.

Each still applies the household predicate, so none can answer for a household the actor
does not reach.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import (
    full_grounds,
    own_household,
    valid_on,
    visible_households,
    works_on,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.households.models import Household
from gezinsplan.roles.models import RoleAssignment, RoleType


def regisseur_assignment(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> uuid.UUID | None:
    """The actor's active regisseur assignment to the household, if any."""
    statement = (
        select(RoleAssignment)
        .join(Household, col(Household.id) == col(RoleAssignment.household_id))
        .where(
            col(RoleAssignment.household_id) == household_id,
            col(RoleAssignment.role_type) == RoleType.REGISSEUR,
            col(RoleAssignment.professional_sub) == actor.sub,
            col(RoleAssignment.organization_id) == actor.org,
            col(RoleAssignment.ended_at).is_(None),
            visible_households(actor, Scope.ROLES),
        )
    )
    role = session.scalars(statement).first()
    return role.id if role else None


def covering_consent(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope, category: str
) -> Consent | None:
    """The oldest valid consent that gives the actor's organization this category."""
    statement = (
        select(Consent)
        .join(Household, col(Household.id) == col(Consent.household_id))
        .where(
            col(Consent.household_id) == household_id,
            col(Consent.grantee_organization_id) == actor.org,
            *valid_on(Consent, date.today()),
            exists().where(
                col(ConsentCategory.consent_id) == col(Consent.id),
                col(ConsentCategory.category) == category,
            ),
            visible_households(actor, scope),
        )
        .order_by(col(Consent.created_at), col(Consent.id))
    )
    return session.scalars(statement).first()


def whole_view(session: Session, actor: Actor, household_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether the actor sees the whole file (full grounds), and whether as its resident."""
    statement = select(full_grounds(actor).label("full"), own_household(actor).label("own")).where(
        col(Household.id) == household_id
    )
    row = session.execute(statement).one()
    return bool(row.full), bool(row.own)


def consented_view(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope
) -> Sequence[Any]:
    """(consent id, category, life domain or None) of the organization's valid consents."""
    statement = (
        select(col(Consent.id), col(ConsentCategory.category), col(ConsentDomain.life_domain))
        .join(Household, col(Household.id) == col(Consent.household_id))
        .join(ConsentCategory, col(ConsentCategory.consent_id) == col(Consent.id))
        .outerjoin(ConsentDomain, col(ConsentDomain.consent_id) == col(Consent.id))
        .where(
            col(Consent.household_id) == household_id,
            col(Consent.grantee_organization_id) == actor.org,
            *valid_on(Consent, date.today()),
            visible_households(actor, scope),
        )
    )
    return session.execute(statement).all()


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
