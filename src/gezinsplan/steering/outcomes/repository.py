"""The queries behind the outcome figures: plans as their versions kept them, evaluations,
and the parties around open households.

Every query reads through the household and ``reportable_households``, limited to the
municipalities asked for. A plan version is kept whole (with descriptions and names); these
functions cut each one down to what the figures need (a goal's life domain, status, ZRM
scores, creation time and its actions' performers) before it leaves, and replace the ids of
plans and goals with numbers that only fold rows together.
"""

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import reportable_households
from gezinsplan.auth.actor import Actor
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.indications.models import Indication, IndicationStatus
from gezinsplan.plans.models import (
    Evaluation,
    EvaluationOutcome,
    EvaluationScore,
    Goal,
    Plan,
    PlanVersion,
)
from gezinsplan.roles.models import RoleAssignment, RoleType
from gezinsplan.steering.repository import open_during


@dataclass(frozen=True)
class GoalState:
    """A goal as one plan version kept it, without its description."""

    life_domain: str
    status: str
    zrm_start: int
    zrm_target: int
    created_at: datetime
    performers: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    goal: int
    life_domain: str
    evaluated_on: date
    outcome: str


@dataclass(frozen=True)
class Score:
    evaluated_on: date
    life_domain: str
    score: int


@dataclass
class PlanHistory:
    """One household's plan up to a moment: its versions (oldest first, goals by number) and
    the outcomes and ZRM scores of its evaluations dated up to the period's last day."""

    municipality: str
    versions: list[tuple[datetime, dict[int, GoalState]]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)


def _asked(municipalities: Collection[str]) -> ColumnElement[bool]:
    return col(Household.municipality_code).in_(sorted(municipalities))


def _active_between(starts_at: datetime, ends_at: datetime) -> ColumnElement[bool]:
    """The household had an episode open at some moment of [starts_at, ends_at)."""
    return exists().where(
        col(Episode.household_id) == col(Household.id),
        open_during(starts_at, ends_at),
    )


def _goal_state(goal: Mapping[str, Any]) -> GoalState:
    return GoalState(
        life_domain=str(goal["life_domain"]),
        status=str(goal["status"]),
        zrm_start=int(goal["zrm_start"]),
        zrm_target=int(goal["zrm_target"]),
        created_at=datetime.fromisoformat(str(goal["created_at"])),
        performers=tuple(str(action["performer"]) for action in goal.get("actions", ())),
    )


def plan_histories(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    ends_at: datetime,
    last_day: date,
    *,
    active_from: datetime | None = None,
) -> list[PlanHistory]:
    """Every reportable plan's versions kept before ``ends_at`` and its evaluations dated up
    to ``last_day``; with ``active_from``, only households with an episode open at some
    moment between ``active_from`` and ``ends_at``."""
    where = [reportable_households(actor), _asked(municipalities)]
    if active_from is not None:
        where.append(_active_between(active_from, ends_at))
    versions = (
        select(
            col(Household.municipality_code),
            col(PlanVersion.plan_id),
            col(PlanVersion.changed_at),
            col(PlanVersion.snapshot),
        )
        .select_from(PlanVersion)
        .join(Plan, col(Plan.id) == col(PlanVersion.plan_id))
        .join(Household, col(Household.id) == col(Plan.household_id))
        .where(col(PlanVersion.changed_at) < ends_at, *where)
        .order_by(col(PlanVersion.plan_id), col(PlanVersion.version))
    )
    outcomes = (
        select(
            col(Household.municipality_code),
            col(Evaluation.plan_id),
            col(EvaluationOutcome.goal_id),
            col(Goal.life_domain),
            col(Evaluation.evaluated_on),
            col(EvaluationOutcome.outcome),
        )
        .select_from(EvaluationOutcome)
        .join(Evaluation, col(Evaluation.id) == col(EvaluationOutcome.evaluation_id))
        .join(Goal, col(Goal.id) == col(EvaluationOutcome.goal_id))
        .join(Plan, col(Plan.id) == col(Evaluation.plan_id))
        .join(Household, col(Household.id) == col(Plan.household_id))
        .where(col(Evaluation.evaluated_on) <= last_day, *where)
    )
    scores = (
        select(
            col(Household.municipality_code),
            col(Evaluation.plan_id),
            col(Evaluation.evaluated_on),
            col(EvaluationScore.life_domain),
            col(EvaluationScore.score),
        )
        .select_from(EvaluationScore)
        .join(Evaluation, col(Evaluation.id) == col(EvaluationScore.evaluation_id))
        .join(Plan, col(Plan.id) == col(Evaluation.plan_id))
        .join(Household, col(Household.id) == col(Plan.household_id))
        .where(col(Evaluation.evaluated_on) <= last_day, *where)
    )
    # Plan and goal ids only fold rows together; numbers stand in for them on the way out.
    plans: dict[uuid.UUID, PlanHistory] = {}
    goals: dict[str, int] = {}

    def number(goal_id: object) -> int:
        return goals.setdefault(str(goal_id), len(goals))

    for code, plan_id, changed_at, snapshot in session.execute(versions):
        history = plans.setdefault(plan_id, PlanHistory(code))
        states = {number(goal["id"]): _goal_state(goal) for goal in snapshot.get("goals", ())}
        history.versions.append((changed_at, states))
    for code, plan_id, goal_id, domain, evaluated_on, outcome in session.execute(outcomes):
        history = plans.setdefault(plan_id, PlanHistory(code))
        history.outcomes.append(Outcome(number(goal_id), domain, evaluated_on, outcome))
    for code, plan_id, evaluated_on, domain, score in session.execute(scores):
        history = plans.setdefault(plan_id, PlanHistory(code))
        history.scores.append(Score(evaluated_on, domain, score))
    return list(plans.values())


def parties_of_open_households(
    session: Session,
    actor: Actor,
    municipalities: Collection[str],
    ends_at: datetime,
    last_day: date,
) -> list[tuple[str, int]]:
    """Per household open at the end of ``last_day`` (``ends_at``): its municipality and the
    number of distinct care-provider organizations then, from active care-provider roles and
    indications running on ``last_day`` (their provider organization, else their AGB code)."""
    open_then = and_(
        col(Episode.opened_at) < ends_at,
        or_(col(Episode.closed_at).is_(None), col(Episode.closed_at) >= ends_at),
    )
    households = (
        select(col(Household.id), col(Household.municipality_code))
        .select_from(Episode)
        .join(Household, col(Household.id) == col(Episode.household_id))
        .where(open_then, reportable_households(actor), _asked(municipalities))
        .distinct()
    )
    roles = (
        select(col(RoleAssignment.household_id), col(RoleAssignment.organization_id))
        .select_from(RoleAssignment)
        .join(Household, col(Household.id) == col(RoleAssignment.household_id))
        .where(
            col(RoleAssignment.role_type) == RoleType.CARE_PROVIDER,
            col(RoleAssignment.started_at) < ends_at,
            or_(col(RoleAssignment.ended_at).is_(None), col(RoleAssignment.ended_at) >= ends_at),
            reportable_households(actor),
            _asked(municipalities),
        )
    )
    indications = (
        select(
            col(Indication.household_id),
            col(Indication.provider_organization_id),
            col(Indication.provider_agb),
        )
        .select_from(Indication)
        .join(Household, col(Household.id) == col(Indication.household_id))
        .where(
            col(Indication.status) != IndicationStatus.WITHDRAWN,
            col(Indication.start_date) <= last_day,
            or_(col(Indication.end_date).is_(None), col(Indication.end_date) >= last_day),
            reportable_households(actor),
            _asked(municipalities),
        )
    )
    found: dict[uuid.UUID, tuple[str, set[str]]] = {
        household_id: (code, set()) for household_id, code in session.execute(households)
    }
    for household_id, organization_id in session.execute(roles):
        if household_id in found:
            found[household_id][1].add(f"organization:{organization_id}")
    for linked_to, provider_id, agb in session.execute(indications):
        if linked_to in found:
            party = f"organization:{provider_id}" if provider_id else f"agb:{agb}"
            found[linked_to][1].add(party)
    return [(code, len(parties)) for code, parties in found.values()]
