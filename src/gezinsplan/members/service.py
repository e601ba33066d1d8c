"""Rules for adding, changing and removing members."""

import uuid
from datetime import date

from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.households.search.repository import refresh_name_words
from gezinsplan.indications import service as indications
from gezinsplan.kit import clock
from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.etags import claim_version
from gezinsplan.members.models import Member
from gezinsplan.members.schemas import FACTS, MemberCreate, MemberUpdate
from gezinsplan.plans import service as plans
from gezinsplan.rectification import service as rectification

ADULT_AGE = 18
# The fields the household list's name search reads.
NAMES = {"given_name", "family_name"}


def _age(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def is_adult(birth_date: date) -> bool:
    return _age(birth_date, clock.today()) >= ADULT_AGE


def _check_guardian(member: Member) -> None:
    if member.is_guardian and not is_adult(member.birth_date):
        raise Unprocessable(
            "A guardian must be an adult.",
            invalid_params=[{"name": "body:isGuardian", "reason": "member is under 18"}],
        )


def _flush_unique_bsn(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("This person (BSN) is already a member of another open household.") from exc


def _record(session: Session, actor: Actor, type_: EventType, member: Member) -> None:
    record_event(
        session,
        type_,
        actor=actor,
        resource_type="member",
        resource_id=member.id,
        household_id=member.household_id,
    )


def add_member(
    session: Session,
    actor: Actor,
    household: Household,
    data: MemberCreate,
    *,
    member_id: uuid.UUID | None = None,
) -> Member:
    """Add a person; ``member_id`` lets the demo data give members ids a README can name."""
    if household.status != HouseholdStatus.OPEN:
        raise Conflict("The household is closed; reopen it to add members.")
    member = Member(
        id=member_id or new_id(),
        household_id=household.id,
        household_status=household.status,
        **data.model_dump(),
    )
    _check_guardian(member)
    session.add(member)
    _flush_unique_bsn(session)
    _record(session, actor, EventType.MEMBER_ADDED, member)
    session.flush()
    refresh_name_words(session, [household.id])
    indications.link_member(session, actor, member, household.municipality_code)
    return member


def update_member(
    session: Session,
    actor: Actor,
    household: Household,
    member: Member,
    data: MemberUpdate,
    expected: int | None,
) -> Member:
    """Change the household's member, keeping each changed fact's old value; a new BSN
    moves its indications along."""
    changes = data.model_dump(include=set(FACTS), exclude_unset=True)
    for field in ("given_name", "family_name", "birth_date", "relation", "is_guardian"):
        if field in changes and changes[field] is None:
            raise Unprocessable(
                f"{to_camel(field)} cannot be removed.",
                invalid_params=[{"name": f"body:{to_camel(field)}", "reason": "must not be null"}],
            )
    rectification.check_request(session, actor, household, data.rights_request_id)
    member.version = claim_version(session, Member, member.id, expected)
    new_bsn = "bsn" in changes and changes["bsn"] != member.bsn
    before = {field: getattr(member, field) for field in changes}
    for field, value in changes.items():
        setattr(member, field, value)
    member.updated_at = utcnow()
    _check_guardian(member)
    _flush_unique_bsn(session)
    changed = rectification.keep_history(
        session, actor, member, before, reason=data.reason, rights_request_id=data.rights_request_id
    )
    corrected = changed and data.reason is not None
    _record(
        session,
        actor,
        EventType.MEMBER_CORRECTED if corrected else EventType.MEMBER_UPDATED,
        member,
    )
    session.flush()
    if changes.keys() & NAMES:
        refresh_name_words(session, [member.household_id])
    if new_bsn:
        # The indications follow the BSN: the old one's wait, the new one's link.
        indications.unlink_member(session, member)
        indications.link_member(session, actor, member, household.municipality_code)
    return member


def remove_member(session: Session, actor: Actor, member: Member, expected: int | None) -> None:
    claim_version(session, Member, member.id, expected)
    _record(session, actor, EventType.MEMBER_REMOVED, member)
    indications.unlink_member(session, member)
    plans.performer_removed(session, actor, member)
    session.delete(member)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This member gave a consent, or is named by a rights request or a restriction of "
            "processing, kept as history; the member stays in the file."
        ) from exc
    refresh_name_words(session, [member.household_id])
