"""Queries on consents, always through the households the actor may see."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import (
    editable_households,
    visible_consents,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import PageRequest, paginate

SCOPE = Scope.CONSENTS


def list_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Consent]:
    statement = (
        select(Consent)
        .join(Household, col(Household.id) == col(Consent.household_id))
        .where(
            col(Consent.household_id) == household_id,
            visible_households(actor, SCOPE),
            visible_consents(actor),
        )
    )
    ordered = paginate(statement, col(Consent.created_at), col(Consent.id), page)
    return session.scalars(ordered).all()


def get(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    consent_id: uuid.UUID,
    *,
    editable: bool,
) -> Consent | None:
    statement = (
        select(Consent)
        .join(Household, col(Household.id) == col(Consent.household_id))
        .where(
            col(Consent.id) == consent_id,
            col(Consent.household_id) == household_id,
            editable_households(actor, SCOPE) if editable else visible_households(actor, SCOPE),
            visible_consents(actor),
        )
    )
    return session.scalars(statement).one_or_none()


def categories(
    session: Session, actor: Actor, consent_ids: Sequence[uuid.UUID]
) -> Sequence[ConsentCategory]:
    statement = (
        select(ConsentCategory)
        .join(Consent, col(Consent.id) == col(ConsentCategory.consent_id))
        .join(Household, col(Household.id) == col(Consent.household_id))
        .where(
            col(ConsentCategory.consent_id).in_(consent_ids),
            visible_households(actor, SCOPE),
            visible_consents(actor),
        )
        .order_by(col(ConsentCategory.category))
    )
    return session.scalars(statement).all()


def domains(
    session: Session, actor: Actor, consent_ids: Sequence[uuid.UUID]
) -> Sequence[ConsentDomain]:
    statement = (
        select(ConsentDomain)
        .join(Consent, col(Consent.id) == col(ConsentDomain.consent_id))
        .join(Household, col(Household.id) == col(Consent.household_id))
        .where(
            col(ConsentDomain.consent_id).in_(consent_ids),
            visible_households(actor, SCOPE),
            visible_consents(actor),
        )
        .order_by(col(ConsentDomain.life_domain))
    )
    return session.scalars(statement).all()


def withdraw(
    session: Session, consent_id: uuid.UUID, *, at: datetime, by: str, reason: str | None
) -> bool:
    """Withdraw the consent unless someone already did; one conditional UPDATE."""
    result = session.execute(
        update(Consent)
        .where(col(Consent.id) == consent_id, col(Consent.withdrawn_at).is_(None))
        .values(withdrawn_at=at, withdrawn_by=by, withdrawal_reason=reason)
        .returning(col(Consent.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None
