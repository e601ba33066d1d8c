"""Queries on consents, each starting from the access statements; a care provider sees only
the consents given to its own organization (``visible_consents``)."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access import statements
from gezinsplan.access.predicates import visible_consents
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.kit.pagination import PageRequest, paginate

SCOPE = Scope.CONSENTS


def list_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Consent]:
    statement = statements.readable(Consent, actor, SCOPE).where(
        col(Consent.household_id) == household_id, visible_consents(actor)
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
    if editable:
        start = statements.editable(Consent, actor, SCOPE)
    else:
        start = statements.readable(Consent, actor, SCOPE)
    statement = start.where(
        col(Consent.id) == consent_id,
        col(Consent.household_id) == household_id,
        visible_consents(actor),
    )
    return session.scalars(statement).one_or_none()


def categories(
    session: Session, actor: Actor, consent_ids: Sequence[uuid.UUID]
) -> Sequence[ConsentCategory]:
    statement = (
        statements.readable(ConsentCategory, actor, SCOPE)
        .where(col(ConsentCategory.consent_id).in_(consent_ids), visible_consents(actor))
        .order_by(col(ConsentCategory.category))
    )
    return session.scalars(statement).all()


def domains(
    session: Session, actor: Actor, consent_ids: Sequence[uuid.UUID]
) -> Sequence[ConsentDomain]:
    statement = (
        statements.readable(ConsentDomain, actor, SCOPE)
        .where(col(ConsentDomain.consent_id).in_(consent_ids), visible_consents(actor))
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
