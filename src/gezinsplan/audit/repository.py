"""Reading the audit log: a household's access log, through the access module like any read."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.audit.models import AuditRecord
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.bulk import execute_many, insert_rows
from gezinsplan.organizations.models import Organization


def access_log(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    since: datetime | None,
    until: datetime | None,
    after: int | None,
    limit: int,
) -> Sequence[Any]:
    """Records about the household in the order they were written, with the actor's org name."""
    statement = (
        readable(AuditRecord, actor, Scope.ACCESS_LOG, AuditRecord, col(Organization.name))
        .outerjoin(Organization, col(Organization.id) == col(AuditRecord.actor_organization_id))
        .where(col(AuditRecord.household_id) == household_id)
    )
    if since is not None:
        statement = statement.where(col(AuditRecord.started_at) >= since)
    if until is not None:
        statement = statement.where(col(AuditRecord.started_at) < until)
    if after is not None:
        statement = statement.where(col(AuditRecord.number) > after)
    return session.execute(statement.order_by(col(AuditRecord.number)).limit(limit + 1)).all()


RECORDS = AuditRecord.__table__  # type: ignore[attr-defined]
# Built once: every audited request runs it, and a statement's cache key is computed once.
_INSERT_ONE = insert(RECORDS)


def add_records(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the request's audit records as plain rows, in one statement.

    Pending changes are flushed first, so a record may name what the request created.
    """
    session.flush()
    if len(rows) == 1:
        session.execute(_INSERT_ONE, rows[0])
    else:
        execute_many(session, insert_rows(session, RECORDS), rows)
