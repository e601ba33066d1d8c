"""HTTP endpoints of the family's rights: the data report."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from gezinsplan.access.dependencies import HouseholdReader, readable
from gezinsplan.access.scopes import Scope
from gezinsplan.db import DbSession
from gezinsplan.errors import NotAcceptable
from gezinsplan.households.models import Household
from gezinsplan.kit import media
from gezinsplan.kit.responses import ProblemDetails, problems
from gezinsplan.rights import html, service
from gezinsplan.rights.schemas import DataReport

router = APIRouter(prefix="/households/{household_id}", tags=["rights"])

ReportHousehold = Annotated[Household, readable(Scope.ACCESS_LOG)]
AcceptHeader = Annotated[str | None, Header(alias="Accept", include_in_schema=False)]
JSON, HTML = "application/json", "text/html"
FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON (the default), or as text/html: a printable page "
        "with no script and nothing loaded from elsewhere.",
        "content": {HTML: {"schema": {"type": "string"}}},
    },
    406: {
        "model": ProblemDetails,
        "description": "Accept names neither application/json nor text/html.",
        "content": {"application/problem+json": {}},
    },
}


@router.get(
    "/data-report",
    summary="What was done with the family's data",
    response_model=DataReport,
    responses=problems(401, 404) | FORMATS,
)
def read_data_report(
    request: Request,
    household: ReportHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    accept: AcceptHeader = None,
) -> DataReport | Response:
    """For a resident of the household and the privacy officer (AVG art. 15): the data held
    per member, the purposes and legal bases, every organization that read or received it
    with the date and purpose of each consultation (lists and searches that showed the
    household included), the consents with their history, the sources, and how long the
    file is kept. Reading it is recorded in the access log like every read."""
    media_type = media.negotiate(accept, (JSON, HTML))
    if media_type is None:
        raise NotAcceptable(
            "The data report is available as application/json and text/html.",
            headers={"Vary": "Accept"},
        )
    report = service.data_report(session, actor, household, request.app.state.settings)
    if media_type == HTML:
        return Response(
            html.render(report),
            media_type="text/html; charset=utf-8",
            headers={
                "Vary": "Accept",
                "Content-Security-Policy": html.CONTENT_SECURITY_POLICY,
            },
        )
    response.headers["Vary"] = "Accept"
    return report
