"""Request and response bodies for tariffs.

A sync carries up to 10,000 records, each validated on its own (``TariffRecord``), so one bad
record is answered as rejected instead of failing the request, as in the indication sync.
"""

import uuid
from datetime import date, datetime

from pydantic import Field, SkipValidation, model_validator

from gezinsplan.codelists import registry
from gezinsplan.codelists.fields import (
    IndicationUnit,
    IndicationUnitRead,
    ProductCategory,
    ProductCategoryRead,
    Regulation,
    RegulationRead,
)
from gezinsplan.indications.models import Regulation as RegulationCode
from gezinsplan.indications.schemas import CATEGORY_LIST, ProductCode, SyncOutcome, SyncSummary
from gezinsplan.kit import clock
from gezinsplan.kit.responses import ProblemDetails
from gezinsplan.kit.schemas import ApiModel, IsoDate, MunicipalityCode, RequestModel

MAX_RECORDS = 10_000
# A million euros per unit: far above any real tariff, well inside an integer column.
MAX_PRICE_CENTS = 100_000_000


class TariffRecord(RequestModel):
    """One tariff as the municipal system holds it: a price per unit for a validity period."""

    municipality_code: MunicipalityCode = Field(examples=["0193"])
    regulation: Regulation = Field(examples=["jeugdwet"])
    product_category: ProductCategory = Field(
        description="From ijw-product-categories (jeugdwet) or iwmo-product-categories (wmo).",
        examples=["45"],
    )
    product_code: ProductCode | None = Field(
        None,
        description="The product the price is for; absent: the category's default tariff, "
        "for indications without a code or with a code that has no tariff of its own.",
        examples=["45A10"],
    )
    unit: IndicationUnit = Field(
        description="The unit the price is per (indication-units); it must be the unit of "
        "the indications it prices.",
        examples=["04"],
    )
    price_cents: int = Field(
        gt=0, le=MAX_PRICE_CENTS, description="Price per unit in euro cents.", examples=[8250]
    )
    valid_from: IsoDate = Field(examples=["2026-01-01"])
    valid_until: IsoDate | None = Field(
        None,
        description="Last day of validity (inclusive); absent: open-ended.",
        examples=["2026-12-31"],
    )

    @model_validator(mode="after")
    def _consistent(self) -> "TariffRecord":
        category_list = CATEGORY_LIST[RegulationCode(self.regulation)]
        if not registry.get(category_list).is_valid(self.product_category, clock.today()):
            raise ValueError(
                f"productCategory {self.product_category!r} is not a code of {category_list}, "
                f"the list of regulation {self.regulation}"
            )
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("validUntil lies before validFrom")
        return self


class TariffSync(RequestModel):
    """A batch of records; each is validated and answered on its own."""

    tariffs: list[SkipValidation[TariffRecord]] = Field(
        max_length=MAX_RECORDS,
        description="Up to 10,000 records. An invalid one is answered as rejected; the rest "
        "are stored.",
    )


class TariffResult(ApiModel):
    index: int = Field(description="The record's position in the request, from 0.")
    status: SyncOutcome
    id: uuid.UUID | None = None
    problem: ProblemDetails | None = None


class TariffSyncResult(ApiModel):
    results: list[TariffResult]
    summary: SyncSummary


class TariffRead(ApiModel):
    """A stored tariff, for reconciliation."""

    id: uuid.UUID
    municipality_code: str
    regulation: RegulationRead
    product_category: ProductCategoryRead
    product_code: str | None = Field(description="Absent: the category's default tariff.")
    unit: IndicationUnitRead
    price_cents: int
    valid_from: date
    valid_until: date | None
    created_at: datetime
    updated_at: datetime
