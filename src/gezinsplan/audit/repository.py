"""Reading the audit log: a household's access log, through the access module like any read."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.audit.models import AuditRecord
from gezinsplan.auth.actor import Actor
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
