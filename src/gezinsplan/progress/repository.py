"""Queries on progress updates, each starting from the access statements: reads by what the
actor may read (in the life domains the family's consent names), writes by ``progress_writers``."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import progress_writers
from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import reachable, readable
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.plans.models import Goal
from gezinsplan.progress.models import ProgressUpdate

SCOPE = Scope.PROGRESS
_CORRECTION = shared_alias(ProgressUpdate, "correction")


def reportable_goal(
    session: Session, actor: Actor, household_id: uuid.UUID, goal_id: uuid.UUID
) -> tuple[Goal, Household] | None:
    """The goal, with its household, when the actor may report progress on it."""
    statement = reachable(Goal, progress_writers(actor), Goal, Household).where(
        col(Goal.id) == goal_id, col(Household.id) == household_id
    )
    row = session.execute(statement).one_or_none()
    return None if row is None else (row[0], row[1])


def reportable_goals(
    session: Session, actor: Actor, goal_ids: Collection[uuid.UUID]
) -> Sequence[Any]:
    """(goal id, household id, assigned organization, life domain) of the goals the actor may
    report on, in one query for a whole push."""
    statement = reachable(
        Goal,
        progress_writers(actor),
        col(Goal.id),
        col(Household.id),
        col(Goal.organization_id),
        col(Goal.life_domain),
    ).where(col(Goal.id).in_(goal_ids))
    return session.execute(statement).all()


def reported(
    session: Session, actor: Actor, goal_id: uuid.UUID, update_id: uuid.UUID
) -> ProgressUpdate | None:
    """An update of a goal the actor reports on, to be corrected."""
    statement = reachable(ProgressUpdate, progress_writers(actor)).where(
        col(ProgressUpdate.id) == update_id, col(ProgressUpdate.goal_id) == goal_id
    )
    return session.scalars(statement).one_or_none()


def by_external_ids(
    session: Session, actor: Actor, external_ids: Collection[str]
) -> dict[str, ProgressUpdate]:
    """The actor's organization's updates with these external ids, on goals it reports on."""
    statement = reachable(ProgressUpdate, progress_writers(actor)).where(
        col(ProgressUpdate.organization_id) == actor.org,
        col(ProgressUpdate.external_id).in_(external_ids),
    )
    return {update.external_id or "": update for update in session.scalars(statement).all()}


def corrected_ids(session: Session, actor: Actor, update_ids: Collection[uuid.UUID]) -> set[Any]:
    """Which of these updates a correction already names."""
    statement = reachable(
        ProgressUpdate, progress_writers(actor), col(ProgressUpdate.corrects_id)
    ).where(col(ProgressUpdate.corrects_id).in_(update_ids))
    return set(session.scalars(statement).all())


def _visible(actor: Actor, household_id: uuid.UUID) -> Any:
    """(update, id of its correction) of the household, in the life domains the actor sees."""
    return (
        readable(ProgressUpdate, actor, SCOPE, ProgressUpdate, col(_CORRECTION.id))
        .outerjoin(_CORRECTION, col(_CORRECTION.corrects_id) == col(ProgressUpdate.id))
        .where(col(ProgressUpdate.household_id) == household_id)
    )


def get_visible(
    session: Session, actor: Actor, household_id: uuid.UUID, update_id: uuid.UUID
) -> Any:
    statement = _visible(actor, household_id).where(col(ProgressUpdate.id) == update_id)
    return session.execute(statement).one_or_none()


def list_visible(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    page: PageRequest,
    *,
    goal_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> Sequence[Any]:
    """In the order written; filtered by goal, reporting organization, or from a moment on."""
    statement = _visible(actor, household_id)
    if goal_id is not None:
        statement = statement.where(col(ProgressUpdate.goal_id) == goal_id)
    if organization_id is not None:
        statement = statement.where(col(ProgressUpdate.organization_id) == organization_id)
    if since is not None:
        statement = statement.where(col(ProgressUpdate.created_at) >= since)
    ordered = paginate(statement, col(ProgressUpdate.created_at), col(ProgressUpdate.id), page)
    return session.execute(ordered).all()
