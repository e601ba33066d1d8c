"""The progress reporter's access rule: which goal a caller may report progress on.

It reads the goal through ``progress_writers`` and names the grounds like every access rule
(registered with ``access_rule``), but the goal and its 404 are the progress domain's, so the
rule lives here and ``access/`` imports no domain service.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from gezinsplan.access import grounds
from gezinsplan.access.dependencies import HouseholdId, audit_grounds
from gezinsplan.access.guard import access_rule
from gezinsplan.audit.trail import audit
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.progress import repository
from gezinsplan.progress.service import GOAL_NOT_FOUND, Target

GoalId = Annotated[uuid.UUID, Path(description="The goal's id.")]


@access_rule
def progress_reporter(
    household_id: HouseholdId, goal_id: GoalId, actor: CurrentActor, session: DbSession
) -> Target:
    """The goal, when the actor may report on it: the whole file's professionals, or the care
    provider it is assigned to while that works on the household. Else 404, whatever hides it."""
    audit(session, actor)
    found = repository.reportable_goal(session, actor, household_id, goal_id)
    if found is None:
        raise NotFound(GOAL_NOT_FOUND)
    goal, household = found
    audit_grounds(session, actor, household.id, grounds.report_grounds(session, actor, household))
    return Target.of(goal, household.id)


ProgressReporter = Annotated[Target, Depends(progress_reporter)]
