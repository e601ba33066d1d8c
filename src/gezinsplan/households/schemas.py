"""Request and response bodies for households."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import (
    ClosingReasonCode,
    ClosingReasonRead,
    HouseholdStatusRead,
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
