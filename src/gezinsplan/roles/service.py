"""Rules for role assignments: one regisseur at a time, handed over in one transaction."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.kit.clock import utcnow
from gezinsplan.organizations import service as organizations
from gezinsplan.organizations.models import OrganizationKind
from gezinsplan.roles import repository
from gezinsplan.roles.models import RoleAssignment, RoleType
from gezinsplan.roles.schemas import CareProviderAdd, RegisseurAssign

CONCURRENT_CHANGE = "The regisseur of this household changed meanwhile; read the roles again."
HOUSEHOLD_CLOSED = "household closed"


def _record(session: Session, actor: Actor, type_: EventType, role: RoleAssignment) -> None:
    record_event(
        session,
        type_,
        actor=actor,
        resource_type="role_assignment",
        resource_id=role.id,
        household_id=role.household_id,
    )


def _ensure_open(household: Household) -> None:
    if household.status != HouseholdStatus.OPEN:
        raise Conflict("The household is closed; reopen it to change who works on it.")


def _insert(session: Session, role: RoleAssignment, conflict: str) -> None:
    """Add the assignment; the partial unique indexes turn a concurrent twin into a 409."""
    session.add(role)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


def assign_regisseur(
    session: Session, actor: Actor, household: Household, data: RegisseurAssign
) -> RoleAssignment:
    """Start the new regisseur's assignment, ending the current one (named in ``replaces``)."""
    _ensure_open(household)
    organizations.registered(session, data.organization_id, "organizationId")
    current = repository.active_regisseur(session, actor, household.id)
    if current is None and data.replaces is not None:
        raise Conflict(CONCURRENT_CHANGE)
    if current is not None:
        if data.replaces != current.id:
            raise Conflict(
                f"Assignment {current.id} is the active regisseur; name it in `replaces` "
                "to hand over."
            )
        if (current.professional_sub, current.organization_id) == (
            data.professional_sub,
            data.organization_id,
        ):
            raise Conflict("This professional is already the regisseur.")
    now = utcnow()
    if current is not None:
        if not repository.end_active(session, current.id, at=now, by=actor.sub, reason=data.reason):
            raise Conflict(CONCURRENT_CHANGE)
        _record(session, actor, EventType.ROLE_ENDED, current)
    role = RoleAssignment(
        household_id=household.id,
        role_type=RoleType.REGISSEUR,
        organization_id=data.organization_id,
        professional_sub=data.professional_sub,
        professional_name=data.professional_name,
        started_at=now,
        start_reason=data.reason,
        started_by=actor.sub,
        created_at=now,
    )
    _insert(session, role, CONCURRENT_CHANGE)
    _record(session, actor, EventType.REGISSEUR_ASSIGNED, role)
    session.flush()
    return role


def add_care_provider(
    session: Session, actor: Actor, household: Household, data: CareProviderAdd
) -> RoleAssignment:
    _ensure_open(household)
    organization = organizations.registered(session, data.organization_id, "organizationId")
    if organization.kind != OrganizationKind.CARE_PROVIDER:
        raise Unprocessable.field(
            "organizationId",
            "not a care provider",
            "Only a care-provider organization can take this role.",
        )
    role = RoleAssignment(
        household_id=household.id,
        role_type=RoleType.CARE_PROVIDER,
        organization_id=organization.id,
        start_reason=data.reason,
        started_by=actor.sub,
    )
    role.created_at = role.started_at
    _insert(session, role, "This care provider already works on the household.")
    _record(session, actor, EventType.CARE_PROVIDER_ADDED, role)
    session.flush()
    return role


def end_role(session: Session, actor: Actor, role: RoleAssignment) -> None:
    """End a care-provider assignment; the regisseur is only ever handed over."""
    if role.role_type == RoleType.REGISSEUR:
        raise Conflict("The regisseur is not removed but handed over: PUT the new regisseur.")
    if role.ended_at is not None:
        raise Conflict("This assignment has already ended.")
    if not repository.end_active(session, role.id, at=utcnow(), by=actor.sub, reason=None):
        raise Conflict("This assignment has already ended.")
    _record(session, actor, EventType.ROLE_ENDED, role)
    session.flush()


def end_all(session: Session, actor: Actor, household: Household, at: datetime) -> None:
    """Closing the household ends the work on it: the regisseur's and every care provider's
    assignment, each with its event."""
    ended = repository.end_all_active(
        session, household.id, at=at, by=actor.sub, reason=HOUSEHOLD_CLOSED
    )
    for role_id in ended:
        record_event(
            session,
            EventType.ROLE_ENDED,
            actor=actor,
            resource_type="role_assignment",
            resource_id=role_id,
            household_id=household.id,
        )
