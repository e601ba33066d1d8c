"""Reading and keeping published figures, by the scope of the actor who asked."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.kit.clock import utcnow
from gezinsplan.steering.snapshots.models import DEFINITIONS, PublishedFigures


@dataclass(frozen=True)
class Scope:
    """One report's indicator, scope and breakdown; its periods are looked up together."""

    indicator: str
    scope: str
    breakdown: str


def scope_of(actor: Actor, indicator: str, codes: Sequence[str], by: str | None) -> Scope:
    """Whose figures: the scope ``access.predicates.reportable_episodes`` counts for the actor
    (policy staff: their municipalities; an access team: its own episodes in them)."""
    municipalities = ",".join(sorted(codes))
    if actor.has(Role.POLICY):
        return Scope(indicator, f"municipalities:{municipalities}", by or "")
    return Scope(indicator, f"team:{actor.org}:{municipalities}", by or "")


def published(session: Session, scope: Scope, periods: Sequence[str]) -> dict[str, Any]:
    """The figures published before for these periods (by label), as stored."""
    statement = select(col(PublishedFigures.period), col(PublishedFigures.figures)).where(
        col(PublishedFigures.indicator) == scope.indicator,
        col(PublishedFigures.scope) == scope.scope,
        col(PublishedFigures.breakdown) == scope.breakdown,
        col(PublishedFigures.period).in_(periods),
        col(PublishedFigures.definitions) == DEFINITIONS,
    )
    return {row.period: row.figures for row in session.execute(statement)}


def publish(session: Session, scope: Scope, period: str, figures: Any) -> None:
    """Keep a passed period's published figures; a concurrent request may have kept them
    first, and then those stay (both computed the same)."""
    row = {
        "indicator": scope.indicator,
        "scope": scope.scope,
        "breakdown": scope.breakdown,
        "period": period,
        "definitions": DEFINITIONS,
        "figures": figures,
        "published_at": utcnow(),
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(PublishedFigures).values(row).on_conflict_do_nothing())


def published_scopes(session: Session) -> dict[Scope, list[str]]:
    """Every report published so far, with the periods it holds (labels)."""
    statement = select(
        col(PublishedFigures.indicator),
        col(PublishedFigures.scope),
        col(PublishedFigures.breakdown),
        col(PublishedFigures.period),
    ).where(col(PublishedFigures.definitions) == DEFINITIONS)
    found: dict[Scope, list[str]] = {}
    for row in session.execute(statement):
        found.setdefault(Scope(row.indicator, row.scope, row.breakdown), []).append(row.period)
    return found
