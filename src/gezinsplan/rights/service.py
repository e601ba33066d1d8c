"""Assembling the data report from the file and its access log."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from gezinsplan.audit import repository as audit_log
from gezinsplan.auth.actor import Actor
from gezinsplan.config import Settings
from gezinsplan.households.models import Household
from gezinsplan.kit.clock import utcnow
from gezinsplan.members.models import Member
from gezinsplan.rectification import service as rectification
from gezinsplan.rights import repository
from gezinsplan.rights.restrictions import repository as restrictions
from gezinsplan.rights.restrictions import service as restriction_service
from gezinsplan.rights.retention import retention_of
from gezinsplan.rights.schemas import (
    ConsentHistory,
    Consultation,
    DataReport,
    MemberData,
    Purpose,
    Recipient,
    Source,
)

PAGE = 500


def data_report(
    session: Session, actor: Actor, household: Household, settings: Settings
) -> DataReport:
    episodes = repository.episodes(session, actor, household.id)
    indications = repository.indications(session, actor, household.id)
    consultations = _consultations(session, actor, household)
    consents = _consents(session, actor, household)
    purposes = {(c.legal_basis, c.purpose) for c in consultations if c.purpose}
    purposes |= {("consent", c.purpose) for c in consents}
    return DataReport(
        household_id=household.id,
        generated_at=utcnow(),
        members=[_member(m) for m in repository.members(session, actor, household.id)],
        purposes=[Purpose(legal_basis=b, purpose=p) for b, p in sorted(purposes)],
        recipients=_recipients(consultations),
        consultations=consultations,
        consents=consents,
        sources=[
            *(
                Source(
                    kind="referral",
                    on=e.opened_at.date(),
                    description=f"Episode opened; referral source: {e.referral_source}.",
                )
                for e in episodes
            ),
            *(
                Source(
                    kind="indication",
                    on=i.decision_date,
                    description=f"A {i.regulation} decision of municipality "
                    f"{i.municipality_code}, from its municipal system.",
                )
                for i in indications
            ),
        ],
        retention=retention_of(episodes, indications, settings.retention_municipal_years),
        corrections=rectification.household_history(session, actor, household),
        restrictions=[
            restriction_service.read(r)
            for r in restrictions.all_of_household(session, actor, household.id)
        ],
    )


def _member(member: Member) -> MemberData:
    held = ["name", "birthDate", "relation"]
    held += ["bsn"] if member.bsn else []
    held += ["guardian"] if member.is_guardian else []
    return MemberData(member_id=member.id, relation=member.relation, held=held)


def _consultations(session: Session, actor: Actor, household: Household) -> list[Consultation]:
    """Every record of the household's access log, its own and those that showed it."""
    found: list[Consultation] = []
    after = None
    while True:
        rows = audit_log.access_log(
            session, actor, household.id, since=None, until=None, after=after, limit=PAGE
        )
        found += [_consultation(record, name) for record, name in rows[:PAGE]]
        if len(rows) <= PAGE:
            return found
        after = rows[PAGE - 1][0].number


def _consultation(record: Any, organization_name: str | None) -> Consultation:
    return Consultation(
        at=record.started_at,
        organization_id=record.actor_organization_id,
        organization_name=organization_name,
        roles=[role for role in record.actor_roles.split(",") if role],
        action=record.action,
        outcome=record.outcome,
        what=record.resource,
        legal_basis=record.legal_basis,
        purpose=record.purpose,
    )


def _recipients(consultations: Sequence[Consultation]) -> list[Recipient]:
    by_organization: dict[Any, list[Consultation]] = defaultdict(list)
    for consultation in consultations:
        if consultation.organization_id is not None and consultation.outcome == "success":
            key = (consultation.organization_id, consultation.organization_name)
            by_organization[key].append(consultation)
    return [
        Recipient(
            organization_id=organization_id,
            organization_name=name,
            consultations=len(seen),
            first=min(c.at for c in seen),
            last=max(c.at for c in seen),
            purposes=sorted({c.purpose for c in seen if c.purpose}),
        )
        for (organization_id, name), seen in sorted(
            by_organization.items(), key=lambda item: str(item[0][1])
        )
    ]


def _consents(session: Session, actor: Actor, household: Household) -> list[ConsentHistory]:
    categories, domains = repository.consent_terms(session, actor, household.id)
    named: dict[Any, list[str]] = defaultdict(list)
    limited: dict[Any, list[str]] = defaultdict(list)
    for category in categories:
        named[category.consent_id].append(category.category)
    for domain in domains:
        limited[domain.consent_id].append(domain.life_domain)
    return [
        ConsentHistory(
            id=consent.id,
            grantee_organization_id=consent.grantee_organization_id,
            grantee_organization_name=name,
            categories=sorted(named[consent.id]),
            life_domains=sorted(limited[consent.id]),
            purpose=consent.purpose,
            given_by_member_id=consent.given_by_member_id,
            given_at=consent.created_at,
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
            withdrawn_at=consent.withdrawn_at,
            withdrawal_reason=consent.withdrawal_reason,
        )
        for consent, name in repository.consents(session, actor, household.id)
    ]
