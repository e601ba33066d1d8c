"""Delivering the feed to webhook subscriptions: at least once, per household in order.

A worker leases one subscription at a time (several workers share them; a crashed worker's
lease runs out and another goes on), copies the feed past the subscription's place into
deliveries, and sends the due ones oldest first. Who may see an event is judged just before
it is sent: a withdrawn consent stops it, whenever it was written. Every outcome is a short
transaction of its own that first checks the lease is still this worker's, and no
transaction is open while a callback is called.
"""

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from functools import partial
from typing import Protocol

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gezinsplan.config import Settings
from gezinsplan.db import WRITE_OPTION, SessionFactory
from gezinsplan.events import feed
from gezinsplan.events import repository as event_store
from gezinsplan.events.cloud import to_cloud_event
from gezinsplan.events.models import Event
from gezinsplan.kit.clock import utcnow
from gezinsplan.webhooks import signing
from gezinsplan.webhooks.callbacks import check_callback
from gezinsplan.webhooks.delivery import repository
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from gezinsplan.webhooks.subscriber import actor_of

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/cloudevents+json"
FAN_OUT_LIMIT = 1000
BATCH = 100
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(hours=1)
# A receiver's Retry-After is honoured up to a day; longer would hide a dead callback.
LONGEST_RETRY_AFTER = timedelta(days=1)
PURGE_EVERY = timedelta(minutes=1)
# Events purged in one transaction, at most.
PURGE_BATCH = 10_000


class CallbackGuard(Protocol):
    def __call__(self, url: str) -> None:
        """Raise when ``url`` may not be called now (a private address, a bad scheme)."""


def callback_guard(settings: Settings) -> CallbackGuard:
    """The rule a subscription's callback was accepted by (``callbacks.check_callback``),
    checked again before every POST: the host may resolve to another address by now."""
    return partial(check_callback, settings=settings)


class Outcome(Enum):
    DELIVERED = "delivered"
    WITHHELD = "withheld"
    FAILED = "failed"
    DISABLED = "disabled"
    # The lease passed to another worker (this one stalled): stop this subscription.
    LEASE_LOST = "lease lost"


@dataclass(frozen=True)
class Answer:
    """What one POST came back with; never the payload, never the URL."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: datetime | None = None


@dataclass(frozen=True)
class Message:
    subscription: Subscription
    event_id: uuid.UUID
    body: bytes
    headers: dict[str, str]


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After`` as an instant: delay-seconds or an HTTP date; ``None`` when absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return min(when, now + LONGEST_RETRY_AFTER)


def backoff(attempts: int) -> timedelta:
    """Exponential from 5 s, capped at an hour, with full jitter above the first step, so
    subscriptions that failed together do not all retry together."""
    ceiling = min(LONGEST_RETRY, FIRST_RETRY * 2 ** min(attempts - 1, 20))
    seconds = random.uniform(FIRST_RETRY.total_seconds(), ceiling.total_seconds())  # noqa: S311
    return timedelta(seconds=seconds)


def wanted(subscription: Subscription, event: Event) -> bool:
    """The subscription's own filters: event types and household; not who may see it."""
    if subscription.event_types and event.type not in subscription.event_types:
        return False
    return subscription.household_id is None or subscription.household_id == event.household_id


class Deliverer:
    """One worker's deliveries. ``run_once`` works each subscription with work once."""

    def __init__(
        self,
        session_factory: SessionFactory,
        settings: Settings,
        guard: CallbackGuard,
        *,
        transport: httpx.BaseTransport | None = None,
        owner: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.guard = guard
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=settings.webhooks_lease_seconds)
        self.http = httpx.Client(
            timeout=settings.webhooks_timeout_seconds, follow_redirects=False, transport=transport
        )
        self._purged_at: datetime | None = None

    def close(self) -> None:
        self.http.close()

    def run_once(self) -> int:
        """Deliveries copied, sent or withheld in this round, over all subscriptions."""
        self._purge_now_and_then()
        done = 0
        visited: set[uuid.UUID] = set()
        while (claimed := self._claim(visited)) is not None:
            visited.add(claimed)
            try:
                done += self._work(claimed)
            finally:
                self._release(claimed)
        return done

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.session_factory.begin() as session:
            if isinstance(session.get_bind(), Engine):
                # SQLite: BEGIN IMMEDIATE, wait for the write lock instead of failing on it.
                session.connection(execution_options={WRITE_OPTION: True})
            yield session

    def _claim(self, visited: set[uuid.UUID]) -> uuid.UUID | None:
        now = utcnow()
        with self._transaction() as session:
            found = repository.claim(session, self.owner, now, now + self.lease, visited)
            return None if found is None else found.id

    def _release(self, subscription_id: uuid.UUID) -> None:
        with self._transaction() as session:
            repository.release(session, subscription_id, self.owner, utcnow())

    def _renew(self, session: Session, subscription_id: uuid.UUID) -> Subscription | None:
        now = utcnow()
        return repository.renew(session, subscription_id, self.owner, now, now + self.lease)

    def _work(self, subscription_id: uuid.UUID) -> int:
        copied = self._fan_out(subscription_id)
        if copied is None:
            return 0
        return copied + self._deliver(subscription_id)

    def _fan_out(self, subscription_id: uuid.UUID) -> int | None:
        """Copy the settled feed past the subscription's place into deliveries, in chunks.

        Visibility is not judged here but at delivery, when it counts.
        """
        copied = 0
        while True:
            with self._transaction() as session:
                subscription = self._renew(session, subscription_id)
                if subscription is None:
                    return None
                place = feed.Position.at(subscription.feed_txid, subscription.feed_seq)
                events = event_store.committed_after(session, place, FAN_OUT_LIMIT)
                if not events:
                    return copied
                now = utcnow()
                rows = [
                    {
                        "subscription_id": subscription_id,
                        "event_seq": event.seq,
                        "household_id": event.household_id,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for event in events
                    if wanted(subscription, event)
                ]
                repository.add_deliveries(session, rows)
                last = feed.Position.of(events[-1])
                subscription.feed_txid, subscription.feed_seq = last.txid, last.seq
                copied += len(rows)
            if len(events) < FAN_OUT_LIMIT:
                return copied

    def _deliver(self, subscription_id: uuid.UUID) -> int:
        """Send the due rows oldest first; a household that fails waits for its retry."""
        with self._transaction() as session:
            rows = repository.sendable(session, subscription_id, utcnow(), BATCH)
        blocked: set[uuid.UUID | None] = set()
        done = 0
        for row in rows:
            if row.household_id in blocked:
                continue
            outcome = self._deliver_one(subscription_id, row)
            if outcome is Outcome.LEASE_LOST:
                break
            done += 1
            if outcome is Outcome.DISABLED:
                break
            if outcome is Outcome.FAILED:
                blocked.add(row.household_id)
        return done

    def _deliver_one(self, subscription_id: uuid.UUID, row: Delivery) -> Outcome:
        message = self._message(subscription_id, row)
        if isinstance(message, Outcome):
            return message
        answer = self._post(message)
        with self._transaction() as session:
            subscription = self._renew(session, subscription_id)
            if subscription is None:
                return Outcome.LEASE_LOST
            return self._record(session, subscription, row, message.event_id, answer)

    def _message(self, subscription_id: uuid.UUID, row: Delivery) -> Message | Outcome:
        """The signed message, or ``WITHHELD`` when the subscriber may not see the event now."""
        with self._transaction() as session:
            subscription = self._renew(session, subscription_id)
            if subscription is None:
                return Outcome.LEASE_LOST
            event = repository.visible_event(session, actor_of(subscription), row.event_seq)
            if event is None:
                delivery = session.get(Delivery, row.id)
                assert delivery is not None
                delivery.status = DeliveryStatus.WITHHELD
                return Outcome.WITHHELD
            cloud_event = to_cloud_event(
                event, source=self.settings.event_source, base_url=self.settings.public_base_url
            )
            body = cloud_event.model_dump_json().encode()
            message_id = str(cloud_event.id)
            headers = signing.headers(subscription, message_id, body, utcnow())
            return Message(subscription, cloud_event.id, body, headers)

    def _post(self, message: Message) -> Answer:
        url = message.subscription.callback_url
        try:
            self.guard(url)
        except Exception:  # whatever the guard raises, the callback is not called
            return Answer(None, 0, "refused by the callback guard")
        started = time.monotonic()
        headers = message.headers | {"content-type": CONTENT_TYPE}
        try:
            # Streamed and closed unread: only the status and headers count, and a callback
            # cannot make the worker read a body of any size.
            with self.http.stream("POST", url, content=message.body, headers=headers) as response:
                status, waited = response.status_code, response.headers.get("retry-after")
        except httpx.TimeoutException:
            return Answer(None, _since(started), "timed out")
        except httpx.HTTPError as exc:
            return Answer(None, _since(started), type(exc).__name__)
        latency = _since(started)
        if 200 <= status < 300:
            return Answer(status, latency)
        return Answer(status, latency, f"HTTP {status}", retry_after(waited, utcnow()))

    def _record(
        self,
        session: Session,
        subscription: Subscription,
        row: Delivery,
        event_id: uuid.UUID,
        answer: Answer,
    ) -> Outcome:
        now = utcnow()
        delivery = session.get(Delivery, row.id)
        assert delivery is not None
        assert delivery.id is not None
        session.add(
            DeliveryAttempt(
                subscription_id=subscription.id,
                delivery_id=delivery.id,
                event_id=event_id,
                attempted_at=now,
                status_code=answer.status_code,
                latency_ms=answer.latency_ms,
                error=answer.error,
            )
        )
        delivery.attempts += 1
        if answer.error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            subscription.failing_since = None
            return Outcome.DELIVERED
        if answer.status_code == 410:
            _disable(subscription, "callback answered 410 Gone", now)
            return Outcome.DISABLED
        delivery.next_attempt_at = max(now + backoff(delivery.attempts), answer.retry_after or now)
        subscription.failing_since = subscription.failing_since or now
        limit = timedelta(days=self.settings.webhooks_disable_after_days)
        if now - subscription.failing_since >= limit:
            since = subscription.failing_since.isoformat(timespec="seconds")
            _disable(subscription, f"failing since {since}", now)
            return Outcome.DISABLED
        return Outcome.FAILED

    def _purge_now_and_then(self) -> None:
        """Expire old events once a minute, sparing those still owed to a subscription, and
        the deliveries and attempts settled as long ago. A long history goes in transactions
        of ``PURGE_BATCH`` events, one after the other: as one ``DELETE`` it held SQLite's
        write lock for seconds (decision 0039)."""
        now = utcnow()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        retention = timedelta(days=self.settings.event_retention_days)
        purged = 0
        while True:
            with self._transaction() as session:
                batch = event_store.purge(
                    session, retention, keep=repository.still_owed(), batch=PURGE_BATCH
                )
            purged += batch
            if batch < PURGE_BATCH:
                break
        with self._transaction() as session:
            settled = repository.purge(session, now - retention)
        self._purged_at = now
        if purged or settled:
            log.info(
                "purged %d events and %d settled deliveries older than %s",
                purged,
                settled,
                retention,
            )


def _disable(subscription: Subscription, reason: str, now: datetime) -> None:
    """Stop delivering; the pending rows stay, so re-enabling resumes where it stopped."""
    subscription.active = False
    subscription.disabled_reason = reason
    subscription.disabled_at = now
    subscription.version += 1
    subscription.updated_at = now
    log.warning("webhook subscription %s disabled: %s", subscription.id, reason)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
