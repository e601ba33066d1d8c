"""HTTP endpoints for the plan's kept versions: the list, one version, and a diff.

Each reads through the same rule as today's plan, and shows what the caller sees today.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from gezinsplan.access.dependencies import HouseholdReader
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound, Unprocessable
from gezinsplan.kit.etags import set_etag
from gezinsplan.kit.pagination import (
    DEFAULT_PAGE_SIZE,
    NumberCursor,
    Page,
    PageSize,
    decode_number,
    encode_number,
)
from gezinsplan.kit.responses import problems
from gezinsplan.plans import versions
from gezinsplan.plans.dependencies import VisibleHousehold, VisiblePlan
from gezinsplan.plans.router import READ
from gezinsplan.plans.schemas import PlanDiff, PlanVersionEntry, PlanVersionRead

router = APIRouter(prefix="/households/{household_id}/plan/versions", tags=["plan"])

MAX_VERSION = 2**31 - 1
Version = Annotated[int, Path(ge=1, le=MAX_VERSION, description="The plan's version.")]
CURSOR_TAG = "v"


@router.get("", summary="List the plan's versions", responses=problems(401, 404))
def list_versions(
    plan: VisiblePlan,
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: NumberCursor = None,
) -> Page[PlanVersionEntry]:
    """Every kept version, newest first: when, by whom, and what changed of what you see.

    Plans that existed before versions were kept start at the version they had then.
    """
    before = decode_number(CURSOR_TAG, cursor) if cursor else None
    items, more = versions.entries(session, actor, household, plan, before=before, limit=limit)
    last = encode_number(CURSOR_TAG, items[-1].version) if more else None
    return Page[PlanVersionEntry](items=items, next_cursor=last)


@router.get(
    "/{version}", summary="Read the plan as it was", responses={**READ, **problems(401, 404)}
)
def read_version(
    plan: VisiblePlan,
    household: VisibleHousehold,
    version: Version,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> PlanVersionRead:
    """The plan right after the change that made this version, with its evaluations then."""
    read = versions.read_version(session, actor, household, plan, version)
    set_etag(response, plan.version)
    return read


@router.get(
    "/{version}/diff",
    summary="What changed between two versions",
    responses={**READ, **problems(401, 404)},
)
def diff_versions(
    plan: VisiblePlan,
    household: VisibleHousehold,
    version: Version,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    against: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_VERSION, description="The version to compare with; default the one before."
        ),
    ] = None,
) -> PlanDiff:
    """Added, removed and changed goals, actions and evaluations, and the plan's own fields."""
    if against is None:
        if version == 1:
            raise NotFound("Version 1 is the plan's first; there is none before it.")
        against = version - 1
    if against == version:
        raise Unprocessable(
            "Compare two different versions.",
            invalid_params=[{"name": "query:against", "reason": "must differ from the version"}],
        )
    compared = versions.compare(session, actor, household, plan, version, against)
    set_etag(response, plan.version)
    return compared
