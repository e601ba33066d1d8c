"""The queries behind the scrape-time gauges: counts and ages, never a row's content."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, not_, or_, select, text, tuple_
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.audit.chain import backlog
from gezinsplan.events.models import Event
from gezinsplan.events.repository import settled
from gezinsplan.idempotency.models import IdempotencyKey
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription

# A scrape must not hold the database: its statements get this long at most.
SCRAPE_TIMEOUT_MS = 2000
FAILURES_WINDOW = timedelta(hours=1)


@dataclass
class Snapshot:
    audit_unsealed: int = 0
    audit_seal_lag_seconds: float = 0.0
    idempotency_keys: int = 0
    events_unsettled: int = 0
    feed_lag_events: int = 0
    feed_lag_seconds: float = 0.0
    deliveries_pending: int = 0
    deliveries_retrying: int = 0
    delivery_lag_seconds: float = 0.0
    delivery_failures_last_hour: int = 0
    subscriptions: dict[str, int] = field(default_factory=dict)

    def gauges(self) -> list[tuple[str, str, float]]:
        return [
            (
                "gezinsplan_audit_records_unsealed",
                "Committed audit records the sealer has not chained yet.",
                self.audit_unsealed,
            ),
            (
                "gezinsplan_audit_seal_lag_seconds",
                "Age of the oldest audit record waiting to be sealed; 0 when none waits.",
                self.audit_seal_lag_seconds,
            ),
            (
                "gezinsplan_idempotency_keys_stored",
                "Idempotency-Key responses stored for replay.",
                self.idempotency_keys,
            ),
            (
                "gezinsplan_events_unsettled",
                "Events whose transaction may still be running (PostgreSQL); the feed waits.",
                self.events_unsettled,
            ),
            (
                "gezinsplan_event_feed_lag_events",
                "Settled events the furthest-behind active subscription has not taken yet.",
                self.feed_lag_events,
            ),
            (
                "gezinsplan_event_feed_lag_seconds",
                "Age of the oldest event the furthest-behind active subscription has not "
                "taken yet.",
                self.feed_lag_seconds,
            ),
            (
                "gezinsplan_webhook_deliveries_pending",
                "Webhook deliveries not yet delivered.",
                self.deliveries_pending,
            ),
            (
                "gezinsplan_webhook_deliveries_retrying",
                "Pending webhook deliveries that failed at least once.",
                self.deliveries_retrying,
            ),
            (
                "gezinsplan_webhook_delivery_lag_seconds",
                "Age of the oldest pending webhook delivery.",
                self.delivery_lag_seconds,
            ),
            (
                "gezinsplan_webhook_delivery_failures_last_hour",
                "Callback attempts in the last hour that got no 2xx answer.",
                self.delivery_failures_last_hour,
            ),
        ]


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def _read_only(session: Session) -> None:
    """A transaction of the scrape's own: read-only, and short (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql" and isinstance(session.get_bind(), Engine):
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(text(f"SET LOCAL statement_timeout = {SCRAPE_TIMEOUT_MS}"))


def snapshot(session: Session, now: datetime) -> Snapshot:
    """Every scrape-time figure, in the caller's one transaction."""
    _read_only(session)
    found = Snapshot()
    found.audit_unsealed, oldest_unsealed = backlog(session)
    found.audit_seal_lag_seconds = _age(now, oldest_unsealed)
    found.idempotency_keys = (
        session.scalar(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(col(IdempotencyKey.expires_at) > now)
        )
        or 0
    )
    if session.get_bind().dialect.name == "postgresql":
        found.events_unsettled = (
            session.scalar(select(func.count()).select_from(Event).where(not_(settled(session))))
            or 0
        )
    behind = session.execute(
        select(col(Subscription.feed_txid), col(Subscription.feed_seq))
        .where(col(Subscription.active))
        .order_by(col(Subscription.feed_txid), col(Subscription.feed_seq))
        .limit(1)
    ).first()
    if behind is not None:
        lag, oldest_event = session.execute(
            select(func.count(), func.min(col(Event.occurred_at))).where(
                settled(session),
                tuple_(col(Event.txid), col(Event.seq)) > tuple_(behind[0], behind[1]),
            )
        ).one()
        found.feed_lag_events, found.feed_lag_seconds = lag, _age(now, oldest_event)
    pending, retrying, oldest_pending = session.execute(
        select(
            func.count(),
            func.count().filter(col(Delivery.attempts) > 0),
            func.min(col(Delivery.created_at)),
        ).where(col(Delivery.status) == DeliveryStatus.PENDING)
    ).one()
    found.deliveries_pending, found.deliveries_retrying = pending, retrying
    found.delivery_lag_seconds = _age(now, oldest_pending)
    found.delivery_failures_last_hour = (
        session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(
                col(DeliveryAttempt.attempted_at) >= now - FAILURES_WINDOW,
                or_(
                    col(DeliveryAttempt.status_code).is_(None),
                    col(DeliveryAttempt.status_code) < 200,
                    col(DeliveryAttempt.status_code) >= 300,
                ),
            )
        )
        or 0
    )
    found.subscriptions = {"active": 0, "failing": 0, "disabled": 0}
    for active, failing, count in session.execute(
        select(
            col(Subscription.active),
            col(Subscription.failing_since).is_not(None),
            func.count(),
        ).group_by(col(Subscription.active), col(Subscription.failing_since).is_not(None))
    ):
        state = "disabled" if not active else "failing" if failing else "active"
        found.subscriptions[state] += count
    return found
