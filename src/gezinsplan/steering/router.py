"""HTTP endpoints for steering information: the catalogue and one indicator's figures."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from gezinsplan.access.dependencies import DirectoryReader
from gezinsplan.db import DbSession
from gezinsplan.errors import NotAcceptable
from gezinsplan.kit.responses import ProblemDetails, problems
from gezinsplan.kit.schemas import MunicipalityCode
from gezinsplan.steering import formats, service
from gezinsplan.steering.catalogue import INDICATORS
from gezinsplan.steering.dependencies import FiguresReader
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

MeasureParam = Annotated[
    str | None,
    Query(
        alias="measure",
        max_length=40,
        description=(
            "For image/svg+xml: the measure to chart (a total, not a breakdown); none: the "
            "indicator's first measure. Other formats show every measure."
        ),
    ),
]
AcceptHeader = Annotated[str | None, Header(alias="Accept", include_in_schema=False)]

TEXT = {"schema": {"type": "string"}}
FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The report as JSON (the default, also for */*); as text/csv one row per figure "
            "with a header row, an empty value and the reason where hidden; as image/svg+xml "
            "a line chart of one measure per period, hidden figures as gaps."
        ),
        "content": {formats.CSV: TEXT, formats.SVG: TEXT},
        "headers": {
            "Content-Disposition": {
                "description": 'For text/csv: attachment; filename="<indicator>-<periods>.csv".',
                "schema": {"type": "string"},
            }
        },
    },
    406: {
        "model": ProblemDetails,
        "description": "Accept names none of application/json, text/csv and image/svg+xml.",
        "content": {"application/problem+json": {}},
    },
}


@router.get("", summary="List the indicators", responses=problems(401, 403))
def list_indicators(_actor: DirectoryReader) -> IndicatorIndex:
    """Every indicator with its fixed definition, breakdowns, periods and disclosure rule."""
    return IndicatorIndex(
        items=[IndicatorRead.model_validate(each, from_attributes=True) for each in INDICATORS]
    )


@router.get(
    "/{indicator_id}",
    summary="Read an indicator",
    response_model=IndicatorReport,
    responses=problems(401, 403, 404) | FORMATS,
)
def read_indicator(
    reader: FiguresReader,
    session: DbSession,
    response: Response,
    municipalities: Municipalities = [],  # noqa: B006 - FastAPI copies the default
    period: PeriodParam = None,
    by: By = None,
    measure: MeasureParam = None,
    accept: AcceptHeader = None,
) -> IndicatorReport | Response:
    """The indicator's figures per period, for each municipality and all together, after
    disclosure control. Never a household, a member or a free text. JSON, CSV or an SVG chart,
    as Accept asks."""
    actor, indicator = reader
    media_type = formats.negotiate(accept)
    if media_type is None:
        raise NotAcceptable(
            f"This report is available as {', '.join(formats.OFFERED)}.",
            headers={"Vary": "Accept"},
        )
    found = service.report(
        session, actor, indicator, municipalities=municipalities, period=period, by=by
    )
    report = _report(found)
    if media_type == formats.CSV:
        disposition = f'attachment; filename="{formats.csv_filename(report)}"'
        return Response(
            formats.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition, "Vary": "Accept"},
        )
    if media_type == formats.SVG:
        charted = formats.headline(report, measure)
        title = f"{indicator.name_nl}: {charted}"
        return Response(
            formats.to_svg(report, charted, title),
            media_type=formats.SVG,
            headers={"Vary": "Accept"},
        )
    response.headers["Vary"] = "Accept"
    return report


def _report(found: service.Report) -> IndicatorReport:
    return IndicatorReport(
        indicator=found.indicator.id,
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
