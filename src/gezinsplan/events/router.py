"""HTTP endpoint of the change feed."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from gezinsplan.access.dependencies import EventReader
from gezinsplan.db import DbSession
from gezinsplan.errors import Unprocessable
from gezinsplan.events import pages
from gezinsplan.events.cloud import TYPE_PREFIX, TYPE_VERSION
from gezinsplan.events.schemas import EventPage
from gezinsplan.events.service import EventType
from gezinsplan.kit.pagination import DEFAULT_PAGE_SIZE, PageSize
from gezinsplan.kit.responses import problems

router = APIRouter(prefix="/events", tags=["events"])

CLOUD_TYPES = {f"{TYPE_PREFIX}{t.value}.{TYPE_VERSION}": t.value for t in EventType}


@router.get("", summary="The change feed", responses=problems(401, 403, 410, 422))
def read_events(
    request: Request,
    actor: EventReader,
    session: DbSession,
    after: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="`nextCursor` of the previous page; absent: the oldest event kept.",
        ),
    ] = None,
    types: Annotated[
        list[str] | None,
        Query(description="Only these CloudEvents types, e.g. `nl.gezinsplan.goal.updated.v1`."),
    ] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> EventPage:
    """Changes to the households the caller may see, as CloudEvents, in the order their
    transactions committed: a cursor never skips an event that commits later. Which events
    a caller gets is decided now, not when the change was made: after a consent is
    withdrawn, no event of that household reaches the organization any more. An erasure is
    told all the same: each organization that received the household's data gets one
    `household.erased` event, addressed to it alone (AVG art. 19). Events carry ids only;
    `dataref` reads the resource again through the access rules. Events are kept for a
    configured number of days; an expired cursor, or one from before a restore of the
    database, answers 410 with `oldestCursor`."""
    unknown = sorted(set(types or ()) - set(CLOUD_TYPES))
    if unknown:
        raise Unprocessable(
            "Unknown event type.",
            invalid_params=[
                {"name": "query:types", "reason": f"unknown type {t}"} for t in unknown
            ],
        )
    return pages.read_page(
        session,
        actor,
        request.app.state.settings,
        after=after,
        types=[CLOUD_TYPES[t] for t in types or ()],
        limit=limit,
    )
