"""Reading the kept versions of a plan: each one, a page of them, and what changed.

Every snapshot is cut to what the caller sees today (``plans.visible``) before it is
shown or compared, with the same visibility the plan read reports.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from gezinsplan.access.visibility import Visibility, visibility
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.plans import diff, repository
from gezinsplan.plans.models import Plan, PlanVersion
from gezinsplan.plans.repository import SCOPE
from gezinsplan.plans.schemas import (
    Author,
    EvaluationRead,
    PlanChange,
    PlanDiff,
    PlanSnapshot,
    PlanVersionEntry,
    PlanVersionRead,
)
from gezinsplan.plans.visible import visible_snapshot


def _get(session: Session, actor: Actor, plan: Plan, version: int) -> PlanVersion:
    row = repository.get_version(session, actor, plan.id, version)
    if row is None:
        raise NotFound(f"Version {version} of the plan not found.")
    return row


def _seen(row: PlanVersion, seen: Visibility) -> PlanSnapshot:
    return visible_snapshot(PlanSnapshot.model_validate(row.snapshot), seen)


def _author(row: PlanVersion) -> Author:
    return Author(name=row.changed_by_name, organization_id=row.changed_by_organization_id)


def read_version(
    session: Session, actor: Actor, household: Household, plan: Plan, version: int
) -> PlanVersionRead:
    row = _get(session, actor, plan, version)
    seen = visibility(session, actor, household, SCOPE)
    snapshot = _seen(row, seen)
    return PlanVersionRead(
        id=snapshot.id,
        household_id=snapshot.household_id,
        status=snapshot.status,
        family_wishes=snapshot.family_wishes,
        version=snapshot.version,
        goals=snapshot.goals,
        visibility=seen,
        created_at=snapshot.created_at,
        updated_at=snapshot.updated_at,
        evaluations=[
            EvaluationRead.model_validate({**evaluation.model_dump(), "visibility": seen})
            for evaluation in snapshot.evaluations
        ],
        changed_at=row.changed_at,
        changed_by=_author(row),
    )


def compare(
    session: Session, actor: Actor, household: Household, plan: Plan, version: int, against: int
) -> PlanDiff:
    """What changed from ``against`` to ``version``; ``against`` may be the later one."""
    newer, older = _get(session, actor, plan, version), _get(session, actor, plan, against)
    seen = visibility(session, actor, household, SCOPE)
    comparison = diff.compare(_seen(older, seen), _seen(newer, seen))
    return PlanDiff(
        version=version,
        against=against,
        plan=comparison.plan,
        goals=comparison.goals,
        actions=comparison.actions,
        evaluations=comparison.evaluations,
        visibility=seen,
    )


def entries(
    session: Session,
    actor: Actor,
    household: Household,
    plan: Plan,
    *,
    before: int | None,
    limit: int,
) -> tuple[list[PlanVersionEntry], bool]:
    """A page of versions, newest first, and whether older ones follow.

    Each entry says what it changed against the version before it, as the caller sees both.
    """
    rows = repository.list_versions(session, actor, plan.id, before=before, limit=limit)
    seen = visibility(session, actor, household, SCOPE)
    snapshots = [_seen(row, seen) for row in rows]
    found = [
        PlanVersionEntry(
            version=row.version,
            changed_at=row.changed_at,
            changed_by=_author(row),
            changes=_changes(plan.id, row, snapshots[index], snapshots[index + 1 :]),
        )
        for index, row in enumerate(rows[:limit])
    ]
    return found, len(rows) > limit


def _changes(
    plan_id: uuid.UUID, row: PlanVersion, snapshot: PlanSnapshot, older: Sequence[PlanSnapshot]
) -> list[PlanChange] | None:
    if row.version == 1:
        return [PlanChange(resource_type="plan", id=plan_id, change="added")]
    if not older or older[0].version != row.version - 1:
        return None  # the version before it was not kept
    return diff.summary(plan_id, diff.compare(older[0], snapshot))
