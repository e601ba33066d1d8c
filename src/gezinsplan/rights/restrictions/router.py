"""HTTP endpoints of restrictions of processing (AVG art. 18): placing, listing, lifting."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from gezinsplan.access.dependencies import HouseholdReader, RestrictionOfficer, RestrictionReader
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.kit.pagination import PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import LOCATION_HEADER, WRITE, problems
from gezinsplan.rights.restrictions import repository, service
from gezinsplan.rights.restrictions.schemas import (
    RestrictionCreate,
    RestrictionLift,
    RestrictionList,
    RestrictionRead,
)

router = APIRouter(tags=["rights"])
HOUSEHOLD = "/households/{household_id}/restrictions"

RestrictionId = Annotated[uuid.UUID, Path(description="The restriction's id.")]


@router.post(
    HOUSEHOLD,
    status_code=status.HTTP_201_CREATED,
    summary="Restrict the processing of a household's or member's data",
    responses={201: {"headers": LOCATION_HEADER}, **problems(*WRITE, 403, 404, 409, 422)},
)
def place_restriction(
    data: RestrictionCreate,
    household: RestrictionOfficer,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> RestrictionRead:
    """The privacy officer of the household's municipality restricts the processing of the
    whole household's data, or of one member's (AVG art. 18). While it holds, care providers
    and machine clients reach none of it: their reads answer 404 as for data they may not see,
    no change about it reaches their feed or webhooks, and their export leaves it out. The
    data stays stored, and the access team, the regisseur and the family see it as before.
    No event is published."""
    placed = service.place(session, actor, household, data)
    response.headers["Location"] = f"/api/v1{HOUSEHOLD}/{placed.id}".format(
        household_id=household.id
    )
    return service.read(placed)


@router.get(HOUSEHOLD, summary="The household's restrictions", responses=problems(401, 404))
def list_restrictions(
    household: RestrictionReader,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> RestrictionList:
    """For the family, the privacy officer, the access team and the regisseur (whose view of
    restricted data remains), oldest first, lifted ones included."""
    rows = repository.of_household(session, actor, household.id, page)
    return RestrictionList(
        items=[service.read(row) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page),
    )


@router.post(
    f"{HOUSEHOLD}/{{restriction_id}}/lift",
    summary="Lift a restriction of processing",
    responses=problems(*WRITE, 403, 404, 409, 422),
)
def lift_restriction(
    household: RestrictionOfficer,
    restriction_id: RestrictionId,
    actor: HouseholdReader,
    session: DbSession,
    data: RestrictionLift,
) -> RestrictionRead:
    """The privacy officer lifts it once, with a reason and the day the family was told
    beforehand (AVG art. 18(3)); who and when are kept with it. Lifting it again is a 409."""
    found = repository.get(session, actor, household.id, restriction_id)
    if found is None:
        raise NotFound("Restriction not found.")
    return service.read(service.lift(session, actor, found, data))
