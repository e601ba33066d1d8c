"""The access log and the chain check as the API shows them."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import (
    ActorRoleRead,
    AuditActionRead,
    AuditOutcomeRead,
    LegalBasisRead,
)
from gezinsplan.kit.schemas import ApiModel


class AccessActor(ApiModel):
    organization_id: uuid.UUID | None
    organization_name: str | None
    roles: list[ActorRoleRead]
    name: str | None = Field(
        description="The person's name: shown to the privacy officer only, null for others."
    )


class AccessLogEntry(ApiModel):
    """One request on the household's data: who, what, when, why, and how it ended."""

    number: int = Field(description="The audit record's number; entries come in this order.")
    started_at: datetime
    ended_at: datetime
    action: AuditActionRead
    outcome: AuditOutcomeRead
    resource: str = Field(description="The API route, as its template, e.g. /households/{id}/plan")
    resource_id: str | None
    actor: AccessActor
    legal_basis: LegalBasisRead
    legal_basis_id: uuid.UUID | None = Field(
        description="The role assignment or consent the access rested on, when there was one."
    )
    purpose: str | None


class AccessLogPage(ApiModel):
    items: list[AccessLogEntry]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class ChainCheck(ApiModel):
    """The result of walking the whole audit chain."""

    ok: bool
    checked: int = Field(description="Chain entries checked.")
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None = Field(description="The first entry that does not hold.")
    first_bad_record: int | None
    reason: str | None
    unsealed: int = Field(description="Committed records the sealer has not chained yet.")
