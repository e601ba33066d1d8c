"""Queries behind the worklists: a caseload and what in it asks for attention.

A caseload is the set of open households with an active regisseur assignment, either the
caller's own (``team=False``) or any professional's of the caller's organization
(``team=True``). Each query below reads one kind of signal for the whole caseload at once,
grouped per household, so a worklist costs the same fixed number of statements whatever the
caseload's size. Each is given the caseload's household ids, read first: the database
starts from those few households instead of testing every household for being in the
caseload (on SQLite that scan took 80 to 140 ms per signal at 100,000 households). Every query
starts from the access statement for the part of the file it reads, so a worklist can never
show more than the household's own endpoints would.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Date, and_, bindparam, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from gezinsplan.access.predicates import KEPT, regisseur_of
from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.auth.actor import Actor
from gezinsplan.consents.models import Consent
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.indications.models import Indication, IndicationStatus
from gezinsplan.kit import clock
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.kit.bulk import among
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.plans.models import Evaluation, Goal, GoalStatus, Plan, PlanApproval, PlanVersion
from gezinsplan.progress.models import ProgressUpdate
from gezinsplan.roles.models import RoleAssignment, RoleType, active

# The active regisseur assignment a caseload is read through; its own alias, so it stays
# apart from the access predicates' subqueries on the same table.
_ACTIVE = shared_alias(RoleAssignment, "active_regisseur")
_ANY_REGISSEUR = shared_alias(RoleAssignment, "any_regisseur")


def _assigned(actor: Actor, *, team: bool) -> list[ColumnElement[bool]]:
    """``_ACTIVE`` is the household's active regisseur: the actor, or one of its organization."""
    conditions = [
        col(_ACTIVE.household_id) == col(Household.id),
        *active(_ACTIVE, RoleType.REGISSEUR),
        col(_ACTIVE.organization_id) == actor.org,
    ]
    if not team:
        conditions.append(col(_ACTIVE.professional_sub) == actor.sub)
    return conditions


@dataclass(frozen=True)
class CaseloadRow:
    id: uuid.UUID
    name: str
    municipality_code: str
    episode_opened_at: datetime
    plan_status: str | None
    plan_version: int | None
    version_made_at: datetime | None
    plan_approved: bool
    last_evaluated_on: date | None
    regisseur_sub: str
    regisseur_name: str | None


def caseload(session: Session, actor: Actor, *, team: bool = False) -> list[CaseloadRow]:
    """The caseload's households with their episode, plan, approval and last evaluation."""
    statement = _caseload_statement(actor, team, clock.today())
    rows: Sequence[Any] = session.connection().execute(statement).all()
    return [CaseloadRow(*row) for row in rows]


@lru_cache(maxsize=KEPT)
def _caseload_statement(actor: Actor, team: bool, today: date) -> Any:  # noqa: ARG001 (a new day)
    approved = (
        exists()
        .where(
            col(PlanApproval.plan_id) == col(Plan.id),
            col(PlanApproval.plan_version) == col(Plan.version),
        )
        .correlate(Plan)
    )
    last_evaluation = (
        select(func.max(col(Evaluation.evaluated_on)))
        .where(col(Evaluation.plan_id) == col(Plan.id))
        .correlate(Plan)
        .scalar_subquery()
    )
    statement = (
        readable(
            Household,
            actor,
            Scope.PLAN,
            col(Household.id),
            col(Household.name),
            col(Household.municipality_code),
            func.coalesce(col(Episode.opened_at), col(Household.opened_at)),
            col(Plan.status),
            col(Plan.version),
            func.coalesce(col(PlanVersion.changed_at), col(Plan.updated_at)),
            approved,
            last_evaluation,
            col(_ACTIVE.professional_sub),
            col(_ACTIVE.professional_name),
        )
        .join(_ACTIVE, and_(*_assigned(actor, team=team)))
        .outerjoin(
            Episode,
            and_(col(Episode.household_id) == col(Household.id), col(Episode.closed_at).is_(None)),
        )
        .outerjoin(Plan, col(Plan.household_id) == col(Household.id))
        .outerjoin(
            PlanVersion,
            and_(
                col(PlanVersion.plan_id) == col(Plan.id),
                col(PlanVersion.version) == col(Plan.version),
            ),
        )
        .where(col(Household.status) == HouseholdStatus.OPEN)
    )
    if not team:
        statement = statement.where(regisseur_of(actor))
    return statement


@dataclass(frozen=True)
class SignalRow:
    """One kind of signal on one household: how many causes, and the oldest one's date."""

    household_id: uuid.UUID
    count: int
    first: date


def _signal_rows(session: Session, statement: Any, values: dict[str, Any]) -> list[SignalRow]:
    rows: Sequence[Any] = session.connection().execute(statement, values).all()
    return [SignalRow(*row) for row in rows]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def overdue_goals(
    session: Session, actor: Actor, today: date, households: Sequence[uuid.UUID]
) -> list[SignalRow]:
    """Open goals past their target date, per household: how many, the earliest target."""
    statement = _overdue_goals(actor, _dialect(session), clock.today())
    return _signal_rows(session, statement, {"households": households, "on": today})


@lru_cache(maxsize=KEPT)
def _overdue_goals(actor: Actor, dialect: str, today: date) -> Any:  # noqa: ARG001 (a new day)
    return (
        readable(
            Goal,
            actor,
            Scope.PLAN,
            col(Plan.household_id),
            func.count(),
            func.min(col(Goal.target_date)),
        )
        .where(
            col(Goal.status) == GoalStatus.OPEN,
            col(Goal.target_date) < bindparam("on", type_=Date),
            among(dialect, col(Plan.household_id), "households"),
        )
        .group_by(col(Plan.household_id))
    )


def expiring_consents(
    session: Session, actor: Actor, today: date, last_day: date, households: Sequence[uuid.UUID]
) -> list[SignalRow]:
    """Consents valid today that end on or before ``last_day``: how many, the first end."""
    statement = _expiring_consents(actor, _dialect(session), clock.today())
    values = {"households": households, "on": today, "last_day": last_day}
    return _signal_rows(session, statement, values)


@lru_cache(maxsize=KEPT)
def _expiring_consents(actor: Actor, dialect: str, today: date) -> Any:  # noqa: ARG001 (a new day)
    on = bindparam("on", type_=Date)
    return (
        readable(
            Consent,
            actor,
            Scope.CONSENTS,
            col(Consent.household_id),
            func.count(),
            func.min(col(Consent.valid_until)),
        )
        .where(
            col(Consent.withdrawn_at).is_(None),
            col(Consent.valid_from) <= on,
            col(Consent.valid_until) >= on,
            col(Consent.valid_until) <= bindparam("last_day", type_=Date),
            among(dialect, col(Consent.household_id), "households"),
        )
        .group_by(col(Consent.household_id))
    )


def ending_indications(
    session: Session, actor: Actor, today: date, last_day: date, households: Sequence[uuid.UUID]
) -> list[SignalRow]:
    """Active indications of members that end on or before ``last_day``: how many, the first."""
    statement = _ending_indications(actor, _dialect(session), clock.today())
    values = {"households": households, "on": today, "last_day": last_day}
    return _signal_rows(session, statement, values)


@lru_cache(maxsize=KEPT)
def _ending_indications(actor: Actor, dialect: str, today: date) -> Any:  # noqa: ARG001 (a new day)
    return (
        readable(
            Indication,
            actor,
            Scope.INDICATIONS,
            col(Indication.household_id),
            func.count(),
            func.min(col(Indication.end_date)),
        )
        .where(
            col(Indication.status) == IndicationStatus.ACTIVE,
            col(Indication.member_id).is_not(None),
            col(Indication.end_date) >= bindparam("on", type_=Date),
            col(Indication.end_date) <= bindparam("last_day", type_=Date),
            among(dialect, col(Indication.household_id), "households"),
        )
        .group_by(col(Indication.household_id))
    )


def progress_since_evaluation(
    session: Session, actor: Actor, households: Sequence[uuid.UUID]
) -> list[SignalRow]:
    """Progress reported on a later day than the plan's last evaluation (any, without one)."""
    statement = _progress_since_evaluation(actor, _dialect(session), clock.today())
    return _signal_rows(session, statement, {"households": households})


@lru_cache(maxsize=KEPT)
def _progress_since_evaluation(actor: Actor, dialect: str, today: date) -> Any:  # noqa: ARG001
    evaluated = aliased(Evaluation, name="last_evaluation")
    evaluated_plan = aliased(Plan, name="evaluated_plan")
    last_evaluation = (
        select(func.max(col(evaluated.evaluated_on)))
        .join(evaluated_plan, col(evaluated_plan.id) == col(evaluated.plan_id))
        .where(col(evaluated_plan.household_id) == col(ProgressUpdate.household_id))
        .correlate(ProgressUpdate)
        .scalar_subquery()
    )
    return (
        readable(
            ProgressUpdate,
            actor,
            Scope.PROGRESS,
            col(ProgressUpdate.household_id),
            func.count(),
            func.min(col(ProgressUpdate.reported_on)),
        )
        .where(
            or_(last_evaluation.is_(None), col(ProgressUpdate.reported_on) > last_evaluation),
            among(dialect, col(ProgressUpdate.household_id), "households"),
        )
        .group_by(col(ProgressUpdate.household_id))
    )


@dataclass(frozen=True)
class WaitingRow:
    id: uuid.UUID
    name: str
    municipality_code: str
    created_at: datetime  # when the current episode opened: the page order
    status: str


def waiting_for_regisseur(
    session: Session, actor: Actor, page: PageRequest
) -> Sequence[WaitingRow]:
    """Open households of the actor's municipalities without an active regisseur, longest
    waiting (earliest current episode) first; one row more than the page to see if more."""
    opened_at = func.coalesce(col(Episode.opened_at), col(Household.opened_at))
    no_regisseur = not_(
        exists()
        .where(
            col(_ANY_REGISSEUR.household_id) == col(Household.id),
            *active(_ANY_REGISSEUR, RoleType.REGISSEUR),
        )
        .correlate(Household)
    )
    statement = (
        readable(
            Household,
            actor,
            Scope.ROLES,
            col(Household.id),
            col(Household.name),
            col(Household.municipality_code),
            opened_at.label("created_at"),
            col(Household.status),
        )
        .outerjoin(
            Episode,
            and_(col(Episode.household_id) == col(Household.id), col(Episode.closed_at).is_(None)),
        )
        .where(
            col(Household.status) == HouseholdStatus.OPEN,
            col(Household.municipality_code).in_(sorted(actor.municipalities)),
            no_regisseur,
        )
    )
    paged: Any = paginate(cast(Any, statement), opened_at, col(Household.id), page)
    rows: Sequence[Any] = session.execute(paged).all()
    return [WaitingRow(*row) for row in rows]
