"""What a caller sees of a kept plan version: today's rules, applied to the plan as it was.

Today's plan is filtered in SQL (``in_consented_domains``); a version is a stored snapshot,
so the same rule is applied here in Python, from the caller's ``Visibility``: goals, their
actions and evaluation outcomes in the life domains it sees, and scores in those domains.
It cuts a plan schema, so it lives with the plans; ``access`` only says what is seen.
"""

from gezinsplan.access.visibility import Visibility
from gezinsplan.plans.schemas import PlanSnapshot


def visible_snapshot(snapshot: PlanSnapshot, seen: Visibility) -> PlanSnapshot:
    """The snapshot without the goals, actions, outcomes and scores the caller may not see."""
    if seen.life_domains is None:
        return snapshot
    domains = set(seen.life_domains)
    goals = [goal for goal in snapshot.goals if goal.life_domain in domains]
    goal_ids = {goal.id for goal in goals}
    evaluations = [
        evaluation.model_copy(
            update={
                "outcomes": [o for o in evaluation.outcomes if o.goal_id in goal_ids],
                "scores": [s for s in evaluation.scores if s.life_domain in domains],
            }
        )
        for evaluation in snapshot.evaluations
    ]
    return snapshot.model_copy(update={"goals": goals, "evaluations": evaluations})
