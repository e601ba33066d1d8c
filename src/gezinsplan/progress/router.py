"""HTTP endpoints for progress updates: one at a time on a goal, read per household, and the
partner systems' bulk push.

The POSTs answer through ``Idempotency``: the response is serialised once, stored with its
key in the request's transaction, and replayed byte for byte to a resend.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from gezinsplan.access.dependencies import HouseholdReader, ProgressPusher, readable
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.idempotency.dependencies import Idempotency
from gezinsplan.kit.pagination import PageRequest, page_request
from gezinsplan.kit.responses import LOCATION_HEADER, WRITE, problems
from gezinsplan.kit.schemas import IsoDateTime
from gezinsplan.progress import repository, service
from gezinsplan.progress.dependencies import ProgressReporter
from gezinsplan.progress.schemas import (
    ProgressCreate,
    ProgressPage,
    ProgressPush,
    ProgressRead,
    PushResults,
)

router = APIRouter(tags=["progress"])

ProgressHousehold = Annotated[Household, readable(Scope.PROGRESS)]
ProgressId = Annotated[uuid.UUID, Path(description="The progress update's id.")]
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request.",
        "schema": {"type": "string"},
    }
}
Responses = dict[int | str, dict[str, Any]]
IDEMPOTENT = (400, 409)


def _location(household_id: uuid.UUID, update_id: uuid.UUID) -> str:
    return f"/api/v1/households/{household_id}/progress/{update_id}"


@router.post(
    "/households/{household_id}/plan/goals/{goal_id}/progress",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgressRead,
    summary="Report progress on a goal",
    responses={
        201: {"headers": LOCATION_HEADER | REPLAYED_HEADER},
        **problems(*WRITE, *IDEMPOTENT, 404),
    },
)
def report_progress(
    data: ProgressCreate,
    target: ProgressReporter,
    actor: CurrentActor,
    session: DbSession,
    idempotent: Idempotency,
) -> Response:
    """By the care provider the goal is assigned to (its professionals and partner system),
    the regisseur or the access team. Append-only: to correct an update, report again with
    `correctsId`; an update is corrected once (409), so correct the correction."""
    if (replayed := idempotent.replay()) is not None:
        return replayed
    update = service.report(session, actor, target, data)
    return idempotent.respond(
        service.to_read(update),
        status_code=status.HTTP_201_CREATED,
        headers={"Location": _location(update.household_id, update.id)},
    )


@router.get(
    "/households/{household_id}/progress",
    summary="List progress updates",
    responses=problems(401, 404),
)
def list_progress(
    household: ProgressHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    goal: Annotated[uuid.UUID | None, Query(description="Only updates on this goal.")] = None,
    organization: Annotated[
        uuid.UUID | None, Query(description="Only updates this care provider reported.")
    ] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Only updates recorded from this moment on.")
    ] = None,
) -> ProgressPage:
    """Oldest first, corrections included (`corrects`, `correctedBy`); a care provider sees
    them with a `progress` consent, in the life domains it names."""
    rows = repository.list_visible(
        session,
        actor,
        household.id,
        page,
        goal_id=goal,
        organization_id=organization,
        since=since,
    )
    return service.page(session, actor, household, rows, page)


@router.get(
    "/households/{household_id}/progress/{progress_id}",
    summary="Read a progress update",
    responses=problems(401, 404),
)
def read_progress(
    household: ProgressHousehold,
    progress_id: ProgressId,
    actor: HouseholdReader,
    session: DbSession,
) -> ProgressRead:
    row = repository.get_visible(session, actor, household.id, progress_id)
    if row is None:
        raise NotFound("Progress update not found.")
    return service.reads(session, actor, household.id, [row])[0]


@router.post(
    "/progress-updates",
    response_model=PushResults,
    summary="Push progress updates in bulk",
    responses={200: {"headers": REPLAYED_HEADER}, **problems(*WRITE, *IDEMPOTENT, 403)},
)
def push_progress(
    data: ProgressPush, actor: ProgressPusher, session: DbSession, idempotent: Idempotency
) -> Response:
    """Up to 1,000 updates from a partner system, for goals assigned to its organization.

    Answers per item, in order: `created`, `duplicate` (this `externalId` is stored with the
    same content) or `rejected` with a problem. A valid item is stored even when others are
    rejected; an item is never stored in part. An unknown goal, another household's, or one
    not assigned to the organization is rejected alike (404)."""
    if (replayed := idempotent.replay()) is not None:
        return replayed
    results = service.push(session, actor, data.updates)
    return idempotent.respond(results, status_code=status.HTTP_200_OK)
