"""Request and response bodies for households."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import ClosingReasonCode, ClosingReasonRead, HouseholdStatusRead
from gezinsplan.kit.schemas import ApiModel, MunicipalityCode, Name, RequestModel


class HouseholdCreate(RequestModel):
    municipality_code: MunicipalityCode = Field(
        description="CBS gemeentecode of the municipality the household belongs to.",
        examples=["0193"],
    )
    name: Name = Field(
        description="How the family is known in the file.", examples=["Gezin Jansen"]
    )


class HouseholdUpdate(RequestModel):
    name: Name = Field(examples=["Gezin Jansen-de Vries"])


class HouseholdClose(RequestModel):
    closing_reason: ClosingReasonCode = Field(
        description="Why the file is closed; counts as outflow.", examples=["goals_achieved"]
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
