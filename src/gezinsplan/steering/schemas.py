"""The API's view of the indicator catalogue and of a report: aggregates only."""

from datetime import date

from pydantic import Field

from gezinsplan.codelists.fields import (
    BreakdownRead,
    FigureKindRead,
    PeriodKindRead,
    SuppressionRead,
)
from gezinsplan.kit.schemas import ApiModel


class IndicatorRead(ApiModel):
    id: str = Field(examples=["inflow"])
    name_nl: str
    name_en: str
    definition: str
    numerator: str
    denominator: str | None
    breakdowns: list[BreakdownRead] = Field(
        description="The values `by` takes; municipality is always shown side by side."
    )
    periods: list[PeriodKindRead]
    disclosure: str = Field(description="The disclosure control every published figure passes.")
    national_source: str | None = Field(
        description="The national statistic the indicator is aligned with, where there is one."
    )


class IndicatorIndex(ApiModel):
    items: list[IndicatorRead]


class FigureRead(ApiModel):
    measure: str = Field(examples=["inflow", "repeat", "dropoutShare", "closedMedianDays"])
    dimension: str | None = Field(
        description="What the figure is broken down by; null for the measure's total.",
        examples=["referralSource", "reasonOfEnding", "closingReason", "durationDays"],
    )
    group: str | None = Field(description="The category within the dimension.", examples=["03"])
    national_code: str | None = Field(
        description="The category's code in the national list (CBS BIJ), where it has one."
    )
    kind: FigureKindRead = Field(examples=["count", "share", "mean", "median", "rate", "sum"])
    value: int | float | None = Field(
        description="Counts are multiples of 5; null when the figure is suppressed."
    )
    suppressed: SuppressionRead | None = Field(description="Why the value is null, if it is.")


class AreaRead(ApiModel):
    municipality: str | None = Field(
        description="The gemeentecode; null for all the report's municipalities together."
    )
    figures: list[FigureRead]


class PeriodRead(ApiModel):
    period: str = Field(examples=["2025-H1"])
    kind: PeriodKindRead
    first_day: date
    last_day: date
    provisional: bool = Field(description="True while the period has not fully passed.")
    areas: list[AreaRead]


class IndicatorReport(ApiModel):
    indicator: str
    municipalities: list[str]
    by: BreakdownRead | None
    periods: list[PeriodRead]
