"""HTTP endpoint for a household's episodes: its open periods, as history."""

from typing import Annotated

from fastapi import APIRouter, Depends

from gezinsplan.access.dependencies import HouseholdReader, VisibleHousehold
from gezinsplan.db import DbSession
from gezinsplan.episodes import repository
from gezinsplan.episodes.schemas import EpisodeRead
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import problems

router = APIRouter(prefix="/households/{household_id}", tags=["households"])


@router.get("/episodes", summary="List a household's episodes", responses=problems(401, 404))
def list_episodes(
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[EpisodeRead]:
    """Each period the household was open, oldest first: opened (by whom, referred by whom)
    and closed (by whom, why). Reopening a household starts a new episode."""
    rows = repository.list_visible(session, actor, household.id, page)
    return Page[EpisodeRead](
        items=[EpisodeRead.model_validate(row) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page, order="opened_at"),
    )
