"""HTTP endpoints of the family's rights requests: filing, the privacy officer's worklist,
the one extension and the decision."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from gezinsplan.access.dependencies import (
    HouseholdReader,
    RequestDecider,
    RequestFiler,
    RightsOfficer,
    readable,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note
from gezinsplan.auth.actor import Actor
from gezinsplan.codelists.fields import RightsRequestStatus
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorText,
    PageRequest,
    PageSize,
    next_cursor,
    page_request,
)
from gezinsplan.kit.responses import LOCATION_HEADER, WRITE, problems
from gezinsplan.rights.models import RequestStatus, RightsRequest
from gezinsplan.rights.requests import repository, service
from gezinsplan.rights.requests.schemas import (
    RequestDecision,
    RequestExtension,
    RightsRequestCreate,
    RightsRequestList,
    RightsRequestRead,
)

router = APIRouter(tags=["rights"])
HOUSEHOLD = "/households/{household_id}/rights-requests"

LogHousehold = Annotated[Household, readable(Scope.ACCESS_LOG)]
RequestId = Annotated[uuid.UUID, Path(description="The rights request's id.")]


@router.post(
    HOUSEHOLD,
    status_code=status.HTTP_201_CREATED,
    summary="File a rights request",
    responses={201: {"headers": LOCATION_HEADER}, **problems(*WRITE, 403, 404)},
)
def file_request(
    request: Request,
    data: RightsRequestCreate,
    household: RequestFiler,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> RightsRequestRead:
    """A resident asks for access to, rectification, erasure or restriction of, or objects
    to the processing of, their household's data. It is due one month after today (AVG art.
    12(3)); the erasure of a file that held youth care, three months (Jeugdwet art. 7.3.9).
    No event is published: that the family invoked its rights is its own business."""
    filed = service.file_request(session, actor, household, data, request.app.state.settings)
    response.headers["Location"] = f"/api/v1{HOUSEHOLD}/{filed.id}".format(
        household_id=household.id
    )
    return service.reads([filed])[0]


@router.get(HOUSEHOLD, summary="The household's rights requests", responses=problems(401, 404))
def list_requests(
    household: LogHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> RightsRequestList:
    """For the family and the privacy officer of its municipality, oldest first."""
    rows = repository.of_household(session, actor, household.id, page)
    return RightsRequestList(
        items=service.reads(rows[: page.limit]), next_cursor=next_cursor(rows, page)
    )


def _handled(
    session: DbSession, actor: Actor, household: Household, request_id: uuid.UUID
) -> RightsRequest:
    """The request, looked up after the body validated, so an existing id of another
    household and a random one get the same answer."""
    note(session, action=AuditAction.UPDATE)
    found = repository.get(session, actor, household.id, request_id)
    if found is None:
        raise NotFound("Rights request not found.")
    return found


@router.post(
    f"{HOUSEHOLD}/{{request_id}}/extension",
    summary="Extend a rights request's term",
    responses=problems(*WRITE, 403, 404, 409),
)
def extend_request(
    household: RequestDecider,
    request_id: RequestId,
    actor: HouseholdReader,
    session: DbSession,
    data: RequestExtension,
) -> RightsRequestRead:
    """The privacy officer extends the term once, by one or two months, with a reason
    (AVG art. 12(3)); the due date moves with it. A second extension is a 409."""
    found = _handled(session, actor, household, request_id)
    return service.reads([service.extend_request(session, actor, found, data)])[0]


@router.post(
    f"{HOUSEHOLD}/{{request_id}}/decision",
    summary="Decide a rights request",
    responses=problems(*WRITE, 403, 404, 409),
)
def decide_request(
    household: RequestDecider,
    request_id: RequestId,
    actor: HouseholdReader,
    session: DbSession,
    data: RequestDecision,
) -> RightsRequestRead:
    """The privacy officer decides it once, with the outcome and a reason; who and when are
    kept. Deciding a decided request is a 409."""
    found = _handled(session, actor, household, request_id)
    return service.reads([service.decide_request(session, actor, found, data)])[0]


@router.get(
    "/rights-requests",
    summary="The privacy officer's worklist of rights requests",
    responses=problems(401, 403, 422),
)
def worklist(
    actor: RightsOfficer,
    session: DbSession,
    status: Annotated[
        RightsRequestStatus | None, Query(description="Only requests in this status.")
    ] = None,
    overdue: Annotated[bool, Query(description="Only open requests due before today.")] = False,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: CursorText = None,
) -> RightsRequestList:
    """The requests of the households of the caller's municipalities: open ones first,
    soonest due first, each with its due date, whether it is overdue and the days left."""
    decided = None if status is None else status == RequestStatus.DECIDED
    return service.worklist(
        session, actor, decided=decided, overdue=overdue, limit=limit, cursor=cursor
    )
