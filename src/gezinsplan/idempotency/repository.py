"""Queries on stored idempotency keys; a key is always looked up with its client."""

from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.idempotency.models import IdempotencyKey

PURGE_BATCH = 100


def try_lock(session: Session, lock_id: int) -> bool:
    """PostgreSQL: a transaction-level advisory lock, or False when another holds it."""
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))))


def find(session: Session, client: str, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, (client, key))


def remove(session: Session, client: str, key: str) -> None:
    session.execute(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.client) == client, col(IdempotencyKey.key) == key
        )
    )


def purge_expired(session: Session, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Delete a bounded batch of expired keys, so storing never pays for a long backlog."""
    expired = (
        select(col(IdempotencyKey.client), col(IdempotencyKey.key))
        .where(col(IdempotencyKey.expires_at) < now)
        .limit(limit)
    )
    result = session.execute(
        delete(IdempotencyKey)
        .where(tuple_(col(IdempotencyKey.client), col(IdempotencyKey.key)).in_(expired))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
