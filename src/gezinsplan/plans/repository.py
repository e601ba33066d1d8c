"""Queries on plans, goals, actions and evaluations.

Every read starts from the access statements (``access.statements``), so a goal or an
evaluation is never reachable by id alone. The plan read and the goal edit's lookup, the hot
paths, are built once per actor and day with the ids as bind parameters (decision 0023).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access import repository as access
from gezinsplan.access import statements
from gezinsplan.access.predicates import (
    KEPT,
    editable_households,
    in_consented_domains,
    visible_households,
)
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit import clock
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.plans.models import (
    Action,
    Evaluation,
    EvaluationOutcome,
    EvaluationScore,
    Goal,
    Plan,
    PlanApproval,
    PlanVersion,
)
from gezinsplan.plans.schemas import PlanSnapshot
from gezinsplan.rectification.models import FamilyStatement, SubjectKind

SCOPE = Scope.PLAN
_NEWER = shared_alias(PlanApproval, "newer_approval")


def _goal_visible(actor: Actor) -> Any:
    """A goal is seen by a care provider only in the life domains its consent names."""
    return in_consented_domains(actor, SCOPE, col(Goal.life_domain))


def get_plan(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    editable: bool = False,
    scope: Scope = SCOPE,
) -> Plan | None:
    """The plan, for reading or changing the given part of it (the plan, or its approvals)."""
    start = (
        statements.editable(Plan, actor, scope)
        if editable
        else statements.readable(Plan, actor, scope)
    )
    return session.scalars(start.where(col(Plan.household_id) == household_id)).one_or_none()


# The plan read's columns, in the order its rows carry them.
PLAN_COLUMNS = tuple(Plan.__table__.c)  # type: ignore[attr-defined]
APPROVAL_COLUMNS = (
    col(PlanApproval.plan_version),
    col(PlanApproval.approved_on),
    col(PlanApproval.method),
)
GOAL_COLUMNS = tuple(Goal.__table__.c)  # type: ignore[attr-defined]
ACTION_COLUMNS = tuple(Action.__table__.c)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PlanView:
    """The plan as read: plain rows by column name, no ORM instances (nothing is written)."""

    plan: dict[str, Any]
    approval: dict[str, Any] | None
    goals: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    stated: bool  # the family stated something on a goal of the household


def read_plan(session: Session, actor: Actor, household_id: uuid.UUID) -> PlanView | None:
    """The plan, its latest approval the actor may see, and its visible goals, each with its
    actions in order of creation: one statement, since a plan read waits on every round trip.
    """
    statement = _read_statement(actor, clock.today())
    # Plain rows from the connection: through the Session, ORM result handling for rows no
    # instance is made of took 377 µs of CPU a call where this takes 273. Pending changes go
    # first, as the Session's own execute would send them.
    session.flush()
    rows = session.connection().execute(statement, {"household_id": household_id}).all()
    if not rows:
        return None
    first = rows[0]
    plan = _named(PLAN_COLUMNS, first, 0)
    approval = _named(APPROVAL_COLUMNS, first, len(PLAN_COLUMNS))
    goals: dict[Any, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    at_goal = len(PLAN_COLUMNS) + len(APPROVAL_COLUMNS)
    at_action = at_goal + len(GOAL_COLUMNS)
    for row in rows:
        if row[at_goal] is None:
            continue
        if row[at_goal] not in goals:
            goals[row[at_goal]] = (_named(GOAL_COLUMNS, row, at_goal), [])
        if row[at_action] is not None:
            goals[row[at_goal]][1].append(_named(ACTION_COLUMNS, row, at_action))
    return PlanView(
        plan=plan,
        approval=approval if approval["plan_version"] is not None else None,
        goals=list(goals.values()),
        stated=bool(first[-1]),
    )


def _named(columns: Sequence[Any], row: Any, start: int) -> dict[str, Any]:
    return {column.name: row[start + i] for i, column in enumerate(columns)}


@lru_cache(maxsize=KEPT)
def _read_statement(actor: Actor, today: date) -> Any:  # noqa: ARG001 (the key: a new day)
    """Built once per actor and day, with the household as a bind parameter: SQLAlchemy then
    computes its cache key once, not on every read."""
    newest = (
        select(col(_NEWER.id))
        .where(col(_NEWER.plan_id) == col(Plan.id))
        .order_by(col(_NEWER.created_at).desc(), col(_NEWER.id).desc())
        .limit(1)
        .correlate(Plan)
        .scalar_subquery()
    )
    # Whether the family stated anything on a goal: only then does the plan read ask for the
    # statements, so a plan without them stays one statement (0031).
    stated = (
        exists()
        .where(
            col(FamilyStatement.household_id) == col(Plan.household_id),
            col(FamilyStatement.subject_kind) == SubjectKind.GOAL,
        )
        .correlate(Plan)
        .label("stated")
    )
    columns = (*PLAN_COLUMNS, *APPROVAL_COLUMNS, *GOAL_COLUMNS, *ACTION_COLUMNS, stated)
    return (
        statements.readable(Plan, actor, SCOPE, *columns)
        .outerjoin(
            PlanApproval,
            and_(col(PlanApproval.id) == newest, visible_households(actor, Scope.APPROVALS)),
        )
        .outerjoin(Goal, and_(col(Goal.plan_id) == col(Plan.id), _goal_visible(actor)))
        .outerjoin(Action, col(Action.goal_id) == col(Goal.id))
        .where(col(Plan.household_id) == bindparam("household_id"))
        .order_by(col(Goal.created_at), col(Goal.id), col(Action.created_at), col(Action.id))
    )


@dataclass(frozen=True)
class GoalTarget:
    """A goal to change, with its plan and the snapshot kept at the plan's version, if any."""

    plan: Plan
    goal: Goal
    snapshot: PlanSnapshot | None


@dataclass(frozen=True)
class GoalLookup:
    """What one statement found: the household (None when the actor may not change its
    plan), its plan and the goal when they exist."""

    household: Household | None
    target: GoalTarget | None = None
    plan: Plan | None = None


def goal_to_change(
    session: Session, actor: Actor, household_id: uuid.UUID, goal_id: uuid.UUID
) -> GoalLookup:
    """The household, its plan, the goal and the plan's kept snapshot, in one statement: a
    goal edit waits on every round trip."""
    statement = _goal_to_change_statement(actor, clock.today())
    rows = session.execute(statement, {"household_id": household_id, "goal_id": goal_id}).all()
    household = access.admitted(session, actor, SCOPE, rows)
    if household is None:
        return GoalLookup(None)
    plan, goal, kept = rows[0][access.extra_at(actor, SCOPE) :]
    if plan is None or goal is None:
        return GoalLookup(household, plan=plan)
    snapshot = None if kept is None else PlanSnapshot.model_validate(kept)
    return GoalLookup(household, GoalTarget(plan, goal, snapshot), plan)


@lru_cache(maxsize=KEPT)
def _goal_to_change_statement(actor: Actor, today: date) -> Any:  # noqa: ARG001 (a new day)
    return (
        access.household_statement(actor, SCOPE, write=True)
        .add_columns(Plan, Goal, col(PlanVersion.snapshot))
        .outerjoin(Plan, col(Plan.household_id) == col(Household.id))
        .outerjoin(
            Goal, and_(col(Goal.plan_id) == col(Plan.id), col(Goal.id) == bindparam("goal_id"))
        )
        .outerjoin(
            PlanVersion,
            and_(
                col(PlanVersion.plan_id) == col(Plan.id),
                col(PlanVersion.version) == col(Plan.version),
            ),
        )
    )


def get_goal(session: Session, actor: Actor, plan_id: uuid.UUID, goal_id: uuid.UUID) -> Goal | None:
    """A goal the actor may read: in a life domain its consent names, for a care provider."""
    statement = statements.readable(Goal, actor, SCOPE).where(
        col(Goal.id) == goal_id, col(Goal.plan_id) == plan_id
    )
    return session.scalars(statement).one_or_none()


def goal_ids(session: Session, actor: Actor, plan_id: uuid.UUID) -> set[uuid.UUID]:
    statement = statements.readable(Goal, actor, SCOPE, col(Goal.id)).where(
        col(Goal.plan_id) == plan_id
    )
    return set(session.scalars(statement).all())


def actions(session: Session, actor: Actor, goal_ids: Sequence[uuid.UUID]) -> Sequence[Action]:
    statement = (
        statements.readable(Action, actor, SCOPE)
        .where(col(Action.goal_id).in_(goal_ids))
        .order_by(col(Action.created_at), col(Action.id))
    )
    return session.scalars(statement).all()


def performed_by(session: Session, actor: Actor, member_id: uuid.UUID) -> Sequence[Action]:
    """The actions a member performs, in plans the actor may change."""
    statement = statements.editable(Action, actor, SCOPE).where(
        col(Action.performer_member_id) == member_id
    )
    return session.scalars(statement).all()


def get_action(
    session: Session, actor: Actor, goal_id: uuid.UUID, action_id: uuid.UUID, *, editable: bool
) -> Action | None:
    # Who may change the plan sees all of it, so the readable goal is the editable one.
    start = statements.readable(Action, actor, SCOPE)
    if editable:
        start = start.where(editable_households(actor, SCOPE))
    statement = start.where(col(Action.id) == action_id, col(Action.goal_id) == goal_id)
    return session.scalars(statement).one_or_none()


def list_evaluations(
    session: Session, actor: Actor, plan_id: uuid.UUID, page: PageRequest
) -> Sequence[Evaluation]:
    statement = statements.readable(Evaluation, actor, SCOPE).where(
        col(Evaluation.plan_id) == plan_id
    )
    ordered = paginate(statement, col(Evaluation.created_at), col(Evaluation.id), page)
    return session.scalars(ordered).all()


def get_evaluation(
    session: Session, actor: Actor, plan_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Evaluation | None:
    statement = statements.readable(Evaluation, actor, SCOPE).where(
        col(Evaluation.id) == evaluation_id, col(Evaluation.plan_id) == plan_id
    )
    return session.scalars(statement).one_or_none()


def outcomes(
    session: Session, actor: Actor, evaluation_ids: Sequence[uuid.UUID]
) -> Sequence[EvaluationOutcome]:
    statement = (
        statements.readable(EvaluationOutcome, actor, SCOPE)
        .where(col(EvaluationOutcome.evaluation_id).in_(evaluation_ids))
        .order_by(col(EvaluationOutcome.goal_id))
    )
    return session.scalars(statement).all()


def scores(
    session: Session, actor: Actor, evaluation_ids: Sequence[uuid.UUID]
) -> Sequence[EvaluationScore]:
    statement = (
        statements.readable(EvaluationScore, actor, SCOPE)
        .where(col(EvaluationScore.evaluation_id).in_(evaluation_ids))
        .order_by(col(EvaluationScore.life_domain))
    )
    return session.scalars(statement).all()


@dataclass(frozen=True)
class PlanRows:
    goals: Sequence[Goal]
    actions: Sequence[Action]
    evaluations: Sequence[Evaluation]
    outcomes: Sequence[EvaluationOutcome]
    scores: Sequence[EvaluationScore]


def whole_plan(session: Session, actor: Actor, plan_id: uuid.UUID) -> PlanRows:
    """Everything in the plan, for the snapshot its writer keeps: who may change the plan
    changes all of it, so no life domain is left out."""
    of_plan = col(Plan.id) == plan_id
    goals = statements.editable(Goal, actor, SCOPE).where(of_plan)
    actions = statements.editable(Action, actor, SCOPE).where(of_plan)
    evaluations = statements.editable(Evaluation, actor, SCOPE).where(of_plan)
    outcomes = statements.editable(EvaluationOutcome, actor, SCOPE).where(of_plan)
    scores = statements.editable(EvaluationScore, actor, SCOPE).where(of_plan)
    return PlanRows(
        goals=session.scalars(goals.order_by(col(Goal.created_at), col(Goal.id))).all(),
        actions=session.scalars(actions.order_by(col(Action.created_at), col(Action.id))).all(),
        evaluations=session.scalars(
            evaluations.order_by(col(Evaluation.created_at), col(Evaluation.id))
        ).all(),
        outcomes=session.scalars(outcomes.order_by(col(EvaluationOutcome.goal_id))).all(),
        scores=session.scalars(scores.order_by(col(EvaluationScore.life_domain))).all(),
    )


def get_version(
    session: Session, actor: Actor, plan_id: uuid.UUID, version: int
) -> PlanVersion | None:
    statement = statements.readable(PlanVersion, actor, SCOPE).where(
        col(PlanVersion.plan_id) == plan_id, col(PlanVersion.version) == version
    )
    return session.scalars(statement).one_or_none()


def list_versions(
    session: Session, actor: Actor, plan_id: uuid.UUID, *, before: int | None, limit: int
) -> Sequence[PlanVersion]:
    """Newest first, below ``before``; ``limit`` rows and the one before them, if any."""
    statement = statements.readable(PlanVersion, actor, SCOPE).where(
        col(PlanVersion.plan_id) == plan_id
    )
    if before is not None:
        statement = statement.where(col(PlanVersion.version) < before)
    ordered = statement.order_by(col(PlanVersion.version).desc()).limit(limit + 1)
    return session.scalars(ordered).all()


def list_approvals(
    session: Session, actor: Actor, plan_id: uuid.UUID, page: PageRequest
) -> Sequence[PlanApproval]:
    statement = statements.readable(PlanApproval, actor, Scope.APPROVALS).where(
        col(PlanApproval.plan_id) == plan_id
    )
    ordered = paginate(statement, col(PlanApproval.created_at), col(PlanApproval.id), page)
    return session.scalars(ordered).all()
