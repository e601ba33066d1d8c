"""Request and response bodies for organizations."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from gezinsplan.codelists.fields import OrganizationKindCode, OrganizationKindRead
from gezinsplan.kit.schemas import ApiModel, MunicipalityCode, Name, RequestModel
from gezinsplan.organizations.models import OrganizationKind

AgbCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
KvkNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]


class OrganizationCreate(RequestModel):
    kind: OrganizationKindCode = Field(examples=["access_team"])
    name: Name = Field(examples=["Wijkteam Zwolle"])
    municipality_code: MunicipalityCode | None = Field(
        None, description="Required for a municipality (CBS gemeentecode), otherwise absent."
    )
    agb_code: AgbCode | None = Field(
        None, description="Required for a care provider (AGB code, 8 digits)."
    )
    kvk_number: KvkNumber | None = Field(None, description="Chamber of Commerce number.")
    served_municipalities: list[MunicipalityCode] = Field(
        default_factory=list,
        max_length=50,
        description="For an access team: the municipalities it serves.",
        examples=[["0193", "0148"]],
    )

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> "OrganizationCreate":
        if (self.kind == OrganizationKind.MUNICIPALITY) != (self.municipality_code is not None):
            raise ValueError("municipalityCode is required for, and only for, a municipality")
        if (self.kind == OrganizationKind.CARE_PROVIDER) != (self.agb_code is not None):
            raise ValueError("agbCode is required for, and only for, a care provider")
        if self.served_municipalities and self.kind != OrganizationKind.ACCESS_TEAM:
            raise ValueError("servedMunicipalities is only for an access team")
        return self


class OrganizationRead(ApiModel):
    id: uuid.UUID
    kind: OrganizationKindRead
    name: str
    municipality_code: str | None
    agb_code: str | None
    kvk_number: str | None
    served_municipalities: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
