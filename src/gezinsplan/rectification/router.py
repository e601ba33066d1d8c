"""HTTP endpoints of rectification: a member's fact history, the family's statements."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from gezinsplan.access.dependencies import HouseholdReader, readable
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import note
from gezinsplan.db import DbSession
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import WRITE, problems
from gezinsplan.rectification import repository, service
from gezinsplan.rectification.dependencies import HistoryReader, StatementFiler
from gezinsplan.rectification.schemas import (
    CorrectionPage,
    StatementCreate,
    StatementRead,
)

router = APIRouter(prefix="/households/{household_id}", tags=["rectification"])

MemberId = Annotated[uuid.UUID, Path(description="The member's id.")]
PlanHousehold = Annotated[Household, readable(Scope.PLAN)]
Paging = Annotated[PageRequest, Depends(page_request)]


@router.get(
    "/members/{member_id}/corrections",
    summary="A member's fact history",
    responses=problems(401, 404),
)
def read_corrections(
    view: HistoryReader,
    member_id: MemberId,
    actor: HouseholdReader,
    session: DbSession,
    page: Paging,
) -> CorrectionPage:
    """Every change to the member's facts (names, birth date, BSN, relation, guardianship),
    oldest first: who, when, why, and the new value. The old value is shown to the family
    and the privacy officer (`oldValuesShown`); the access team and the regisseur see the
    history without it. A change with a `reason` is a correction (AVG art. 16)."""
    found = service.member_history(
        session, actor, view.household, member_id, page, old_values=view.old_values
    )
    note(session, members=[member_id])
    return found


@router.post(
    "/statements",
    status_code=status.HTTP_201_CREATED,
    summary="Add the family's statement to an assessment",
    responses=problems(*WRITE, 403, 404),
)
def file_statement(
    data: StatementCreate, household: StatementFiler, actor: HouseholdReader, session: DbSession
) -> StatementRead:
    """By a resident of the household: the family's own view on a goal, an evaluation or a
    progress update of its file (AVG art. 16). The assessment is not changed; the statement
    travels with every read and export of it, and its readers get a `statement.added`
    event naming the assessment. A subject not in this household answers 404."""
    return service.file_statement(session, actor, household, data)


@router.get(
    "/statements",
    summary="List the family's statements",
    responses=problems(401, 404),
)
def list_statements(
    household: PlanHousehold, actor: HouseholdReader, session: DbSession, page: Paging
) -> Page[StatementRead]:
    """Oldest first, on the goals, evaluations and progress updates the caller reads."""
    rows = repository.listed(session, actor, household.id, page)
    return Page[StatementRead](
        items=[service.to_read(row) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page, order="made_at"),
    )
