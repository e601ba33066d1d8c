"""Request and response bodies for indications.

A sync carries up to 10,000 records, each validated on its own (``IndicationRecord``), so one
bad record is answered as rejected instead of failing the request.
"""

import uuid
from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Any

from pydantic import Field, SkipValidation, StringConstraints, model_validator

from gezinsplan.codelists import registry
from gezinsplan.codelists.fields import (
    InCodelist,
    IndicationChangeReason,
    IndicationChangeReasonRead,
    IndicationFrequency,
    IndicationFrequencyRead,
    IndicationStatusCode,
    IndicationStatusRead,
    IndicationUnit,
    IndicationUnitRead,
    ProductCategory,
    ProductCategoryRead,
    Regulation,
    RegulationRead,
)
from gezinsplan.indications.models import Regulation as RegulationCode
from gezinsplan.kit import clock
from gezinsplan.kit.responses import ProblemDetails
from gezinsplan.kit.schemas import ApiModel, IsoDate, MunicipalityCode, RequestModel
from gezinsplan.members.schemas import Bsn
from gezinsplan.organizations.schemas import AgbCode

MAX_RECORDS = 10_000

# The product category list each regulation takes its codes from.
CATEGORY_LIST = {
    RegulationCode.JEUGDWET: "ijw-product-categories",
    RegulationCode.WMO: "iwmo-product-categories",
}

IndicationNumber = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,40}$", min_length=1, max_length=40)
]
ProductCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9]{1,5}$"),
    Field(description="The municipality's product code (at most 5 letters or digits)."),
]


class IndicationRecord(RequestModel):
    """One assignment as the municipal system holds it (iJw / iWmo toewijzing)."""

    municipality_code: MunicipalityCode = Field(examples=["0193"])
    indication_number: IndicationNumber = Field(
        description="The municipal system's own number; with the municipality, the key.",
        examples=["TW-2026-000123"],
    )
    regulation: Regulation = Field(examples=["jeugdwet"])
    bsn: Bsn = Field(examples=["999990019"])
    product_category: ProductCategory = Field(
        description="From ijw-product-categories (jeugdwet) or iwmo-product-categories (wmo).",
        examples=["45"],
    )
    product_code: ProductCode | None = Field(None, examples=["45A10"])
    volume: int | None = Field(None, ge=0, le=99_999_999, examples=[4])
    unit: IndicationUnit | None = Field(None, examples=["04"])
    frequency: IndicationFrequency | None = Field(None, examples=["2"])
    provider_agb: AgbCode = Field(description="The provider's AGB code.", examples=["41000001"])
    start_date: IsoDate = Field(examples=["2026-01-01"])
    end_date: IsoDate | None = Field(None, examples=["2026-12-31"])
    decision_date: IsoDate = Field(examples=["2025-12-15"])
    change_reason: IndicationChangeReason | None = Field(None, examples=["04"])
    status: IndicationStatusCode = Field(examples=["active"])

    @model_validator(mode="after")
    def _consistent(self) -> "IndicationRecord":
        category_list = CATEGORY_LIST[RegulationCode(self.regulation)]
        if not registry.get(category_list).is_valid(self.product_category, clock.today()):
            raise ValueError(
                f"productCategory {self.product_category!r} is not a code of {category_list}, "
                f"the list of regulation {self.regulation}"
            )
        if len({self.volume is None, self.unit is None, self.frequency is None}) != 1:
            raise ValueError("volume, unit and frequency go together: send all three or none")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("endDate lies before startDate")
        return self


class IndicationSync(RequestModel):
    """A batch of records; each is validated and answered on its own."""

    indications: list[SkipValidation[IndicationRecord]] = Field(
        max_length=MAX_RECORDS,
        description="Up to 10,000 records. An invalid one is answered as rejected; the rest "
        "are stored.",
    )


SyncOutcome = Annotated[str, InCodelist("indication-sync-outcomes", check=False)]


class RecordResult(ApiModel):
    index: int = Field(description="The record's position in the request, from 0.")
    indication_number: str | None
    status: SyncOutcome
    id: uuid.UUID | None = None
    linked: bool = Field(False, description="Whether the indication is linked to a member.")
    problem: ProblemDetails | None = None


class SyncSummary(ApiModel):
    created: int
    updated: int
    unchanged: int
    rejected: int


class SyncResult(ApiModel):
    results: list[RecordResult]
    summary: SyncSummary


class IndicationFields(ApiModel):
    """What the municipal system said about an indication."""

    id: uuid.UUID
    municipality_code: str
    indication_number: str
    regulation: RegulationRead
    product_category: ProductCategoryRead
    product_code: str | None
    volume: int | None
    unit: IndicationUnitRead | None
    frequency: IndicationFrequencyRead | None
    provider_agb: str
    provider_organization_id: uuid.UUID | None = Field(
        description="The registered organization with the provider's AGB code, if any."
    )
    start_date: date
    end_date: date | None
    decision_date: date
    change_reason: IndicationChangeReasonRead | None
    status: IndicationStatusRead
    created_at: datetime
    updated_at: datetime


class IndicationRead(IndicationFields):
    """An indication in the household's file: the member it is linked to, never the BSN."""

    member_id: uuid.UUID | None
    household_id: uuid.UUID | None


class IndicationSynced(IndicationFields):
    """The municipal system's own record, for reconciliation: its BSN, whether it is linked,
    and nothing of the household it is linked into."""

    bsn: str
    linked: bool


def record_problem(detail: str, invalid: list[dict[str, Any]]) -> ProblemDetails:
    return ProblemDetails.model_validate(
        {
            "type": "urn:gezinsplan:problem:validation-error",
            "title": HTTPStatus.UNPROCESSABLE_ENTITY.phrase,
            "status": 422,
            "detail": detail,
            "invalid_params": invalid,
        }
    )
