"""Rules for recording and withdrawing the family's consent."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import note
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.consents import repository
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdraw
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household
from gezinsplan.kit import clock
from gezinsplan.kit.clock import utcnow
from gezinsplan.members import repository as members
from gezinsplan.members.service import is_adult
from gezinsplan.organizations import service as organizations


def _record(session: Session, actor: Actor, type_: EventType, consent: Consent) -> None:
    record_event(
        session,
        type_,
        actor=actor,
        resource_type="consent",
        resource_id=consent.id,
        household_id=consent.household_id,
    )


def give_consent(
    session: Session, actor: Actor, household: Household, data: ConsentCreate
) -> Consent:
    """Record a consent given by an adult member or a guardian of this household."""
    organizations.registered(session, data.grantee_organization_id, "granteeOrganizationId")
    if actor.has(Role.RESIDENT) and data.given_by_member_id != actor.member:
        raise Unprocessable.field(
            "givenByMemberId",
            "a resident gives consent as themselves",
            "A resident gives consent in their own name; a professional records it for others.",
        )
    giver = members.get_visible(
        session, actor, household.id, data.given_by_member_id, scope=Scope.CONSENTS
    )
    if giver is None:
        raise Unprocessable.field(
            "givenByMemberId", "not a member of this household", "No such member here."
        )
    if not (giver.is_guardian or is_adult(giver.birth_date)):
        raise Unprocessable.field(
            "givenByMemberId",
            "neither an adult nor a guardian",
            "Consent is given by an adult member or a guardian.",
        )
    consent = Consent(
        household_id=household.id,
        grantee_organization_id=data.grantee_organization_id,
        purpose=data.purpose,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        given_by_member_id=giver.id,
        recorded_by=actor.sub,
    )
    session.add(consent)
    session.flush()
    session.add_all(ConsentCategory(consent_id=consent.id, category=c) for c in data.categories)
    session.add_all(ConsentDomain(consent_id=consent.id, life_domain=d) for d in data.life_domains)
    _record(session, actor, EventType.CONSENT_GIVEN, consent)
    note(session, members=[giver.id])
    session.flush()
    return consent


def withdraw_consent(
    session: Session, actor: Actor, consent: Consent, data: ConsentWithdraw
) -> Consent:
    """Withdraw it as of now; the consent itself stays as history."""
    now = utcnow()
    if consent.withdrawn_at is not None or not repository.withdraw(
        session, consent.id, at=now, by=actor.sub, reason=data.reason
    ):
        raise Conflict("This consent has already been withdrawn.")
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_reason = (
        now,
        actor.sub,
        data.reason,
    )
    _record(session, actor, EventType.CONSENT_WITHDRAWN, consent)
    session.flush()
    return consent


def reads(session: Session, actor: Actor, consents: Sequence[Consent]) -> list[ConsentRead]:
    ids = [consent.id for consent in consents]
    categories: dict[uuid.UUID, list[str]] = defaultdict(list)
    for row in repository.categories(session, actor, ids):
        categories[row.consent_id].append(row.category)
    domains: dict[uuid.UUID, list[str]] = defaultdict(list)
    for domain in repository.domains(session, actor, ids):
        domains[domain.consent_id].append(domain.life_domain)
    today = clock.today()
    return [
        ConsentRead.model_validate(
            {
                **consent.model_dump(),
                "categories": categories[consent.id],
                "life_domains": domains[consent.id],
                "status": consent.status_on(today),
            }
        )
        for consent in consents
    ]
