"""Liveness and readiness for orchestrators; no caller needed, no case data."""

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gezinsplan.access.dependencies import Public
from gezinsplan.db import DbSession
from gezinsplan.health import repository
from gezinsplan.kit.responses import problem
from gezinsplan.kit.schemas import ApiModel

router = APIRouter(prefix="/health", tags=["health"], dependencies=[Public])


class Health(ApiModel):
    status: Literal["ok", "unavailable"]


@router.get("/live", summary="Is the process alive", responses={422: problem(422)})
def live() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Can the service reach its database",
    response_model=Health,
    responses={
        422: problem(422),
        503: {"model": Health, "description": "The database is unreachable."},
    },
)
def ready(session: DbSession) -> Health | JSONResponse:
    if repository.database_reachable(session):
        return Health(status="ok")
    return JSONResponse({"status": "unavailable"}, status_code=503)
