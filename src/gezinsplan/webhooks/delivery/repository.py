"""The delivery worker's queries: leases, the copy of the feed into deliveries, the rows due.

A row is *sendable* when it is pending, due, and no earlier pending row of its household in
the same subscription is still waiting for a retry: a household's events go out in feed
order or not at all.
"""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, tuple_, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from gezinsplan.access.statements import feed
from gezinsplan.auth.actor import Actor
from gezinsplan.events.models import Event
from gezinsplan.events.repository import beyond
from gezinsplan.kit.bulk import execute_many, insert_rows
from gezinsplan.webhooks.models import Delivery, DeliveryStatus, Subscription

DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
PENDING = DeliveryStatus.PENDING.value


def _sendable(now: datetime) -> ColumnElement[bool]:
    earlier = aliased(Delivery)
    waiting = exists().where(
        col(earlier.subscription_id) == col(Delivery.subscription_id),
        col(earlier.household_id).is_not_distinct_from(col(Delivery.household_id)),
        col(earlier.status) == PENDING,
        col(earlier.id) < col(Delivery.id),
        col(earlier.next_attempt_at) > now,
    )
    return and_(col(Delivery.status) == PENDING, col(Delivery.next_attempt_at) <= now, ~waiting)


def claim(
    session: Session,
    owner: str,
    now: datetime,
    until: datetime,
    skip: Collection[uuid.UUID],
) -> Subscription | None:
    """Lease the active subscription with work that waited longest, skipping ``skip``.

    ``SKIP LOCKED`` lets workers on one PostgreSQL pass each other's claims; SQLite, with
    its one writer, renders no locking clause.
    """
    has_work = or_(
        beyond(session, col(Subscription.feed_txid), col(Subscription.feed_seq)),
        exists().where(col(Delivery.subscription_id) == col(Subscription.id), _sendable(now)),
    )
    conditions = [
        col(Subscription.active),
        or_(col(Subscription.lease_until).is_(None), col(Subscription.lease_until) <= now),
        has_work,
    ]
    if skip:
        conditions.append(col(Subscription.id).not_in(list(skip)))
    statement = (
        select(Subscription)
        .where(*conditions)
        .order_by(col(Subscription.lease_until).asc().nulls_first(), col(Subscription.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    found = session.scalars(statement).first()
    if found is not None:
        found.lease_owner, found.lease_until = owner, until
    return found


def renew(
    session: Session, subscription_id: uuid.UUID, owner: str, now: datetime, until: datetime
) -> Subscription | None:
    """The subscription, its lease extended, when ``owner`` still holds it (the fence)."""
    statement = (
        select(Subscription)
        .where(
            col(Subscription.id) == subscription_id,
            col(Subscription.lease_owner) == owner,
            col(Subscription.lease_until) > now,
            col(Subscription.active),
        )
        .with_for_update()
    )
    found = session.scalars(statement).first()
    if found is not None:
        found.lease_until = until
    return found


def release(session: Session, subscription_id: uuid.UUID, owner: str, now: datetime) -> None:
    """End the lease; ``lease_until`` stays as when it was last worked on, for fair turns."""
    session.execute(
        update(Subscription)
        .where(col(Subscription.id) == subscription_id, col(Subscription.lease_owner) == owner)
        .values(lease_owner=None, lease_until=now)
    )


def add_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deliveries in feed order; one already there (a repeated fan-out) is left be."""
    if rows:
        new: Any = insert_rows(session, DELIVERIES)
        statement = new.on_conflict_do_nothing(index_elements=["subscription_id", "event_seq"])
        execute_many(session, statement, rows)


def sendable(
    session: Session, subscription_id: uuid.UUID, now: datetime, limit: int
) -> list[Delivery]:
    """The rows to try now, in feed order."""
    statement = (
        select(Delivery)
        .where(col(Delivery.subscription_id) == subscription_id, _sendable(now))
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    return list(session.scalars(statement))


def visible_event(session: Session, actor: Actor, seq: int) -> Event | None:
    """The event, when the subscriber may see it now; judged just before it is sent."""
    return session.scalars(feed(actor).where(col(Event.seq) == seq)).first()


def still_owed() -> ColumnElement[bool]:
    """Events the purge spares: pending for a subscription, or not yet copied for one."""
    pending = exists().where(
        col(Delivery.event_seq) == col(Event.seq), col(Delivery.status) == PENDING
    )
    behind = exists().where(
        tuple_(col(Event.txid), col(Event.seq))
        > tuple_(col(Subscription.feed_txid), col(Subscription.feed_seq))
    )
    return or_(pending, behind)


def purge(session: Session, before: datetime) -> int:
    """Delete the deliveries settled (delivered or withheld) and created before ``before``,
    their attempts with them (ON DELETE CASCADE): a subscription's log spans what the feed
    keeps. A pending one stays, as its event does (``still_owed``)."""
    settled = or_(col(Delivery.delivered_at).is_(None), col(Delivery.delivered_at) < before)
    statement = (
        delete(Delivery)
        .where(col(Delivery.created_at) < before, col(Delivery.status) != PENDING, settled)
        .execution_options(synchronize_session=False)
    )
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)
