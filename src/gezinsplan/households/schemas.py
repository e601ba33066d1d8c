"""Request and response bodies for households."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import (
    ClosingReasonCode,
    ClosingReasonRead,
    HouseholdStatusRead,
    PlanStatusRead,
    ReferralSourceCode,
)
from gezinsplan.kit.schemas import ApiModel, MunicipalityCode, Name, RequestModel


class HouseholdCreate(RequestModel):
    municipality_code: MunicipalityCode = Field(
        description="CBS gemeentecode of the municipality the household belongs to.",
        examples=["0193"],
    )
    name: Name = Field(
        description="How the family is known in the file.", examples=["Gezin Jansen"]
    )
    referral_source: ReferralSourceCode = Field(
        description=(
            "Who or what brought the household (codelist `referral-sources`, aligned with the "
            "CBS verwijzer codes); the inflow by referral source."
        ),
        examples=["general_practitioner"],
    )


class HouseholdUpdate(RequestModel):
    name: Name = Field(examples=["Gezin Jansen-de Vries"])


class HouseholdClose(RequestModel):
    closing_reason: ClosingReasonCode = Field(
        description="Why the file is closed; counts as outflow.", examples=["goals_achieved"]
    )


class HouseholdReopen(RequestModel):
    referral_source: ReferralSourceCode = Field(
        description="Who or what brought the household back; starts a new episode.",
        examples=["self"],
    )


class HouseholdRead(ApiModel):
    id: uuid.UUID
    municipality_code: str = Field(examples=["0193"])
    name: str = Field(examples=["Gezin Jansen"])
    status: HouseholdStatusRead
    closing_reason: ClosingReasonRead | None
    opened_at: datetime
    closed_at: datetime | None
    version: int = Field(description="Rises with every change; the ETag carries it too.")
    created_at: datetime
    updated_at: datetime


class ListedRegisseur(ApiModel):
    professional_sub: str
    professional_name: str | None = Field(examples=["Jeroen de Vries"])
    organization_id: uuid.UUID


class HouseholdSummary(HouseholdRead):
    """A household in the list, with what a caseload screen shows beside it."""

    regisseur: ListedRegisseur | None = Field(
        description="The active regisseur; null when there is none or the caller may not "
        "see who works on the household."
    )
    plan_status: PlanStatusRead | None = Field(
        description="The plan's status; null unless the caller may read the plan."
    )
