"""HTTP endpoints for the family's approval of the plan.

Read like the plan; recorded by a resident in their own name, or by the access team or the
regisseur on the family's behalf. ``planVersion`` in the body names the version approved:
a version that is no longer current is a 409, as the plan changed since it was read.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from gezinsplan.access.dependencies import HouseholdReader, readable, writable
from gezinsplan.access.scopes import Scope
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.kit.etags import set_etag
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import ETAG_HEADER, WRITE, problems
from gezinsplan.plans import approvals, repository
from gezinsplan.plans.models import Plan
from gezinsplan.plans.schemas import ApprovalCreate, ApprovalRead

router = APIRouter(prefix="/households/{household_id}/plan/approvals", tags=["plan"])

ReadableHousehold = Annotated[Household, readable(Scope.APPROVALS)]
ApprovingHousehold = Annotated[Household, writable(Scope.APPROVALS)]


def _plan(
    household: Household, actor: HouseholdReader, session: DbSession, *, editable: bool
) -> Plan:
    plan = repository.get_plan(
        session, actor, household.id, editable=editable, scope=Scope.APPROVALS
    )
    if plan is None:
        raise NotFound("Plan not found.")
    return plan


def _readable_plan(
    household: ReadableHousehold, actor: HouseholdReader, session: DbSession
) -> Plan:
    return _plan(household, actor, session, editable=False)


def _approvable_plan(
    household: ApprovingHousehold, actor: HouseholdReader, session: DbSession
) -> Plan:
    return _plan(household, actor, session, editable=True)


@router.get("", summary="List the family's approvals", responses=problems(401, 404))
def list_approvals(
    plan: Annotated[Plan, Depends(_readable_plan)],
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[ApprovalRead]:
    """Every approval of the plan, oldest first, each with the version it approved."""
    rows = repository.list_approvals(session, actor, plan.id, page)
    return Page[ApprovalRead](
        items=approvals.reads(plan, rows[: page.limit]), next_cursor=next_cursor(rows, page)
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Approve the plan",
    responses={201: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 409)},
)
def approve_plan(
    data: ApprovalCreate,
    plan: Annotated[Plan, Depends(_approvable_plan)],
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> ApprovalRead:
    """Approve the plan's current version; the plan's version stays as it is."""
    approval = approvals.approve(session, actor, plan, data)
    set_etag(response, plan.version)
    return approvals.reads(plan, [approval])[0]
