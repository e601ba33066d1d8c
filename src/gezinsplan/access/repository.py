"""The queries behind the grounds and the visibility of an access already granted.

Each still applies the household predicate, so none can answer for a household the actor
does not reach.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import and_, bindparam, null, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access import statements
from gezinsplan.access.predicates import (
    KEPT,
    known_households,
    may_coordinate,
    own_household,
    regisseur_conditions,
    valid_on,
    works_on,
)
from gezinsplan.access.scopes import CONSENT_CATEGORY, Scope
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.households.models import Household, HouseholdKey
from gezinsplan.kit import clock
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.roles.models import RoleAssignment, RoleType, active

REGISSEUR_KEY = "gezinsplan_regisseur_assignment"

# The actor's own assignment and consents, read beside the household they belong to.
_OWN = shared_alias(RoleAssignment, "own_assignment")
_HELD = shared_alias(Consent, "reader_consent")
_HELD_CATEGORY = shared_alias(ConsentCategory, "reader_category")
_HELD_DOMAIN = shared_alias(ConsentDomain, "reader_domain")
_HELD_COLUMNS = (
    col(_HELD.id),
    col(_HELD.created_at),
    col(_HELD.purpose),
    col(_HELD_CATEGORY.category),
    col(_HELD_DOMAIN.life_domain),
)


def load_household(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope, *, write: bool
) -> Household | None:
    """The household, when the actor may read (or change) this part of its file."""
    statement = household_statement(actor, scope, write=write)
    return admitted(
        session, actor, scope, session.execute(statement, {"household_id": household_id}).all()
    )


def load_household_key(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope
) -> HouseholdKey | None:
    """``load_household`` for a route that only reads: the same rule and grounds, the
    household as a plain row on the session's connection, no ORM instance."""
    statement = _household_statement(actor, scope, False, clock.today(), keyed=True)
    rows = session.connection().execute(statement, {"household_id": household_id}).all()
    if not rows:
        return None
    household = HouseholdKey(rows[0][0], rows[0][1])
    _keep_grounds(session, actor, scope, household.id, rows, at=2)
    return household


def is_known_household(session: Session, actor: Actor, household_id: uuid.UUID) -> bool:
    """Whether the actor may read some part of the household: asked only once a rule has
    refused it, to tell a 403 from a 404."""
    statement = _known_statement(actor, clock.today())
    found = session.connection().execute(statement, {"household_id": household_id})
    return found.first() is not None


@lru_cache(maxsize=KEPT)
def _known_statement(actor: Actor, today: date) -> Any:  # noqa: ARG001 (the key: a new day)
    """Built once per actor and day, as ``_household_statement``: building it and its cache
    key on every refusal cost more than the lookup."""
    statement = statements.reachable(Household, known_households(actor), col(Household.id))
    return statement.where(col(Household.id) == bindparam("household_id"))


def household_statement(actor: Actor, scope: Scope, *, write: bool) -> Any:
    """The household ``:household_id`` when the actor may read (or change) this part, with
    what its grounds ask next: whether the actor is its regisseur and, for a care provider,
    which consents its organization holds. A loader may add columns and outer joins (its own
    rows then start at ``extra_at``) and hands the rows to ``admitted``."""
    return _household_statement(actor, scope, write, clock.today())


def extra_at(actor: Actor, scope: Scope) -> int:
    """Where the columns a loader added to ``household_statement`` begin in its rows."""
    return 2 + (len(_HELD_COLUMNS) if _reads_consents(actor, scope) else 0)


def admitted(session: Session, actor: Actor, scope: Scope, rows: Sequence[Any]) -> Household | None:
    """The household of ``household_statement``'s rows, its grounds' answers kept on the
    session, which lives as long as the request."""
    if not rows:
        return None
    household = cast(Household, rows[0][0])
    _keep_grounds(session, actor, scope, household.id, rows, at=1)
    return household


def _keep_grounds(
    session: Session,
    actor: Actor,
    scope: Scope,
    household_id: uuid.UUID,
    rows: Sequence[Any],
    *,
    at: int,
) -> None:
    """Keep what the household's rows say of its grounds (the actor's regisseur assignment
    in column ``at``, the held consents after it) on the session, which lives as long as the
    request."""
    session.info.setdefault(REGISSEUR_KEY, {})[household_id] = rows[0][at]
    if _reads_consents(actor, scope):
        end = at + 1 + len(_HELD_COLUMNS)
        held = {HeldConsent(*row[at + 1 : end]) for row in rows if row[at + 1] is not None}
        ordered = sorted(held, key=lambda c: (c.created_at, str(c.consent_id)))
        session.info.setdefault(HELD_KEY, {})[household_id, scope] = ordered


def _reads_consents(actor: Actor, scope: Scope) -> bool:
    """A care provider's grounds and view come from its organization's consents."""
    return scope in CONSENT_CATEGORY and actor.has(Role.CARE_PROVIDER) and actor.org is not None


@lru_cache(maxsize=KEPT)
def _household_statement(
    actor: Actor, scope: Scope, write: bool, today: date, *, keyed: bool = False
) -> Any:
    """Built once per actor, part and day: the statement's cache key is then computed once,
    not on every request (it cost more than the lookup it asks for). ``keyed``: the
    household's id and municipality in place of the ORM entity."""
    own = _own_assignment(actor)
    household: tuple[Any, ...] = (
        (col(Household.id), col(Household.municipality_code)) if keyed else (Household,)
    )
    statement = (
        statements.editable(Household, actor, scope, *household, own)
        if write
        else statements.readable(Household, actor, scope, *household, own)
    )
    if _reads_consents(actor, scope):
        consent, covered, limit = _HELD, _HELD_CATEGORY, _HELD_DOMAIN
        statement = (
            statement.add_columns(*_HELD_COLUMNS)
            .outerjoin(
                consent,
                and_(
                    col(consent.household_id) == col(Household.id),
                    col(consent.grantee_organization_id) == actor.org,
                    *valid_on(consent, today),
                ),
            )
            .outerjoin(covered, col(covered.consent_id) == col(consent.id))
            .outerjoin(limit, col(limit.consent_id) == col(consent.id))
        )
    return statement.where(col(Household.id) == bindparam("household_id"))


def _own_assignment(actor: Actor) -> Any:
    """The id of the actor's active regisseur assignment to the household, else NULL."""
    if not may_coordinate(actor):
        return null().label("own_assignment")
    found = select(col(_OWN.id)).where(*regisseur_conditions(_OWN, actor))
    return found.correlate(Household).scalar_subquery().label("own_assignment")


def regisseur_assignment(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> uuid.UUID | None:
    """The actor's active regisseur assignment to the household, if any."""
    memo: dict[uuid.UUID, uuid.UUID | None] = session.info.setdefault(REGISSEUR_KEY, {})
    if household_id not in memo:
        statement = statements.readable(
            RoleAssignment, actor, Scope.ROLES, col(RoleAssignment.id)
        ).where(col(Household.id) == household_id, *regisseur_conditions(RoleAssignment, actor))
        memo[household_id] = session.scalars(statement).first()
    return memo[household_id]


@dataclass(frozen=True)
class HeldConsent:
    """One category (and, when the consent is limited, one life domain) of a valid consent."""

    consent_id: uuid.UUID
    created_at: datetime
    purpose: str
    category: str
    life_domain: str | None


HELD_KEY = "gezinsplan_held_consents"


def held_consents(
    session: Session, actor: Actor, household_id: uuid.UUID, scope: Scope
) -> list[HeldConsent]:
    """The organization's consents on the household valid today, read once per request.

    Both the legal basis of the audit record and the response's visibility come from them;
    the session lives as long as the request, so neither asks the database twice.
    """
    memo: dict[tuple[uuid.UUID, Scope], list[HeldConsent]] = session.info.setdefault(HELD_KEY, {})
    if (household_id, scope) not in memo:
        columns = (
            col(Consent.id),
            col(Consent.created_at),
            col(Consent.purpose),
            col(ConsentCategory.category),
            col(ConsentDomain.life_domain),
        )
        statement = (
            statements.readable(Consent, actor, scope, *columns)
            .join(ConsentCategory, col(ConsentCategory.consent_id) == col(Consent.id))
            .outerjoin(ConsentDomain, col(ConsentDomain.consent_id) == col(Consent.id))
            .where(
                col(Consent.household_id) == household_id,
                col(Consent.grantee_organization_id) == actor.org,
                *valid_on(Consent, clock.today()),
            )
            .order_by(col(Consent.created_at), col(Consent.id))
        )
        memo[household_id, scope] = [HeldConsent(*row) for row in session.execute(statement)]
    return memo[household_id, scope]


def care_assignments(
    session: Session, actor: Actor, household_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The active care-provider assignment of the actor's organization, by household."""
    columns = (col(RoleAssignment.household_id), col(RoleAssignment.id))
    statement = statements.reachable(RoleAssignment, works_on(actor), *columns).where(
        col(RoleAssignment.household_id).in_(household_ids),
        col(RoleAssignment.organization_id) == actor.org,
        *active(RoleAssignment, RoleType.CARE_PROVIDER),
    )
    return {row[0]: row[1] for row in session.execute(statement).all()}


def is_own_household(session: Session, actor: Actor, household_id: uuid.UUID) -> bool:
    """Whether the household is the resident's own: their ``member`` claim is one of it."""
    statement = statements.reachable(Household, own_household(actor), col(Household.id)).where(
        col(Household.id) == household_id
    )
    return session.scalars(statement).first() is not None
