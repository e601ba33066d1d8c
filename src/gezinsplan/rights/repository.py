"""What the data report reads: the household's file as its family and privacy officer see it.

The report's own parts are read in the access-log scope, the one the family (its own
household) and the privacy officer (their municipalities) hold. The consents, whose purposes
and reasons are the family's words, are read under their own rule (``Scope.CONSENTS``), as
``GET /consents`` reads them: the family sees them, the privacy officer does not.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.episodes.models import Episode
from gezinsplan.indications.models import Indication
from gezinsplan.members.models import Member
from gezinsplan.organizations.models import Organization

SCOPE = Scope.ACCESS_LOG


def members(session: Session, actor: Actor, household_id: uuid.UUID) -> Sequence[Member]:
    statement = readable(Member, actor, SCOPE).where(col(Member.household_id) == household_id)
    return session.scalars(statement.order_by(col(Member.created_at), col(Member.id))).all()


def episodes(session: Session, actor: Actor, household_id: uuid.UUID) -> Sequence[Episode]:
    statement = readable(Episode, actor, SCOPE).where(col(Episode.household_id) == household_id)
    return session.scalars(statement.order_by(col(Episode.opened_at))).all()


def consents(session: Session, actor: Actor, household_id: uuid.UUID) -> Sequence[Any]:
    """(consent, grantee organization's name), oldest first."""
    statement = (
        readable(Consent, actor, Scope.CONSENTS, Consent, col(Organization.name))
        .outerjoin(Organization, col(Organization.id) == col(Consent.grantee_organization_id))
        .where(col(Consent.household_id) == household_id)
        .order_by(col(Consent.created_at), col(Consent.id))
    )
    return session.execute(statement).all()


def consent_terms(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> tuple[Sequence[ConsentCategory], Sequence[ConsentDomain]]:
    """The categories and life domains of the household's consents."""
    categories = readable(ConsentCategory, actor, Scope.CONSENTS).where(
        col(Consent.household_id) == household_id
    )
    domains = readable(ConsentDomain, actor, Scope.CONSENTS).where(
        col(Consent.household_id) == household_id
    )
    return session.scalars(categories).all(), session.scalars(domains).all()


def indications(session: Session, actor: Actor, household_id: uuid.UUID) -> Sequence[Indication]:
    statement = readable(Indication, actor, SCOPE).where(
        col(Indication.household_id) == household_id
    )
    return session.scalars(statement.order_by(col(Indication.decision_date))).all()
