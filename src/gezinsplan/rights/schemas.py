"""The data report: what the service holds about a family and what was done with it."""

import uuid
from datetime import date, datetime

from pydantic import Field

from gezinsplan.codelists.fields import (
    ActorRoleRead,
    AuditActionRead,
    AuditOutcomeRead,
    ConsentCategoryRead,
    DataSourceKindRead,
    LegalBasisRead,
    LifeDomainRead,
    RelationTypeRead,
)
from gezinsplan.kit.schemas import ApiModel
from gezinsplan.rectification.schemas import CorrectionRead
from gezinsplan.rights.restrictions.schemas import RestrictionRead


class MemberData(ApiModel):
    """One member: which kinds of data are held. The values themselves are in the file (and
    its export), each under its own access rule; the report tells what exists."""

    member_id: uuid.UUID
    relation: RelationTypeRead
    held: list[str] = Field(examples=[["name", "birthDate", "bsn", "relation"]])


class Purpose(ApiModel):
    legal_basis: LegalBasisRead = Field(examples=["municipal_task"])
    purpose: str


class Consultation(ApiModel):
    """One request on the household's data: when, by which organization, why."""

    at: datetime
    organization_id: uuid.UUID | None
    organization_name: str | None
    roles: list[ActorRoleRead]
    action: AuditActionRead = Field(examples=["read"])
    outcome: AuditOutcomeRead = Field(examples=["success"])
    what: str = Field(examples=["/households/{household_id}/plan"])
    legal_basis: LegalBasisRead
    purpose: str | None


class Recipient(ApiModel):
    """An organization that read or received the data, by name, with its consultations."""

    organization_id: uuid.UUID | None
    organization_name: str | None
    consultations: int
    first: datetime
    last: datetime
    purposes: list[str]


class ConsentHistory(ApiModel):
    id: uuid.UUID
    grantee_organization_id: uuid.UUID
    grantee_organization_name: str | None
    categories: list[ConsentCategoryRead]
    life_domains: list[LifeDomainRead] = Field(description="Empty: every life domain.")
    purpose: str
    given_by_member_id: uuid.UUID
    given_at: datetime
    valid_from: date
    valid_until: date | None
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class Source(ApiModel):
    """Where data came from: a referral that opened an episode, a municipality's decision."""

    kind: DataSourceKindRead = Field(examples=["referral", "indication"])
    on: date
    description: str


class Retention(ApiModel):
    retention_class: str = Field(examples=["youth_care", "municipal_file"])
    basis: str
    ends_on: date | None = Field(
        description="Null while an episode is open: retention runs from its end."
    )


class DataReport(ApiModel):
    """Art. 15 AVG: the data, its purposes and bases, who received or read it, the consents,
    the sources and how long it is kept. Reading it is recorded in the access log too."""

    household_id: uuid.UUID
    generated_at: datetime
    members: list[MemberData]
    purposes: list[Purpose]
    recipients: list[Recipient]
    consultations: list[Consultation]
    consents: list[ConsentHistory] = Field(
        description="The family's consents with their history; for the family (as "
        "`GET /consents` shows them), not for the privacy officer."
    )
    sources: list[Source]
    retention: Retention
    corrections: list[CorrectionRead] = Field(
        description="Every change to a member's facts, old values included, oldest first "
        "(AVG art. 16)."
    )
    restrictions: list[RestrictionRead] = Field(
        description="Every restriction of processing (AVG art. 18) of the household or a "
        "member, lifted ones with the day the family was told beforehand (art. 18(3))."
    )
