"""Request and response bodies for consents."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from gezinsplan.codelists.fields import (
    ConsentCategory,
    ConsentCategoryRead,
    ConsentStatusRead,
    LifeDomain,
    LifeDomainRead,
)
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, RequestModel
from gezinsplan.plans.schemas import PlanDate

Purpose = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=TEXT_PATTERN),
]


class ConsentCreate(RequestModel):
    grantee_organization_id: uuid.UUID = Field(description="The organization that may see.")
    categories: list[ConsentCategory] = Field(
        min_length=1, max_length=10, examples=[["basic", "plan"]]
    )
    life_domains: list[LifeDomain] = Field(
        default_factory=list,
        max_length=30,
        description="Limits the consent to these life domains; empty for every domain.",
        examples=[["finances", "parenting"]],
    )
    purpose: Purpose = Field(examples=["Schuldhulpverlening binnen het gezinsplan."])
    valid_from: PlanDate = Field(examples=["2026-11-23"])
    valid_until: PlanDate | None = Field(None, examples=["2027-11-23"])
    given_by_member_id: uuid.UUID = Field(
        description="The member who gave it: an adult of the household, or a guardian."
    )

    @model_validator(mode="after")
    def _coherent(self) -> "ConsentCreate":
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("each category at most once")
        if len(set(self.life_domains)) != len(self.life_domains):
            raise ValueError("each life domain at most once")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("validUntil must not be before validFrom")
        return self


class ConsentWithdraw(RequestModel):
    reason: Purpose | None = Field(None, examples=["Het gezin wil dit niet meer delen."])


class ConsentRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    grantee_organization_id: uuid.UUID
    categories: list[ConsentCategoryRead]
    life_domains: list[LifeDomainRead] = Field(description="Empty: every life domain.")
    purpose: str
    valid_from: date
    valid_until: date | None
    given_by_member_id: uuid.UUID
    status: ConsentStatusRead = Field(description="Today's status, from dates and withdrawal.")
    recorded_by: str = Field(description="`sub` of who recorded it.")
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    created_at: datetime
