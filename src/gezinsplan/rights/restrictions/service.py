"""Rules for restrictions of processing (AVG art. 18): what one covers, one at a time per
household or member, lifting once and only after the family was told.

What a restriction does is decided in the access predicates, not here: while it holds, the
care providers' and machine clients' grounds reach nothing of it. Like a rights request, a
restriction publishes no event (decision 0029): organizations that follow the feed simply stop
seeing the data, and learn neither that nor why. A restricted member's names are left out of
the household's search words while the restriction holds. Placing, reading and lifting one
are in the household's access log like every access.
"""

from sqlalchemy.orm import Session

from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note, note_change
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.households.models import Household
from gezinsplan.households.search.repository import refresh_name_words
from gezinsplan.kit import clock
from gezinsplan.kit.clock import utcnow
from gezinsplan.rights.models import RequestKind, Restriction
from gezinsplan.rights.requests import repository as requests
from gezinsplan.rights.restrictions import repository
from gezinsplan.rights.restrictions.schemas import (
    RestrictionCreate,
    RestrictionLift,
    RestrictionRead,
)


def place(
    session: Session, actor: Actor, household: Household, data: RestrictionCreate
) -> Restriction:
    """Restrict the household, or one member of it; 409 while the same one already holds."""
    if data.member_id is not None:
        if requests.member_of(session, actor, household.id, data.member_id) is None:
            raise Unprocessable.field(
                "memberId", "not a member of this household", "No such member."
            )
        note(session, members=[data.member_id])
    if data.rights_request_id is not None:
        request = requests.get(session, actor, household.id, data.rights_request_id)
        if request is None or request.kind != RequestKind.RESTRICTION:
            raise Unprocessable.field(
                "rightsRequestId",
                "not a restriction request of this household",
                "No such restriction request.",
            )
    if repository.active_of(session, actor, household.id, data.member_id) is not None:
        raise Conflict("A restriction of this household or member holds already.")
    restriction = Restriction(
        household_id=household.id,
        member_id=data.member_id,
        reason=data.reason,
        rights_request_id=data.rights_request_id,
        placed_by=actor.sub,
    )
    session.add(restriction)
    session.flush()
    if data.member_id is not None:
        refresh_name_words(session, [household.id])
    note_change(session, restriction.id, household.id)
    return restriction


def lift(
    session: Session, actor: Actor, restriction: Restriction, data: RestrictionLift
) -> Restriction:
    """Once, with a reason and the day the family was told beforehand (AVG art. 18(3))."""
    note(session, action=AuditAction.UPDATE)
    if restriction.member_id is not None:
        note(session, members=[restriction.member_id])
    if data.family_informed_on > clock.today():
        raise Unprocessable.field(
            "familyInformedOn",
            "after today",
            "The family is told before the restriction is lifted, not after.",
        )
    now = utcnow()
    if restriction.lifted_at is not None or not repository.lift(
        session,
        restriction.id,
        at=now,
        by=actor.sub,
        reason=data.reason,
        family_informed_on=data.family_informed_on,
    ):
        raise Conflict("This restriction has been lifted already.")
    restriction.lifted_at, restriction.lifted_by = now, actor.sub
    restriction.lift_reason, restriction.family_informed_on = data.reason, data.family_informed_on
    if restriction.member_id is not None:
        refresh_name_words(session, [restriction.household_id])
    return restriction


def read(restriction: Restriction) -> RestrictionRead:
    return RestrictionRead.model_validate(
        {**restriction.model_dump(), "active": restriction.active}
    )
