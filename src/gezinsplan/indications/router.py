"""HTTP endpoints for indications: the municipal system's sync and reconciliation list, and
the household's indications for those who may read them."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gezinsplan.access.dependencies import HouseholdReader, MunicipalSystem, readable
from gezinsplan.access.scopes import Scope
from gezinsplan.db import DbSession
from gezinsplan.households.models import Household
from gezinsplan.indications import service
from gezinsplan.indications.schemas import (
    IndicationRead,
    IndicationSync,
    IndicationSynced,
    SyncResult,
)
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import WRITE, problems
from gezinsplan.kit.schemas import IsoDateTime, MunicipalityCode

router = APIRouter(tags=["indications"])

ReadableHousehold = Annotated[Household, readable(Scope.INDICATIONS)]


@router.put(
    "/indications",
    summary="Sync indications",
    responses=problems(*WRITE, 403),
)
def sync_indications(
    data: IndicationSync, actor: MunicipalSystem, session: DbSession
) -> SyncResult:
    """Upsert up to 10,000 records by municipality and indication number, in one transaction.

    Each record is answered on its own, in the order sent: `created`, `updated`, `unchanged`
    or `rejected` with a problem. Valid records are stored even when others are rejected;
    sending the same batch again answers every record `unchanged` and changes nothing.
    """
    return service.sync(session, actor, data.indications)


@router.get(
    "/indications",
    summary="List the system's indications",
    responses=problems(401, 403),
)
def list_synced_indications(
    actor: MunicipalSystem,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    municipality: Annotated[
        MunicipalityCode | None, Query(description="Only this municipality (one of yours).")
    ] = None,
    changed_since: Annotated[
        IsoDateTime | None,
        Query(
            alias="changedSince",
            description="Only indications changed at or after this time (ISO 8601, with zone).",
        ),
    ] = None,
) -> Page[IndicationSynced]:
    """The system's own indications, in the order they last changed, for reconciliation."""
    items, cursor = service.synced(
        session, actor, page, municipality=municipality, changed_since=changed_since
    )
    return Page[IndicationSynced](items=items, next_cursor=cursor)


@router.get(
    "/households/{household_id}/indications",
    summary="List a household's indications",
    responses=problems(401, 404),
)
def list_household_indications(
    household: ReadableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[IndicationRead]:
    """The decisions linked to the household's members; care providers need the family's
    consent for the `indications` category."""
    rows = service.for_household(session, actor, household.id, page)
    return Page[IndicationRead](
        items=[IndicationRead.model_validate(row) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page),
    )
