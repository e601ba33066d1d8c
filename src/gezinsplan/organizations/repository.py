"""Queries on organizations (a directory: no case data)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.organizations.models import Organization, ServedMunicipality


def get(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.get(Organization, organization_id)


def get_municipality(session: Session, code: str) -> Organization | None:
    statement = select(Organization).where(col(Organization.municipality_code) == code)
    return session.scalars(statement).one_or_none()


def served_municipalities(
    session: Session, organization_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    served: dict[uuid.UUID, list[str]] = {id_: [] for id_ in organization_ids}
    if not organization_ids:
        return served
    statement = (
        select(ServedMunicipality)
        .where(col(ServedMunicipality.organization_id).in_(organization_ids))
        .order_by(col(ServedMunicipality.municipality_code))
    )
    for row in session.scalars(statement):
        served[row.organization_id].append(row.municipality_code)
    return served


def list_page(
    session: Session, page: PageRequest, *, kind: str | None = None, search: str | None = None
) -> Sequence[Organization]:
    statement = select(Organization)
    if kind is not None:
        statement = statement.where(col(Organization.kind) == kind)
    if search:
        statement = statement.where(col(Organization.name).icontains(search, autoescape=True))
    return session.scalars(
        paginate(statement, Organization.created_at, Organization.id, page)
    ).all()


def any_registered(session: Session) -> bool:
    """Whether any organization is registered (an empty database gets demo data)."""
    return session.scalars(select(col(Organization.id)).limit(1)).first() is not None
