"""Queries on subscriptions, their deliveries and attempts (an organization's, no case data).

Every read of a subscription starts from ``owned(actor)``, so the list, a detail and a
change agree on whose it is; another organization's subscription is not found.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.events.models import Event
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription

FAILURE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class State:
    """How a subscription is doing: what waits, since when, and how often it failed lately."""

    backlog: int = 0
    oldest_pending_at: datetime | None = None
    failed_attempts_24h: int = 0


def owned(actor: Actor) -> ColumnElement[bool]:
    """An administrator's: all; a machine client's: its organization's."""
    if actor.has(Role.ADMIN):
        return true()
    return col(Subscription.organization_id) == actor.org


def _observed(since: datetime) -> Select[Any]:
    """Subscriptions with their state, each figure a correlated subquery on an index of its
    table, so a page of them is one query."""
    pending = and_(
        col(Delivery.subscription_id) == col(Subscription.id),
        col(Delivery.status) == DeliveryStatus.PENDING,
    )
    backlog = select(func.count()).where(pending).correlate(Subscription).scalar_subquery()
    oldest = (
        select(func.min(col(Delivery.created_at)))
        .where(pending)
        .correlate(Subscription)
        .scalar_subquery()
    )
    failed = (
        select(func.count())
        .where(
            col(DeliveryAttempt.subscription_id) == col(Subscription.id),
            col(DeliveryAttempt.attempted_at) >= since,
            or_(
                col(DeliveryAttempt.status_code).is_(None),
                col(DeliveryAttempt.status_code) < 200,
                col(DeliveryAttempt.status_code) > 299,
            ),
        )
        .correlate(Subscription)
        .scalar_subquery()
    )
    return select(Subscription, backlog, oldest, failed)


def _state(row: Any) -> tuple[Subscription, State]:
    subscription, backlog, oldest, failed = row
    return subscription, State(int(backlog or 0), oldest, int(failed or 0))


def get_observed(
    session: Session, actor: Actor, subscription_id: uuid.UUID, now: datetime
) -> tuple[Subscription, State] | None:
    statement = _observed(now - FAILURE_WINDOW).where(
        owned(actor), col(Subscription.id) == subscription_id
    )
    row = session.execute(statement).first()
    return None if row is None else _state(row)


def list_observed(
    session: Session,
    actor: Actor,
    page: PageRequest,
    now: datetime,
    *,
    organization_id: uuid.UUID | None = None,
) -> list[tuple[Subscription, State]]:
    statement = _observed(now - FAILURE_WINDOW).where(owned(actor))
    if organization_id is not None:
        statement = statement.where(col(Subscription.organization_id) == organization_id)
    paged = paginate(statement, col(Subscription.created_at), col(Subscription.id), page)
    return [_state(row) for row in session.execute(paged)]


def attempts(
    session: Session, subscription_id: uuid.UUID, limit: int, before: int | None
) -> Sequence[tuple[DeliveryAttempt, str]]:
    """The subscription's attempts, newest first, each with its delivery's status now; one
    more than ``limit`` to tell whether a next page exists."""
    statement = (
        select(DeliveryAttempt, col(Delivery.status))
        .join(Delivery, col(Delivery.id) == col(DeliveryAttempt.delivery_id))
        .where(col(DeliveryAttempt.subscription_id) == subscription_id)
    )
    if before is not None:
        statement = statement.where(col(DeliveryAttempt.id) < before)
    statement = statement.order_by(col(DeliveryAttempt.id).desc()).limit(limit + 1)
    return [(attempt, status) for attempt, status in session.execute(statement)]


def delivery_of_event(session: Session, subscription_id: uuid.UUID, event_id: uuid.UUID) -> bool:
    """Whether the event (by its public id) is owed to the subscription at all."""
    statement = (
        select(col(Delivery.id))
        .join(Event, col(Event.seq) == col(Delivery.event_seq))
        .where(col(Delivery.subscription_id) == subscription_id, col(Event.id) == event_id)
    )
    return session.scalars(statement.limit(1)).first() is not None


def requeue(
    session: Session,
    subscription_id: uuid.UUID,
    now: datetime,
    *,
    event_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> int:
    """Put the subscription's deliveries of one event, or of every event from ``since`` on,
    back in the queue, due now; the retry schedule starts over."""
    events = select(col(Event.seq))
    if event_id is not None:
        events = events.where(col(Event.id) == event_id)
    if since is not None:
        events = events.where(col(Event.occurred_at) >= since)
    result: Any = session.execute(
        update(Delivery)
        .where(
            col(Delivery.subscription_id) == subscription_id,
            col(Delivery.event_seq).in_(events),
        )
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def resume(session: Session, subscription_id: uuid.UUID, now: datetime) -> None:
    """A re-enabled subscription's waiting deliveries are due now, their retry schedule
    started over: the subscriber has just fixed its end."""
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.subscription_id) == subscription_id,
            col(Delivery.status) == DeliveryStatus.PENDING,
        )
        .values(next_attempt_at=now, attempts=0)
        .execution_options(synchronize_session=False)
    )
