"""Rules for the plan: one per household, and every change raises its version and keeps the
plan as it then is."""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.access.visibility import visibility
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household, HouseholdRef
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.etags import claim
from gezinsplan.members import repository as members
from gezinsplan.members.models import Member
from gezinsplan.organizations import service as organizations
from gezinsplan.plans import repository
from gezinsplan.plans.models import (
    Action,
    Evaluation,
    EvaluationOutcome,
    EvaluationScore,
    Goal,
    Performer,
    Plan,
    PlanStatus,
    PlanVersion,
)
from gezinsplan.plans.repository import SCOPE, GoalTarget, PlanRows, PlanView
from gezinsplan.plans.schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdate,
    EvaluationCreate,
    EvaluationState,
    EvaluationView,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    GoalView,
    OutcomeRead,
    PlanRead,
    PlanSnapshot,
    PlanUpdate,
    ScoreRead,
)
from gezinsplan.rectification import service as rectification
from gezinsplan.rectification.models import SubjectKind

# Where a plan may go from each status; staying is always allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.ACTIVE, PlanStatus.CLOSED}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.EVALUATING, PlanStatus.CLOSED}),
    PlanStatus.EVALUATING: frozenset({PlanStatus.ACTIVE, PlanStatus.CLOSED}),
    PlanStatus.CLOSED: frozenset({PlanStatus.ACTIVE}),
}
GOAL_FIELDS_REQUIRED = ("life_domain", "description", "zrm_start", "zrm_target", "status")


def _record(session: Session, actor: Actor, plan: Plan, change: "Change") -> None:
    record_event(
        session,
        change.type,
        actor=actor,
        resource_type=change.resource_type,
        resource_id=change.resource_id,
        household_id=plan.household_id,
        life_domain=change.life_domain,
    )


NO_ROWS = PlanRows(goals=(), actions=(), evaluations=(), outcomes=(), scores=())


@dataclass(frozen=True)
class Change:
    """What a new version records as its event; ``life_domain`` for goal-bound changes."""

    type: EventType
    resource_type: str
    resource_id: uuid.UUID
    life_domain: str | None = None

    @classmethod
    def of(cls, type_: EventType, goal: Goal) -> "Change":
        return cls(type_, "goal", goal.id, goal.life_domain)


@dataclass
class NewVersion:
    """The plan's new version, once the change is made: the snapshot kept of it."""

    snapshot: PlanSnapshot | None = None


@dataclass(frozen=True)
class Kept:
    """The snapshot kept at the version a change was made on, and how the change alters it."""

    before: PlanSnapshot
    derive: Callable[[PlanSnapshot, Plan], PlanSnapshot]


@contextmanager
def _new_version(
    session: Session,
    actor: Actor,
    plan: Plan,
    expected: int | None,
    change: Change,
    *,
    content: bool = True,
    kept: Kept | None = None,
) -> Iterator[NewVersion]:
    """The one way to change the plan: claim its next version (412 when stale), let the
    caller change it, then keep the plan as it now is and record the event, all in the
    change's transaction. A closed plan's content is not changed.

    ``kept`` derives the new snapshot from the one kept at the version the change was made
    on, instead of reading the whole plan again; it applies only when the claim followed
    that version directly. The snapshot kept is set on the yielded ``NewVersion``.
    """
    if content and plan.status == PlanStatus.CLOSED:
        raise Conflict("The plan is closed; set its status to active to change it.")
    claim(session, plan, expected, updated_at=utcnow())
    result = NewVersion()
    yield result
    if kept is not None and kept.before.version == plan.version - 1:
        snapshot = kept.derive(kept.before, plan)
    else:
        session.flush()
        snapshot = _snapshot(plan, repository.whole_plan(session, actor, plan.id))
    _keep(session, actor, plan, snapshot)
    result.snapshot = snapshot
    _record(session, actor, plan, change)


def _keep(session: Session, actor: Actor, plan: Plan, snapshot: PlanSnapshot) -> None:
    """Store the plan at its current version, whole, with who changed it."""
    session.add(
        PlanVersion(
            plan_id=plan.id,
            version=plan.version,
            snapshot=snapshot.model_dump(mode="json"),
            changed_at=plan.updated_at,
            changed_by_sub=actor.sub,
            changed_by_name=actor.name,
            changed_by_organization_id=actor.org,
        )
    )


def _with_plan(snapshot: PlanSnapshot, plan: Plan, **changes: Any) -> PlanSnapshot:
    """The snapshot with the plan's own fields as they now are, and ``changes``."""
    own = {
        "status": plan.status,
        "family_wishes": plan.family_wishes,
        "version": plan.version,
        "updated_at": plan.updated_at,
    }
    return snapshot.model_copy(update=own | changes)


def _snapshot(plan: Plan, rows: PlanRows) -> PlanSnapshot:
    """The plan as the service serialises it, goals with their actions, evaluations whole."""
    actions: dict[uuid.UUID, list[ActionRead]] = defaultdict(list)
    for action in rows.actions:
        actions[action.goal_id].append(ActionRead.model_validate(action))
    outcomes: dict[uuid.UUID, list[OutcomeRead]] = defaultdict(list)
    for outcome in rows.outcomes:
        outcomes[outcome.evaluation_id].append(OutcomeRead.model_validate(outcome))
    scores: dict[uuid.UUID, list[ScoreRead]] = defaultdict(list)
    for score in rows.scores:
        scores[score.evaluation_id].append(ScoreRead.model_validate(score))
    return PlanSnapshot(
        id=plan.id,
        household_id=plan.household_id,
        status=plan.status,
        family_wishes=plan.family_wishes,
        version=plan.version,
        goals=[goal_read(goal, actions[goal.id]) for goal in rows.goals],
        evaluations=[
            EvaluationState(
                id=evaluation.id,
                plan_id=evaluation.plan_id,
                evaluated_on=evaluation.evaluated_on,
                summary=evaluation.summary,
                outcomes=outcomes[evaluation.id],
                scores=scores[evaluation.id],
                created_at=evaluation.created_at,
            )
            for evaluation in rows.evaluations
        ],
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def _check_organization(session: Session, organization_id: uuid.UUID | None, field: str) -> None:
    if organization_id is not None:
        organizations.registered(session, organization_id, field)


def _refuse_nulls(changes: dict[str, object], fields: Sequence[str]) -> None:
    for field in fields:
        if field in changes and changes[field] is None:
            name = to_camel(field)
            raise Unprocessable.field(name, "must not be null", f"{name} cannot be removed.")


def create_plan(session: Session, actor: Actor, household: Household) -> Plan:
    """The household's one plan, opened with it in the same transaction."""
    plan = Plan(household_id=household.id)
    session.add(plan)
    _keep(session, actor, plan, _snapshot(plan, NO_ROWS))
    _record(session, actor, plan, Change(EventType.PLAN_CREATED, "plan", plan.id))
    return plan


def close_plan(session: Session, actor: Actor, household: Household) -> None:
    """The household closes: its plan closes with it, as a new version."""
    plan = repository.get_plan(session, actor, household.id, editable=True)
    if plan is None or plan.status == PlanStatus.CLOSED:
        return
    change = Change(EventType.PLAN_UPDATED, "plan", plan.id)
    with _new_version(session, actor, plan, None, change, content=False):
        plan.status = PlanStatus.CLOSED


def performer_removed(session: Session, actor: Actor, member: Member) -> None:
    """A member leaves the household: the actions it performed lose their performer, which
    changes the plan, so the plan keeps a new version (its snapshots stay the plan as it was)."""
    actions = repository.performed_by(session, actor, member.id)
    plan = repository.get_plan(session, actor, member.household_id, editable=True)
    if not actions or plan is None:
        return
    change = Change(EventType.PLAN_UPDATED, "plan", plan.id)
    with _new_version(session, actor, plan, None, change, content=False):
        for action in actions:
            action.performer_member_id = None
            action.updated_at = plan.updated_at


def to_read(session: Session, actor: Actor, household: HouseholdRef, view: PlanView) -> PlanRead:
    """The whole plan, from the rows of one read: goals in order of creation, each with its
    actions, and the family's latest approval the actor may see."""
    plan, approval = view.plan, view.approval
    shown = [goal["id"] for goal, _ in view.goals] if view.stated else []
    statements = rectification.attached(session, actor, household.id, SubjectKind.GOAL, shown)
    return PlanRead.model_validate(
        {
            **plan,
            "goals": [
                {**goal, "actions": actions, "family_statements": statements.get(goal["id"], [])}
                for goal, actions in view.goals
            ],
            "visibility": visibility(session, actor, household, SCOPE),
            "approval": approval
            and {**approval, "current": approval["plan_version"] == plan["version"]},
        }
    )


def goal_read(goal: Goal, actions: list[ActionRead]) -> GoalRead:
    return GoalRead.model_validate({**goal.model_dump(), "actions": actions})


def goal_view(
    session: Session, actor: Actor, household_id: uuid.UUID, goal: Goal, actions: list[ActionRead]
) -> GoalView:
    """A goal as read, with the family's statements on it."""
    statements = rectification.attached(session, actor, household_id, SubjectKind.GOAL, [goal.id])
    return GoalView.model_validate(
        {**goal.model_dump(), "actions": actions, "family_statements": statements.get(goal.id, [])}
    )


def update_plan(
    session: Session, actor: Actor, plan: Plan, data: PlanUpdate, expected: int | None
) -> Plan:
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes, ("status",))
    status = changes.get("status", plan.status)
    if status != plan.status and status not in TRANSITIONS[plan.status]:
        raise Conflict(f"A plan cannot go from {plan.status} to {status}.")
    with _new_version(
        session,
        actor,
        plan,
        expected,
        Change(EventType.PLAN_UPDATED, "plan", plan.id),
        content=False,
    ):
        for field, value in changes.items():
            setattr(plan, field, value)
    return plan


def add_goal(
    session: Session, actor: Actor, plan: Plan, data: GoalCreate, expected: int | None
) -> Goal:
    _check_organization(session, data.organization_id, "organizationId")
    goal = Goal(plan_id=plan.id, **data.model_dump())
    with _new_version(session, actor, plan, expected, Change.of(EventType.GOAL_ADDED, goal)):
        goal.created_at = goal.updated_at = plan.updated_at
        session.add(goal)
    return goal


def update_goal(
    session: Session,
    actor: Actor,
    target: GoalTarget,
    data: GoalUpdate,
    expected: int | None,
) -> GoalRead:
    """Change the goal; the plan's new snapshot is the one kept at the version before with
    this goal replaced, when that was kept (a goal's change leaves the rest of the plan as
    it was), and the goal is answered from it, actions included."""
    plan, goal = target.plan, target.goal
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes, GOAL_FIELDS_REQUIRED)
    _check_organization(session, changes.get("organization_id"), "organizationId")

    def derive(before: PlanSnapshot, plan: Plan) -> PlanSnapshot:
        goals = [
            goal_read(goal, kept.actions) if kept.id == goal.id else kept for kept in before.goals
        ]
        return _with_plan(before, plan, goals=goals)

    kept = None if target.snapshot is None else Kept(target.snapshot, derive)
    change = Change.of(EventType.GOAL_UPDATED, goal)
    with _new_version(session, actor, plan, expected, change, kept=kept) as version:
        for field, value in changes.items():
            setattr(goal, field, value)
        goal.updated_at = plan.updated_at
    assert version.snapshot is not None
    return next(entry for entry in version.snapshot.goals if entry.id == goal.id)


def remove_goal(
    session: Session, actor: Actor, plan: Plan, goal: Goal, expected: int | None
) -> None:
    """Remove a goal and its actions; a goal with an evaluation or progress is kept (cancel it)."""
    with _new_version(session, actor, plan, expected, Change.of(EventType.GOAL_REMOVED, goal)):
        session.delete(goal)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            raise Conflict(
                "An evaluation or a progress update names this goal, so it stays in the plan; "
                "set its status to cancelled instead."
            ) from exc


def _check_performer(
    session: Session, actor: Actor, household_id: uuid.UUID, action: Action
) -> None:
    member, organization = action.performer_member_id, action.performer_organization_id
    if (action.performer == Performer.MEMBER) != (member is not None):
        raise Unprocessable.field(
            "performerMemberId", "required for, and only for, a member", "Name the member."
        )
    if (action.performer == Performer.ORGANIZATION) != (organization is not None):
        raise Unprocessable.field(
            "performerOrganizationId",
            "required for, and only for, an organization",
            "Name the organization.",
        )
    # The action may already carry the new ids: flushing them before the check would turn an
    # unknown id into a foreign-key error instead of this 422.
    with session.no_autoflush:
        if member is not None and members.get_visible(session, actor, household_id, member) is None:
            raise Unprocessable.field(
                "performerMemberId", "not a member of this household", "No such member here."
            )
        _check_organization(session, organization, "performerOrganizationId")


def add_action(
    session: Session,
    actor: Actor,
    plan: Plan,
    goal: Goal,
    data: ActionCreate,
    expected: int | None,
) -> Action:
    action = Action(goal_id=goal.id, **data.model_dump())
    _check_performer(session, actor, plan.household_id, action)
    added = Change(EventType.ACTION_ADDED, "action", action.id, goal.life_domain)
    with _new_version(session, actor, plan, expected, added):
        action.created_at = action.updated_at = plan.updated_at
        if action.done:
            action.done_at = plan.updated_at
        session.add(action)
    return action


def update_action(
    session: Session,
    actor: Actor,
    plan: Plan,
    goal: Goal,
    action: Action,
    data: ActionUpdate,
    expected: int | None,
) -> Action:
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes, ("description", "performer", "done"))
    for field, value in changes.items():
        setattr(action, field, value)
    _check_performer(session, actor, plan.household_id, action)
    updated = Change(EventType.ACTION_UPDATED, "action", action.id, goal.life_domain)
    with _new_version(session, actor, plan, expected, updated):
        if "done" in changes:
            action.done_at = plan.updated_at if action.done else None
        action.updated_at = plan.updated_at
    return action


def add_evaluation(
    session: Session, actor: Actor, plan: Plan, data: EvaluationCreate, expected: int | None
) -> Evaluation:
    known = repository.goal_ids(session, actor, plan.id)
    for index, outcome in enumerate(data.outcomes):
        if outcome.goal_id not in known:
            raise Unprocessable.field(
                f"outcomes.{index}.goalId", "not a goal of this plan", "No such goal here."
            )
    evaluation = Evaluation(plan_id=plan.id, evaluated_on=data.evaluated_on, summary=data.summary)
    added = Change(EventType.EVALUATION_ADDED, "evaluation", evaluation.id)
    with _new_version(session, actor, plan, expected, added):
        evaluation.created_at = plan.updated_at
        session.add(evaluation)
        session.flush()
        session.add_all(
            EvaluationOutcome(evaluation_id=evaluation.id, **outcome.model_dump())
            for outcome in data.outcomes
        )
        session.add_all(
            EvaluationScore(evaluation_id=evaluation.id, **score.model_dump())
            for score in data.scores
        )
    return evaluation


def evaluation_reads(
    session: Session, actor: Actor, household: Household, evaluations: Sequence[Evaluation]
) -> list[EvaluationView]:
    """The household's evaluations with the outcomes and scores the caller may see, and what
    that is, and the family's statements on them."""
    ids = [evaluation.id for evaluation in evaluations]
    statements = rectification.attached(session, actor, household.id, SubjectKind.EVALUATION, ids)
    outcomes: dict[uuid.UUID, list[OutcomeRead]] = defaultdict(list)
    for outcome in repository.outcomes(session, actor, ids):
        outcomes[outcome.evaluation_id].append(OutcomeRead.model_validate(outcome))
    scores: dict[uuid.UUID, list[ScoreRead]] = defaultdict(list)
    for score in repository.scores(session, actor, ids):
        scores[score.evaluation_id].append(ScoreRead.model_validate(score))
    seen = visibility(session, actor, household, SCOPE)
    return [
        EvaluationView(
            id=evaluation.id,
            plan_id=evaluation.plan_id,
            evaluated_on=evaluation.evaluated_on,
            summary=evaluation.summary,
            outcomes=outcomes[evaluation.id],
            scores=scores[evaluation.id],
            visibility=seen,
            family_statements=statements.get(evaluation.id, []),
            created_at=evaluation.created_at,
        )
        for evaluation in evaluations
    ]
