"""Rules for opening, changing, closing and reopening households."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.auth.actor import Actor
from gezinsplan.episodes import service as episodes
from gezinsplan.errors import Conflict, Forbidden, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.households.schemas import HouseholdCreate, HouseholdUpdate
from gezinsplan.households.search.repository import refresh_name_words
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.etags import claim_version
from gezinsplan.organizations import repository as organizations
from gezinsplan.plans import service as plans
from gezinsplan.roles import service as roles


def _record(session: Session, actor: Actor, type_: EventType, household: Household) -> None:
    record_event(
        session,
        type_,
        actor=actor,
        resource_type="household",
        resource_id=household.id,
        household_id=household.id,
    )


def open_household(session: Session, actor: Actor, data: HouseholdCreate) -> Household:
    if not policy.may_open_household(actor, data.municipality_code):
        raise Forbidden("You do not work for this municipality.")
    if organizations.get_municipality(session, data.municipality_code) is None:
        raise Unprocessable(
            "This municipality is not registered.",
            invalid_params=[{"name": "body:municipalityCode", "reason": "unknown municipality"}],
        )
    household = Household(municipality_code=data.municipality_code, name=data.name)
    session.add(household)
    _record(session, actor, EventType.HOUSEHOLD_OPENED, household)
    session.flush()
    refresh_name_words(session, [household.id])
    episodes.start(session, actor, household, data.referral_source, household.opened_at)
    plans.create_plan(session, actor, household)
    session.flush()
    return household


def update_household(
    session: Session,
    actor: Actor,
    household: Household,
    data: HouseholdUpdate,
    expected: int | None,
) -> Household:
    household.version = claim_version(session, Household, household.id, expected)
    household.name = data.name
    household.updated_at = utcnow()
    _record(session, actor, EventType.HOUSEHOLD_UPDATED, household)
    session.flush()
    refresh_name_words(session, [household.id])
    return household


def close_household(
    session: Session,
    actor: Actor,
    household: Household,
    reason: str,
    expected: int | None,
) -> Household:
    """Close the file and end the work on it: the episode, every role assignment (so care
    providers lose their access with their role) and the plan, in this one transaction."""
    if household.status == HouseholdStatus.CLOSED:
        raise Conflict("The household is already closed.")
    household.version = claim_version(session, Household, household.id, expected)
    now = utcnow()
    household.status = HouseholdStatus.CLOSED
    household.closing_reason = reason
    household.closed_at = now
    household.updated_at = now
    _record(session, actor, EventType.HOUSEHOLD_CLOSED, household)
    session.flush()
    episodes.end(session, actor, household, reason, now)
    # The plan first: a regisseur closing the file reads it through their own assignment.
    plans.close_plan(session, actor, household)
    roles.end_all(session, actor, household, now)
    session.flush()
    return household


def reopen_household(
    session: Session,
    actor: Actor,
    household: Household,
    referral_source: str,
    expected: int | None,
) -> Household:
    """Start a new episode; the household waits for a regisseur to be assigned again."""
    if household.status == HouseholdStatus.OPEN:
        raise Conflict("The household is already open.")
    household.version = claim_version(session, Household, household.id, expected)
    household.status = HouseholdStatus.OPEN
    household.closing_reason = None
    household.closed_at = None
    household.updated_at = now = utcnow()
    _record(session, actor, EventType.HOUSEHOLD_REOPENED, household)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "A member of this household is in another open household; close that one first."
        ) from exc
    episodes.start(session, actor, household, referral_source, now)
    session.flush()
    return household
