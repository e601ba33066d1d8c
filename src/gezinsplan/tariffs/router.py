"""HTTP endpoints for tariffs: the municipal system's sync and reconciliation list.

Tariffs are no personal data; they are read by the system that syncs them, and reach policy
staff only inside the cost figure.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gezinsplan.access.dependencies import TariffSystem
from gezinsplan.db import DbSession
from gezinsplan.kit.pagination import Page, PageRequest, page_request
from gezinsplan.kit.responses import WRITE, problems
from gezinsplan.kit.schemas import MunicipalityCode
from gezinsplan.tariffs import service
from gezinsplan.tariffs.schemas import TariffRead, TariffSync, TariffSyncResult

router = APIRouter(tags=["tariffs"])


@router.put("/tariffs", summary="Sync tariffs", responses=problems(*WRITE, 403))
def sync_tariffs(data: TariffSync, actor: TariffSystem, session: DbSession) -> TariffSyncResult:
    """Upsert up to 10,000 tariffs by municipality, regulation, product category, product code
    and first day of validity, in one transaction.

    Each record is answered on its own, in the order sent: `created`, `updated`, `unchanged`
    or `rejected` with a problem (also when its validity would overlap another tariff of the
    same product). Sending the same batch again answers every record `unchanged`.
    """
    return service.sync(session, actor, data.tariffs)


@router.get("/tariffs", summary="List the system's tariffs", responses=problems(401, 403))
def list_tariffs(
    actor: TariffSystem,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    municipality: Annotated[
        MunicipalityCode | None, Query(description="Only this municipality (one of yours).")
    ] = None,
) -> Page[TariffRead]:
    """The system's own tariffs, in the order they last changed, for reconciliation."""
    items, cursor = service.listed(session, actor, page, municipality=municipality)
    return Page[TariffRead](items=items, next_cursor=cursor)
