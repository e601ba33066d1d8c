"""Appending events in the caller's transaction."""

import uuid
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy.orm import Session

from gezinsplan.audit.trail import note_change
from gezinsplan.auth.actor import Actor
from gezinsplan.events import repository
from gezinsplan.events.models import Event
from gezinsplan.kit.clock import utcnow


class EventType(StrEnum):
    ORGANIZATION_CREATED = "organization.created"
    HOUSEHOLD_OPENED = "household.opened"
    HOUSEHOLD_UPDATED = "household.updated"
    HOUSEHOLD_CLOSED = "household.closed"
    HOUSEHOLD_REOPENED = "household.reopened"
    MEMBER_ADDED = "member.added"
    MEMBER_UPDATED = "member.updated"
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


def record_event(
    session: Session,
    type_: EventType,
    *,
    actor: Actor,
    resource_type: str,
    resource_id: uuid.UUID,
    household_id: uuid.UUID | None = None,
) -> None:
    """Add the event to the session, so it commits or rolls back with the change itself."""
    session.add(
        Event(
            type=type_,
            household_id=household_id,
            resource_type=resource_type,
            resource_id=resource_id,
            organization_id=actor.org,
        )
    )
    note_change(session, resource_id, household_id)


def record_events(
    session: Session,
    type_: EventType,
    *,
    actor: Actor,
    resource_type: str,
    resources: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
) -> None:
    """Many events of one type in one executemany: a bulk change's (resource, household) ids."""
    now = utcnow()
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
            }
            for resource_id, household_id in resources
        ],
    )
