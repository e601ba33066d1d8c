"""Registering organizations."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.kit.clock import new_id
from gezinsplan.organizations import repository
from gezinsplan.organizations.models import Organization, ServedMunicipality
from gezinsplan.organizations.schemas import OrganizationCreate, OrganizationRead


def to_read(organization: Organization, served: list[str]) -> OrganizationRead:
    return OrganizationRead.model_validate(
        {**organization.model_dump(), "served_municipalities": served}
    )


def registered(session: Session, organization_id: uuid.UUID, field: str) -> Organization:
    """The organization a request names in ``field``; a 422 when it is not registered."""
    organization = repository.get(session, organization_id)
    if organization is None:
        raise Unprocessable.field(
            field, "unknown organization", "This organization is not registered."
        )
    return organization


def create_organization(
    session: Session,
    actor: Actor,
    data: OrganizationCreate,
    *,
    organization_id: uuid.UUID | None = None,
) -> OrganizationRead:
    served = sorted(set(data.served_municipalities))
    for code in served:
        if repository.get_municipality(session, code) is None:
            raise Unprocessable(
                f"Municipality {code} is not registered.",
                invalid_params=[
                    {"name": "body:servedMunicipalities", "reason": "unknown municipality"}
                ],
            )
    organization = Organization(
        id=organization_id or new_id(),
        kind=data.kind,
        name=data.name,
        municipality_code=data.municipality_code,
        agb_code=data.agb_code,
        kvk_number=data.kvk_number,
    )
    try:
        with session.begin_nested():
            session.add(organization)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("An organization with this municipality code or AGB code exists.") from exc
    session.add_all(
        ServedMunicipality(organization_id=organization.id, municipality_code=code)
        for code in served
    )
    record_event(
        session,
        EventType.ORGANIZATION_CREATED,
        actor=actor,
        resource_type="organization",
        resource_id=organization.id,
    )
    session.flush()
    return to_read(organization, served)
