"""Where every query on case data starts: a select of a case table, joined up to its household
(``tables.PATHS``) and filtered there by what the actor may reach.

A repository narrows these (``.where``, ``.order_by``, ``.outerjoin``) and never builds its own
``select`` of a case table, so a list, a detail and an export share one rule; a lint in
tests/test_architecture.py holds every repository to it.
"""

from typing import Any, TypeVar, overload

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.sql.elements import True_
from sqlmodel import SQLModel, col

from gezinsplan.access.predicates import (
    editable_households,
    in_consented_domains,
    synced_indications,
    unrestricted_member,
    visible_events,
    visible_households,
)
from gezinsplan.access.scopes import CONSENT_CATEGORY, Scope
from gezinsplan.access.tables import LIFE_DOMAIN, MEMBER, PATHS
from gezinsplan.auth.actor import Actor
from gezinsplan.events.models import Event
from gezinsplan.households.models import Household
from gezinsplan.indications.models import Indication

T = TypeVar("T", bound=SQLModel)
Rows = Select[*tuple[Any, ...]]


@overload
def readable(table: type[T], actor: Actor, scope: Scope) -> Select[T]: ...
@overload
def readable(table: type[SQLModel], actor: Actor, scope: Scope, *columns: Any) -> Rows: ...
def readable(table: type[SQLModel], actor: Actor, scope: Scope, *columns: Any) -> Any:
    """``table`` (or ``columns``) of the households whose ``scope`` the actor may read.

    Rows in a life domain are further kept to the domains the actor's consent names, and rows
    about a member to the members no restriction holds back from the actor.
    """
    statement = reachable(table, visible_households(actor, scope), *columns)
    if table in MEMBER:
        member_rule = unrestricted_member(actor, MEMBER[table])
        if not isinstance(member_rule, True_):
            statement = statement.where(member_rule)
    if table in LIFE_DOMAIN:
        # A scope that no consent opens ("") leaves the full grounds and the resident's own.
        category = CONSENT_CATEGORY.get(scope, "")
        statement = statement.where(in_consented_domains(actor, category, LIFE_DOMAIN[table]))
    return statement


@overload
def editable(table: type[T], actor: Actor, scope: Scope) -> Select[T]: ...
@overload
def editable(table: type[SQLModel], actor: Actor, scope: Scope, *columns: Any) -> Rows: ...
def editable(table: type[SQLModel], actor: Actor, scope: Scope, *columns: Any) -> Any:
    """``table`` (or ``columns``) of the households whose ``scope`` the actor may change.

    No life-domain filter: who may change a part of the file sees all of it.
    """
    return reachable(table, editable_households(actor, scope), *columns)


@overload
def reachable(table: type[T], households: ColumnElement[bool]) -> Select[T]: ...
@overload
def reachable(table: type[SQLModel], households: ColumnElement[bool], *columns: Any) -> Rows: ...
def reachable(table: type[SQLModel], households: ColumnElement[bool], *columns: Any) -> Any:
    """``table`` (or ``columns``) of the households an access predicate holds for.

    For the rules beside reading and changing a scope: ``progress_writers``, ``works_on``,
    ``linkable_households``. The lint accepts only a predicate of access.predicates here.
    """
    statement = select(*(columns or (table,))).select_from(table)
    for step in PATHS[table]:
        statement = statement.join(step.table, step.on)
    return statement.where(households)


@overload
def synced(actor: Actor) -> Select[Indication]: ...
@overload
def synced(actor: Actor, *columns: Any) -> Rows: ...
def synced(actor: Actor, *columns: Any) -> Any:
    """Indications a municipal system keeps: its municipalities', linked to a file or not.

    The one case table read other than through its household: a system mirrors the
    municipality's decisions, and an indication waits unlinked until its person is in a file.
    """
    return select(*(columns or (Indication,))).where(synced_indications(actor))


@overload
def feed(actor: Actor) -> Select[Event]: ...
@overload
def feed(actor: Actor, *columns: Any) -> Rows: ...
def feed(actor: Actor, *columns: Any) -> Any:
    """Events the actor may see now (``predicates.visible_events``), with their household.

    Who sees an event is decided when it is read or delivered, never when it was written:
    after a consent is withdrawn, no event of that household reaches the organization.
    """
    return (
        select(*(columns or (Event,)))
        .select_from(Event)
        .outerjoin(Household, col(Household.id) == col(Event.household_id))
        .where(visible_events(actor))
    )


def feed_scan(actor: Actor) -> Select[Event, bool]:
    """Every event with whether the actor may see it now, for a reader that pages through
    the feed: its cursor moves past the events it may not see as well, in one statement."""
    return (
        select(Event, visible_events(actor).label("visible"))
        .select_from(Event)
        .outerjoin(Household, col(Household.id) == col(Event.household_id))
    )
