"""HTTP endpoints for the household's plan: goals, actions and evaluations.

The plan's ETag guards all of it. Changes answer with the plan's new ETag; PATCH and DELETE
require If-Match, and a POST honours it when sent.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from gezinsplan.access.dependencies import Admission, HouseholdReader, admitted
from gezinsplan.access.scopes import Scope
from gezinsplan.db import DbSession, in_one_hop
from gezinsplan.errors import NotFound
from gezinsplan.kit.etags import IfMatchOptional, IfMatchRequired, set_etag
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import ETAG_HEADER, LOCATION_HEADER, WRITE, problems
from gezinsplan.plans import repository, service
from gezinsplan.plans.dependencies import (
    PLAN_NOT_FOUND,
    EditableGoal,
    EditableHousehold,
    EditablePlan,
    VisibleGoal,
    VisibleHousehold,
    VisiblePlan,
)
from gezinsplan.plans.models import Action, Goal, Plan
from gezinsplan.plans.schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdate,
    EvaluationCreate,
    EvaluationView,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    GoalView,
    PlanRead,
    PlanUpdate,
)

router = APIRouter(prefix="/households/{household_id}/plan", tags=["plan"])

ActionId = Annotated[uuid.UUID, Path(description="The action's id.")]
EvaluationId = Annotated[uuid.UUID, Path(description="The evaluation's id.")]
Responses = dict[int | str, dict[str, Any]]
CREATED: Responses = {201: {"headers": ETAG_HEADER | LOCATION_HEADER}}
READ: Responses = {200: {"headers": ETAG_HEADER}}


def _base(plan: Plan) -> str:
    return f"/api/v1/households/{plan.household_id}/plan"


def _goal_view(session: DbSession, actor: HouseholdReader, plan: Plan, goal: Goal) -> GoalView:
    actions = [ActionRead.model_validate(a) for a in repository.actions(session, actor, [goal.id])]
    return service.goal_view(session, actor, plan.household_id, goal, actions)


@router.get("", summary="Read the plan", responses={**READ, **problems(401, 404)})
async def read_plan(
    admission: Annotated[Admission, admitted(Scope.PLAN)], request: Request, response: Response
) -> PlanRead:
    """The household's one plan with all its goals and their actions."""

    def read(session: Session) -> PlanRead:
        household = admission.household(session)
        view = repository.read_plan(session, admission.actor, household.id)
        if view is None:
            raise NotFound(PLAN_NOT_FOUND)
        set_etag(response, view.plan["version"])
        return service.to_read(session, admission.actor, household, view)

    # The hot read: its rule, statements and commit in one thread hop.
    return await in_one_hop(request, read)


@router.patch(
    "", summary="Change the plan", responses={**READ, **problems(*WRITE, 404, 409, 412, 428)}
)
def update_plan(
    data: PlanUpdate,
    household: EditableHousehold,
    plan: EditablePlan,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> PlanRead:
    """Change the status (draft, active, evaluating, closed) or the family's own wishes."""
    service.update_plan(session, actor, plan, data, if_match.version())
    set_etag(response, plan.version)
    view = repository.read_plan(session, actor, household.id)
    if view is None:
        raise NotFound(PLAN_NOT_FOUND)
    return service.to_read(session, actor, household, view)


@router.post(
    "/goals",
    status_code=status.HTTP_201_CREATED,
    summary="Add a goal",
    responses={**CREATED, **problems(*WRITE, 404, 409, 412)},
)
def add_goal(
    data: GoalCreate,
    plan: EditablePlan,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchOptional,
) -> GoalRead:
    goal = service.add_goal(session, actor, plan, data, if_match.version())
    set_etag(response, plan.version)
    response.headers["Location"] = f"{_base(plan)}/goals/{goal.id}"
    return service.goal_read(goal, [])


@router.get("/goals/{goal_id}", summary="Read a goal", responses={**READ, **problems(401, 404)})
def read_goal(
    plan: VisiblePlan,
    goal: VisibleGoal,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> GoalView:
    """The goal with its actions and the family's statements on it."""
    set_etag(response, plan.version)
    return _goal_view(session, actor, plan, goal)


@router.patch(
    "/goals/{goal_id}",
    summary="Change a goal",
    responses={**READ, **problems(*WRITE, 404, 409, 412, 428)},
)
async def update_goal(
    data: GoalUpdate,
    target: EditableGoal,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> GoalRead:
    def change() -> GoalRead:
        goal = service.update_goal(session, actor, target, data, if_match.version())
        set_etag(response, target.plan.version)
        return goal

    # The plan's hot write: the change in one hop, its response validated on the event loop.
    return await run_in_threadpool(change)


@router.delete(
    "/goals/{goal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a goal",
    responses={204: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 409, 412, 428)},
)
def remove_goal(
    target: EditableGoal,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> None:
    """Remove a goal and its actions; a goal an evaluation or a progress update names is
    cancelled instead (409)."""
    plan = target.plan
    service.remove_goal(session, actor, plan, target.goal, if_match.version())
    set_etag(response, plan.version)


@router.post(
    "/goals/{goal_id}/actions",
    status_code=status.HTTP_201_CREATED,
    summary="Add an action",
    responses={**CREATED, **problems(*WRITE, 404, 409, 412)},
)
def add_action(
    data: ActionCreate,
    target: EditableGoal,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchOptional,
) -> ActionRead:
    expected = if_match.version()
    plan, goal = target.plan, target.goal
    action = service.add_action(session, actor, plan, goal, data, expected)
    set_etag(response, plan.version)
    response.headers["Location"] = f"{_base(plan)}/goals/{goal.id}/actions/{action.id}"
    return ActionRead.model_validate(action)


def _action(
    goal: Goal, action_id: uuid.UUID, actor: HouseholdReader, session: DbSession, editable: bool
) -> Action:
    action = repository.get_action(session, actor, goal.id, action_id, editable=editable)
    if action is None:
        raise NotFound("Action not found.")
    return action


@router.get(
    "/goals/{goal_id}/actions/{action_id}",
    summary="Read an action",
    responses={**READ, **problems(401, 404)},
)
def read_action(
    plan: VisiblePlan,
    goal: VisibleGoal,
    action_id: ActionId,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> ActionRead:
    action = _action(goal, action_id, actor, session, editable=False)
    set_etag(response, plan.version)
    return ActionRead.model_validate(action)


@router.patch(
    "/goals/{goal_id}/actions/{action_id}",
    summary="Change an action",
    responses={**READ, **problems(*WRITE, 404, 409, 412, 428)},
)
def update_action(
    data: ActionUpdate,
    target: EditableGoal,
    action_id: ActionId,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> ActionRead:
    """Change what, by whom, by when, or mark it done."""
    plan = target.plan
    action = _action(target.goal, action_id, actor, session, editable=True)
    service.update_action(session, actor, plan, target.goal, action, data, if_match.version())
    set_etag(response, plan.version)
    return ActionRead.model_validate(action)


@router.get("/evaluations", summary="List evaluations", responses=problems(401, 404))
def list_evaluations(
    plan: VisiblePlan,
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[EvaluationView]:
    """The plan's reviews, oldest first, each with outcomes per goal and ZRM scores."""
    rows = repository.list_evaluations(session, actor, plan.id, page)
    return Page[EvaluationView](
        items=service.evaluation_reads(session, actor, household, rows[: page.limit]),
        next_cursor=next_cursor(rows, page),
    )


@router.post(
    "/evaluations",
    status_code=status.HTTP_201_CREATED,
    summary="Record an evaluation",
    responses={**CREATED, **problems(*WRITE, 404, 409, 412)},
)
def add_evaluation(
    data: EvaluationCreate,
    plan: EditablePlan,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchOptional,
) -> EvaluationView:
    expected = if_match.version()
    evaluation = service.add_evaluation(session, actor, plan, data, expected)
    set_etag(response, plan.version)
    response.headers["Location"] = f"{_base(plan)}/evaluations/{evaluation.id}"
    return service.evaluation_reads(session, actor, household, [evaluation])[0]


@router.get(
    "/evaluations/{evaluation_id}",
    summary="Read an evaluation",
    responses={**READ, **problems(401, 404)},
)
def read_evaluation(
    plan: VisiblePlan,
    household: VisibleHousehold,
    evaluation_id: EvaluationId,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> EvaluationView:
    evaluation = repository.get_evaluation(session, actor, plan.id, evaluation_id)
    if evaluation is None:
        raise NotFound("Evaluation not found.")
    set_etag(response, plan.version)
    return service.evaluation_reads(session, actor, household, [evaluation])[0]
