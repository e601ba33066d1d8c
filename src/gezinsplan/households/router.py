"""HTTP endpoints for households; thin: parse, depend on access, call the service."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from gezinsplan.access.dependencies import (
    EditableHousehold,
    HouseholdReader,
    Listing,
    VisibleHousehold,
)
from gezinsplan.audit.trail import show
from gezinsplan.codelists.fields import HouseholdStatusCode
from gezinsplan.db import DbSession, in_one_hop
from gezinsplan.households import repository, service
from gezinsplan.households.schemas import (
    HouseholdClose,
    HouseholdCreate,
    HouseholdRead,
    HouseholdReopen,
    HouseholdSummary,
    HouseholdUpdate,
)
from gezinsplan.kit.etags import IfMatchOptional, IfMatchRequired, set_etag
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import ETAG_HEADER, LOCATION_HEADER, WRITE, problems
from gezinsplan.kit.schemas import MunicipalityCode, SearchText

router = APIRouter(prefix="/households", tags=["households"])


def _single(response: Response, household: object) -> HouseholdRead:
    read = HouseholdRead.model_validate(household)
    set_etag(response, read.version)
    return read


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Open a household",
    responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **problems(*WRITE, 403)},
)
def open_household(
    data: HouseholdCreate, actor: HouseholdReader, session: DbSession, response: Response
) -> HouseholdRead:
    """Open a household file in one of the caller's municipalities; counts as inflow."""
    household = service.open_household(session, actor, data)
    response.headers["Location"] = f"/api/v1/households/{household.id}"
    return _single(response, household)


@router.get("", summary="List households", responses=problems(401))
async def list_households(
    entry: Listing,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    municipality: Annotated[MunicipalityCode | None, Query(description="CBS gemeentecode.")] = None,
    status_: Annotated[HouseholdStatusCode | None, Query(alias="status")] = None,
    q: Annotated[
        SearchText | None,
        Query(
            description=(
                "Words that begin words of the household's name or of one member's names, "
                "e.g. `jan bak` finds Jan Jansen-Bakker."
            )
        ),
    ] = None,
    regisseur: Annotated[
        Literal["me"] | None,
        Query(description="`me`: only the households the caller is the regisseur of."),
    ] = None,
) -> Page[HouseholdSummary]:
    """The households the caller may see, oldest first, filtered and paginated; each with
    its active regisseur (when the caller may see who works on it) and its plan's status
    (when the caller may read the plan), so a caseload screen is one call."""

    def listed(session: Session) -> Page[HouseholdSummary]:
        rows = repository.list_visible(
            session,
            entry.record(session),
            page,
            municipality=municipality,
            status=status_,
            search=q,
            own_caseload=regisseur == "me",
        )
        show(session, (row.id for row in rows[: page.limit]))
        return Page[HouseholdSummary](
            items=[_summary(row) for row in rows[: page.limit]],
            next_cursor=next_cursor(rows, page),
        )

    # A list screen's hot read: its rule, statements and commit in one thread hop.
    return await in_one_hop(request, listed)


def _summary(row: repository.HouseholdListRow) -> HouseholdSummary:
    return HouseholdSummary.model_validate(
        row.household | {"regisseur": row.regisseur, "plan_status": row.plan_status}
    )


@router.get(
    "/{household_id}",
    summary="Read a household",
    responses={200: {"headers": ETAG_HEADER}, **problems(401, 404)},
)
def read_household(household: VisibleHousehold, response: Response) -> HouseholdRead:
    return _single(response, household)


@router.patch(
    "/{household_id}",
    summary="Change a household",
    responses={200: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 412, 428)},
)
def update_household(
    data: HouseholdUpdate,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> HouseholdRead:
    expected = if_match.version()
    return _single(response, service.update_household(session, actor, household, data, expected))


@router.post(
    "/{household_id}/close",
    summary="Close a household",
    responses={200: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 409, 412)},
)
def close_household(
    data: HouseholdClose,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchOptional,
) -> HouseholdRead:
    """Close the file with a reason; counts as outflow. Ends every role assignment (the
    regisseur's and the care providers', who lose their access with it) and closes the plan.
    If-Match is honoured when sent."""
    expected = if_match.version()
    closed = service.close_household(session, actor, household, data.closing_reason, expected)
    return _single(response, closed)


@router.post(
    "/{household_id}/reopen",
    summary="Reopen a household",
    responses={200: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 409, 412)},
)
def reopen_household(
    data: HouseholdReopen,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchOptional,
) -> HouseholdRead:
    """Reopen a closed file as a new episode, without a regisseur until one is assigned;
    counts as inflow. Refused while a member is in another open household."""
    expected = if_match.version()
    reopened = service.reopen_household(session, actor, household, data.referral_source, expected)
    return _single(response, reopened)
