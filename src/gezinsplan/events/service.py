"""Appending events in the caller's transaction."""

import uuid
from collections.abc import Collection, Sequence
from enum import StrEnum

from sqlalchemy.orm import Session

from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import note_change
from gezinsplan.auth.actor import Actor
from gezinsplan.events import repository
from gezinsplan.events.models import ADDRESSED, Event
from gezinsplan.kit.clock import new_id, utcnow


class EventType(StrEnum):
    ORGANIZATION_CREATED = "organization.created"
    HOUSEHOLD_OPENED = "household.opened"
    HOUSEHOLD_UPDATED = "household.updated"
    HOUSEHOLD_CLOSED = "household.closed"
    HOUSEHOLD_REOPENED = "household.reopened"
    # Addressed to each organization that received the household's data (AVG art. 19).
    HOUSEHOLD_ERASED = "household.erased"
    MEMBER_ADDED = "member.added"
    MEMBER_UPDATED = "member.updated"
    MEMBER_CORRECTED = "member.corrected"
    MEMBER_REMOVED = "member.removed"
    PLAN_CREATED = "plan.created"
    PLAN_UPDATED = "plan.updated"
    PLAN_APPROVED = "plan.approved"
    GOAL_ADDED = "goal.added"
    GOAL_UPDATED = "goal.updated"
    GOAL_REMOVED = "goal.removed"
    ACTION_ADDED = "action.added"
    ACTION_UPDATED = "action.updated"
    EVALUATION_ADDED = "evaluation.added"
    REGISSEUR_ASSIGNED = "regisseur.assigned"
    CARE_PROVIDER_ADDED = "care_provider.added"
    ROLE_ENDED = "role.ended"
    CONSENT_GIVEN = "consent.given"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    PROGRESS_REPORTED = "progress.reported"
    PROGRESS_CORRECTED = "progress.corrected"
    INDICATION_CREATED = "indication.created"
    INDICATION_UPDATED = "indication.updated"
    INDICATION_LINKED = "indication.linked"
    # The family's statement on an assessment: the event names the assessment, in its scope.
    STATEMENT_ADDED = "statement.added"


# The part of a household's file each type of change is about: the part a reader must be
# allowed to read to see the event (access/predicates.visible_events).
SCOPE_OF_WORD = {
    "household": Scope.BASIC,
    "member": Scope.BASIC,
    "plan": Scope.PLAN,
    "goal": Scope.PLAN,
    "action": Scope.PLAN,
    "evaluation": Scope.PLAN,
    "regisseur": Scope.ROLES,
    "care_provider": Scope.ROLES,
    "role": Scope.ROLES,
    "consent": Scope.CONSENTS,
    "progress": Scope.PROGRESS,
    "indication": Scope.INDICATIONS,
}


# A statement's event is about the assessment it is attached to, and in that one's scope.
SCOPE_OF_RESOURCE = {
    "goal": Scope.PLAN,
    "evaluation": Scope.PLAN,
    "progress_update": Scope.PROGRESS,
}


def scope_of(type_: EventType, resource_type: str = "") -> Scope | None:
    """The scope an event of this type belongs to; ``None`` for changes outside any file."""
    if type_ is EventType.PLAN_APPROVED:
        return Scope.APPROVALS
    if type_ is EventType.STATEMENT_ADDED:
        return SCOPE_OF_RESOURCE[resource_type]
    return SCOPE_OF_WORD.get(type_.split(".", 1)[0])


def record_event(
    session: Session,
    type_: EventType,
    *,
    actor: Actor,
    resource_type: str,
    resource_id: uuid.UUID,
    household_id: uuid.UUID | None = None,
    life_domain: str | None = None,
) -> None:
    """Add the event to the session, so it commits or rolls back with the change itself.

    ``life_domain`` is the goal's, for a change to a goal, its actions or its progress.
    """
    session.add(
        Event(
            type=type_,
            household_id=household_id,
            resource_type=resource_type,
            resource_id=resource_id,
            organization_id=actor.org,
            scope=scope_of(type_, resource_type),
            life_domain=life_domain,
        )
    )
    note_change(session, resource_id, household_id)


def address_events(
    session: Session,
    type_: EventType,
    *,
    household_id: uuid.UUID,
    addressees: Collection[uuid.UUID],
) -> None:
    """One event about the household for each organization, seen by that one alone."""
    now = utcnow()
    repository.insert_many(
        session,
        [
            {
                "type": str(type_),
                "occurred_at": now,
                "household_id": household_id,
                "resource_type": "household",
                "resource_id": household_id,
                "organization_id": None,
                "addressee_id": addressee,
                "id": new_id(),
                "scope": ADDRESSED,
                "life_domain": None,
            }
            for addressee in sorted(addressees)
        ],
    )


def record_events(
    session: Session,
    type_: EventType,
    *,
    actor: Actor,
    resource_type: str,
    resources: Sequence[tuple[uuid.UUID, uuid.UUID | None, str | None]],
) -> None:
    """Many events of one type in one executemany: a bulk change's (resource, household,
    life domain)."""
    now = utcnow()
    scope = scope_of(type_, resource_type)
    repository.insert_many(
        session,
        [
            {
                "type": str(type_),
                "occurred_at": now,
                "household_id": household_id,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "organization_id": actor.org,
                "id": new_id(),
                "scope": scope,
                "life_domain": life_domain,
            }
            for resource_id, household_id, life_domain in resources
        ],
    )
