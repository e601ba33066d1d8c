"""Queries on restrictions of processing, read by the family, the privacy officer and the whole
file's professionals (``predicates.restriction_readers``)."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import restriction_readers
from gezinsplan.access.statements import reachable
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.rights.models import Restriction


def active_of(
    session: Session, actor: Actor, household_id: uuid.UUID, member_id: uuid.UUID | None
) -> Restriction | None:
    """The active restriction of the same household, or member, if one holds already."""
    statement = reachable(Restriction, restriction_readers(actor)).where(
        col(Restriction.household_id) == household_id,
        col(Restriction.lifted_at).is_(None),
        col(Restriction.member_id).is_(None)
        if member_id is None
        else col(Restriction.member_id) == member_id,
    )
    return session.scalars(statement).first()


def of_household(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Restriction]:
    statement = reachable(Restriction, restriction_readers(actor)).where(
        col(Restriction.household_id) == household_id
    )
    ordered = paginate(statement, col(Restriction.placed_at), col(Restriction.id), page)
    return session.scalars(ordered).all()


def all_of_household(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> Sequence[Restriction]:
    """Every restriction of the household, oldest first: the data report lists them all."""
    statement = reachable(Restriction, restriction_readers(actor)).where(
        col(Restriction.household_id) == household_id
    )
    return session.scalars(
        statement.order_by(col(Restriction.placed_at), col(Restriction.id))
    ).all()


def get(
    session: Session, actor: Actor, household_id: uuid.UUID, restriction_id: uuid.UUID
) -> Restriction | None:
    statement = reachable(Restriction, restriction_readers(actor)).where(
        col(Restriction.id) == restriction_id, col(Restriction.household_id) == household_id
    )
    return session.scalars(statement).one_or_none()


def lift(
    session: Session,
    restriction_id: uuid.UUID,
    *,
    at: datetime,
    by: str,
    reason: str,
    family_informed_on: date,
) -> bool:
    """Lift a restriction that still holds; one conditional UPDATE, so two officers at once
    cannot both lift it."""
    result = session.execute(
        update(Restriction)
        .where(col(Restriction.id) == restriction_id, col(Restriction.lifted_at).is_(None))
        .values(
            lifted_at=at, lifted_by=by, lift_reason=reason, family_informed_on=family_informed_on
        )
        .returning(col(Restriction.id))
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None
