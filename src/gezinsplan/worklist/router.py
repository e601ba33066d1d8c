"""HTTP endpoints for the worklists; thin: parse, depend on access, call the service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from gezinsplan.access.dependencies import AccessTeamLead, Coordinating
from gezinsplan.codelists.fields import WorklistSignalCode
from gezinsplan.db import DbSession, in_one_hop
from gezinsplan.kit.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorText,
    PageRequest,
    PageSize,
    page_request,
)
from gezinsplan.kit.responses import problems
from gezinsplan.worklist import service
from gezinsplan.worklist.schemas import TeamWorklist, Worklist

router = APIRouter(prefix="/worklist", tags=["worklist"])


async def thresholds(request: Request) -> service.Thresholds:
    return service.Thresholds.of(request.app.state.settings)


Thresholds = Annotated[service.Thresholds, Depends(thresholds)]


@router.get("", summary="The regisseur's worklist", responses=problems(401, 403, 422))
async def read_worklist(
    entry: Coordinating,
    request: Request,
    limits: Thresholds,
    signal: Annotated[
        WorklistSignalCode | None,
        Query(description="Only households with this signal (codelist `worklist-signals`)."),
    ] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: CursorText = None,
) -> Worklist:
    def read(session: Session) -> Worklist:
        actor = entry.record(session)
        return service.worklist(session, actor, limits, signal=signal, limit=limit, cursor=cursor)

    # The regisseur's morning read: its rule, statements and commit in one thread hop.
    return await in_one_hop(request, read)


read_worklist.__doc__ = (
    "The open households the caller is the active regisseur of, each with its episode, plan "
    "and what asks for attention (`signals`, codelist `worklist-signals`; thresholds are "
    "settings). " + service.URGENCY
)


@router.get("/team", summary="The access team's worklist", responses=problems(401, 403, 422))
def read_team_worklist(
    actor: AccessTeamLead,
    session: DbSession,
    limits: Thresholds,
    page: Annotated[PageRequest, Depends(page_request)],
) -> TeamWorklist:
    """Open households of the caller's municipalities waiting for a regisseur, longest waiting
    first and paged, and per regisseur of the caller's organization their open households and
    signals, on the households the caller may see."""
    return service.team_worklist(session, actor, limits, page)
