"""What changed between two kept versions of the plan, field by field.

Both snapshots are cut to what the caller sees before they are compared, so a diff and a
version list never mention a goal in a life domain the caller may not see.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from gezinsplan.plans.schemas import (
    ActionRead,
    EvaluationState,
    FieldChange,
    GoalRead,
    ItemChange,
    PartDiff,
    PlanChange,
    PlanSnapshot,
)

# Bookkeeping and nesting, not content: every change touches updatedAt, a goal's actions are
# compared on their own, and a plan's parts have their own lists.
NOT_COMPARED = frozenset(
    {"id", "household_id", "version", "created_at", "updated_at", "actions", "goals", "evaluations"}
)

Item = TypeVar("Item", GoalRead, ActionRead, EvaluationState)


@dataclass(frozen=True)
class Comparison:
    plan: list[FieldChange]
    goals: PartDiff[GoalRead]
    actions: PartDiff[ActionRead]
    evaluations: PartDiff[EvaluationState]


def field_changes(older: BaseModel, newer: BaseModel) -> list[FieldChange]:
    """The compared fields whose values differ, in the schema's order, as the API spells them."""
    before = older.model_dump(mode="json", by_alias=True, exclude=set(NOT_COMPARED))
    after = newer.model_dump(mode="json", by_alias=True, exclude=set(NOT_COMPARED))
    return [
        FieldChange.model_validate({"field": name, "from": before[name], "to": value})
        for name, value in after.items()
        if before[name] != value
    ]


def _part(
    older: Sequence[Item], newer: Sequence[Item]
) -> tuple[list[Item], list[Item], list[ItemChange]]:
    """Added and changed items in the newer version's order, removed ones in the older's."""
    before = {item.id: item for item in older}
    after = {item.id for item in newer}
    changed = []
    for item in newer:
        if item.id in before and (fields := field_changes(before[item.id], item)):
            changed.append(ItemChange(id=item.id, fields=fields))
    added = [item for item in newer if item.id not in before]
    removed = [item for item in older if item.id not in after]
    return added, removed, changed


def _actions(snapshot: PlanSnapshot) -> list[ActionRead]:
    return [action for goal in snapshot.goals for action in goal.actions]


def compare(older: PlanSnapshot, newer: PlanSnapshot) -> Comparison:
    goals = _part(older.goals, newer.goals)
    actions = _part(_actions(older), _actions(newer))
    evaluations = _part(older.evaluations, newer.evaluations)
    return Comparison(
        plan=field_changes(older, newer),
        goals=PartDiff[GoalRead](added=goals[0], removed=goals[1], changed=goals[2]),
        actions=PartDiff[ActionRead](added=actions[0], removed=actions[1], changed=actions[2]),
        evaluations=PartDiff[EvaluationState](
            added=evaluations[0], removed=evaluations[1], changed=evaluations[2]
        ),
    )


def summary(plan_id: uuid.UUID, comparison: Comparison) -> list[PlanChange]:
    """The comparison as a short list: what kind of thing, which one, added/changed/removed."""
    found: list[tuple[str, uuid.UUID, str]] = []
    if comparison.plan:
        found.append(("plan", plan_id, "changed"))
    for resource_type, part in (
        ("goal", comparison.goals),
        ("action", comparison.actions),
        ("evaluation", comparison.evaluations),
    ):
        found += [(resource_type, item.id, "added") for item in part.added]
        found += [(resource_type, item.id, "changed") for item in part.changed]
        found += [(resource_type, item.id, "removed") for item in part.removed]
    return [PlanChange(resource_type=kind, id=id_, change=change) for kind, id_, change in found]
