"""HTTP endpoints for steering information: the catalogue and one indicator's figures."""

from typing import Annotated

from fastapi import APIRouter, Query

from gezinsplan.access.dependencies import DirectoryReader, FiguresReader
from gezinsplan.db import DbSession
from gezinsplan.kit.responses import problems
from gezinsplan.kit.schemas import MunicipalityCode
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import INDICATORS
from gezinsplan.steering.schemas import (
    AreaRead,
    FigureRead,
    IndicatorIndex,
    IndicatorRead,
    IndicatorReport,
    PeriodRead,
)

router = APIRouter(prefix="/indicators", tags=["steering"])

Municipalities = Annotated[
    list[MunicipalityCode],
    Query(
        alias="municipality",
        description="A gemeentecode in the token, repeatable; none: every one in the token.",
        max_length=50,
    ),
]
PeriodParam = Annotated[
    str | None,
    Query(
        alias="period",
        max_length=40,
        description=(
            "A month (2025-07), quarter (2025-Q3), half-year (2025-H1), year (2025) or a "
            "series of one kind (2025-H1..2026-H2, at most 24); none: the current half-year."
        ),
    ),
]
By = Annotated[
    str | None,
    Query(alias="by", max_length=40, description="A breakdown the indicator supports."),
]


@router.get("", summary="List the indicators", responses=problems(401, 403))
def list_indicators(_actor: DirectoryReader) -> IndicatorIndex:
    """Every indicator with its fixed definition, breakdowns, periods and disclosure rule."""
    return IndicatorIndex(
        items=[IndicatorRead.model_validate(each, from_attributes=True) for each in INDICATORS]
    )


@router.get("/{indicator_id}", summary="Read an indicator", responses=problems(401, 403, 404))
def read_indicator(
    reader: FiguresReader,
    session: DbSession,
    municipalities: Municipalities = [],  # noqa: B006 - FastAPI copies the default
    period: PeriodParam = None,
    by: By = None,
) -> IndicatorReport:
    """The indicator's figures per period, for each municipality and all together, after
    disclosure control. Never a household, a member or a free text."""
    actor, indicator = reader
    found = service.report(
        session, actor, indicator, municipalities=municipalities, period=period, by=by
    )
    return IndicatorReport(
        indicator=indicator.id,
        municipalities=found.municipalities,
        by=found.by,
        periods=[
            PeriodRead(
                period=each.period.label,
                kind=each.period.kind,
                first_day=each.period.first_day,
                last_day=each.period.last_day,
                provisional=each.provisional,
                areas=[
                    AreaRead(
                        municipality=area.municipality,
                        figures=[
                            FigureRead(
                                measure=figure.measure,
                                dimension=figure.dimension,
                                group=figure.group,
                                national_code=figure.national_code,
                                kind=figure.kind,
                                value=figure.shown.value,
                                suppressed=figure.shown.suppressed,
                            )
                            for figure in area.figures
                        ],
                    )
                    for area in each.areas
                ],
            )
            for each in found.periods
        ],
    )
