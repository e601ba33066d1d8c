"""Loading the plan and its goals for a route: the access rule and the lookup in one place.

A goal to change is loaded with its household, plan and the plan's kept snapshot in one
statement (``repository.goal_to_change``): the goal edit is the plan's hot write.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from gezinsplan.access.dependencies import (
    HouseholdId,
    HouseholdReader,
    admit_or_refuse,
    readable,
    writable,
)
from gezinsplan.access.guard import access_rule
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import audit
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.plans import repository
from gezinsplan.plans.models import Goal, Plan
from gezinsplan.plans.repository import SCOPE, GoalTarget

VisibleHousehold = Annotated[Household, readable(Scope.PLAN)]
EditableHousehold = Annotated[Household, writable(Scope.PLAN)]
GoalId = Annotated[uuid.UUID, Path(description="The goal's id.")]
PLAN_NOT_FOUND = "Plan not found."
GOAL_NOT_FOUND = "Goal not found."


def _plan(
    household_id: uuid.UUID, actor: HouseholdReader, session: DbSession, editable: bool
) -> Plan:
    plan = repository.get_plan(session, actor, household_id, editable=editable)
    if plan is None:
        raise NotFound(PLAN_NOT_FOUND)
    return plan


def _visible_plan(household: VisibleHousehold, actor: HouseholdReader, session: DbSession) -> Plan:
    return _plan(household.id, actor, session, editable=False)


def _editable_plan(
    household: EditableHousehold, actor: HouseholdReader, session: DbSession
) -> Plan:
    return _plan(household.id, actor, session, editable=True)


def _visible_goal(
    plan: Annotated[Plan, Depends(_visible_plan)],
    goal_id: GoalId,
    actor: HouseholdReader,
    session: DbSession,
) -> Goal:
    goal = repository.get_goal(session, actor, plan.id, goal_id)
    if goal is None:
        raise NotFound(GOAL_NOT_FOUND)
    return goal


@access_rule
def editable_goal(
    household_id: HouseholdId, goal_id: GoalId, actor: CurrentActor, session: DbSession
) -> GoalTarget:
    """The goal with its plan, when the actor may change the plan; 404 for the household,
    the plan or the goal, whichever is missing, and 403 for a household the actor reads."""
    audit(session, actor)
    found = repository.goal_to_change(session, actor, household_id, goal_id)
    admit_or_refuse(session, actor, household_id, found.household, SCOPE, write=True)
    if found.plan is None:
        raise NotFound(PLAN_NOT_FOUND)
    if found.target is None:
        raise NotFound(GOAL_NOT_FOUND)
    return found.target


VisiblePlan = Annotated[Plan, Depends(_visible_plan)]
EditablePlan = Annotated[Plan, Depends(_editable_plan)]
VisibleGoal = Annotated[Goal, Depends(_visible_goal)]
EditableGoal = Annotated[GoalTarget, Depends(editable_goal)]
