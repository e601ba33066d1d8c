"""The erasure's writes, and the retention run's reads, for one household at a time.

Rows are found along each table's path up to its household (``access.tables.PATHS``) with
``erased_household``: the rule that admits the erasure (the privacy officer with a granted
request, or the end of retention) has decided before any of this runs.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, delete, func, inspect, select, text, tuple_, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from gezinsplan.access.predicates import erased_household, retention_candidates
from gezinsplan.access.statements import reachable
from gezinsplan.access.tables import PATHS
from gezinsplan.audit import chain
from gezinsplan.audit.models import AuditErasure, AuditNamedHousehold, AuditRecord, AuditSeal
from gezinsplan.consents.models import Consent
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.households.search.repository import refresh_name_words
from gezinsplan.idempotency.models import IdempotencyKey
from gezinsplan.indications.models import Indication
from gezinsplan.members.models import Member
from gezinsplan.plans.models import PlanVersion
from gezinsplan.rights.erasure.registry import PERSONAL, snapshot
from gezinsplan.roles.models import RoleAssignment

TABLES: dict[str, type[SQLModel]] = {
    table.__tablename__: table  # type: ignore[misc]
    for table in PATHS
}


def _keys(table: type[SQLModel]) -> list[Any]:
    return list(inspect(table).primary_key)


def erase_columns(session: Session, household_id: uuid.UUID) -> dict[str, int]:
    """Every column of ``registry.PERSONAL`` to what it becomes; rows changed per table."""
    changed: dict[str, int] = {}
    for name, columns in PERSONAL.items():
        if name == "plan_versions":
            changed[name] = _erase_snapshots(session, household_id)
            continue
        table = TABLES[name]
        keys = _keys(table)
        rows = reachable(table, erased_household(household_id), *keys)
        values = {column: becomes.value for column, becomes in columns.items()}
        result = session.execute(
            update(table).where(tuple_(*keys).in_(rows)).values(values),
            execution_options={"synchronize_session": False},
        )
        changed[name] = result.rowcount  # type: ignore[attr-defined]
    refresh_name_words(session, [household_id])
    return changed


def _erase_snapshots(session: Session, household_id: uuid.UUID) -> int:
    rows = session.execute(
        reachable(
            PlanVersion,
            erased_household(household_id),
            col(PlanVersion.plan_id),
            col(PlanVersion.version),
            col(PlanVersion.snapshot),
        )
    ).all()
    for plan_id, version, kept in rows:
        session.execute(
            update(PlanVersion)
            .where(col(PlanVersion.plan_id) == plan_id, col(PlanVersion.version) == version)
            .values(snapshot=snapshot(kept)),
            execution_options={"synchronize_session": False},
        )
    return len(rows)


def mark_erased(
    session: Session,
    household_id: uuid.UUID,
    at: datetime,
    retention_class: str,
    ends_on: date | None,
) -> None:
    session.execute(
        update(Household)
        .where(col(Household.id) == household_id)
        .values(erased_at=at, retention_class=retention_class, retention_ends_on=ends_on),
        execution_options={"synchronize_session": False},
    )


def member_ids(session: Session, household_id: uuid.UUID) -> list[uuid.UUID]:
    statement = reachable(Member, erased_household(household_id), col(Member.id))
    return list(session.scalars(statement).all())


def recipients(session: Session, household_id: uuid.UUID) -> set[uuid.UUID]:
    """The organizations that received the household's data: every one ever assigned to it
    (regisseur or care provider) or granted a consent on it, ended or withdrawn ones too."""
    assigned = reachable(
        RoleAssignment, erased_household(household_id), col(RoleAssignment.organization_id)
    )
    granted = reachable(
        Consent, erased_household(household_id), col(Consent.grantee_organization_id)
    )
    return {*session.scalars(assigned), *session.scalars(granted)}


def forget_answers(session: Session, needles: Sequence[uuid.UUID]) -> int:
    """Delete the stored idempotent answers that name the household or one of its members.

    Answers expire within a day; the scan reads only keys and bodies, not the ORM objects.
    """
    words = [str(needle).encode() for needle in needles]
    found = [
        (client, key)
        for client, key, body in session.execute(
            select(col(IdempotencyKey.client), col(IdempotencyKey.key), col(IdempotencyKey.body))
        )
        if any(word in bytes(body) for word in words)
    ]
    for client, key in found:
        session.execute(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.client) == client, col(IdempotencyKey.key) == key
            )
        )
    return len(found)


# --- the audit log ------------------------------------------------------------------------

_PSEUDONYMISE_SQLITE = (
    "UPDATE audit_records SET household_id = NULL, member_ids = '', resource_id = NULL, "
    "purpose = NULL, request_id = 'gewist', traceparent = NULL "
    "WHERE household_id = :household AND number IN "
    "(SELECT record_number FROM audit_erasures WHERE household_id = :household)",
    "UPDATE audit_records SET named_households = trim(replace("
    "',' || named_households || ',', ',' || :named || ',', ','), ',') "
    "WHERE number IN (SELECT record_number FROM audit_erasures WHERE household_id = :household) "
    "AND named_households LIKE '%' || :named || '%'",
    "DELETE FROM audit_named_households WHERE household_id = :household",
)


def audit_records(session: Session, household_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """(number, seq or None, kept digest or None, the record's ``chain.COLUMNS``) of every
    record about the household or naming it."""
    record = inspect(AuditRecord).columns
    columns = [record[name] for name in chain.COLUMNS]
    kept = (
        select(func.max(col(AuditErasure.digest)))
        .where(col(AuditErasure.record_number) == col(AuditRecord.number))
        .correlate(AuditRecord)
        .scalar_subquery()
    )
    extra = (col(AuditRecord.number), col(AuditSeal.seq), kept, *columns)
    own = reachable(AuditRecord, erased_household(household_id), *extra).outerjoin(
        AuditSeal, col(AuditSeal.record_number) == col(AuditRecord.number)
    )
    named = (
        reachable(AuditNamedHousehold, erased_household(household_id), *extra)
        .join(AuditRecord, col(AuditRecord.number) == col(AuditNamedHousehold.record_number))
        .outerjoin(AuditSeal, col(AuditSeal.record_number) == col(AuditRecord.number))
    )
    found = {row[0]: tuple(row) for row in session.execute(own)}
    found |= {row[0]: tuple(row) for row in session.execute(named)}
    return [found[number] for number in sorted(found)]


def keep_digests(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(AuditErasure.__table__.insert(), list(rows))  # type: ignore[attr-defined]


def pseudonymise(session: Session, household_id: uuid.UUID) -> None:
    """Clear the identifying fields of the household's records that have an erasure row, and
    its rows of the named-households index. On PostgreSQL the application's role may not
    change the audit tables; ``audit_pseudonymise`` (migration 0021) does, and only this."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT audit_pseudonymise(:household)").bindparams(
                bindparam("household", household_id, type_=Uuid())
            )
        )
        return
    for statement in _PSEUDONYMISE_SQLITE:
        session.execute(
            text(statement).bindparams(bindparam("household", household_id, type_=Uuid())),
            {"named": str(household_id)} if ":named" in statement else {},
        )


# --- the retention run --------------------------------------------------------------------


def candidates(session: Session) -> list[tuple[uuid.UUID, str | None, date | None]]:
    """(id, stored class, stored end) of every closed household not yet erased."""
    statement = reachable(
        Household,
        retention_candidates(),
        col(Household.id),
        col(Household.retention_class),
        col(Household.retention_ends_on),
    ).order_by(col(Household.id))
    return [(row[0], row[1], row[2]) for row in session.execute(statement)]


def episodes_of_candidates(session: Session) -> Sequence[Episode]:
    return session.scalars(reachable(Episode, retention_candidates())).all()


def indications_of_candidates(session: Session) -> Sequence[Indication]:
    return session.scalars(reachable(Indication, retention_candidates())).all()


def store_retention(
    session: Session, household_id: uuid.UUID, retention_class: str, ends_on: date | None
) -> None:
    session.execute(
        update(Household)
        .where(col(Household.id) == household_id)
        .values(retention_class=retention_class, retention_ends_on=ends_on),
        execution_options={"synchronize_session": False},
    )
