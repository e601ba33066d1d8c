"""Reading the audit log: a household's access log, through the access module like any read."""

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Insert,
    Uuid,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import readable
from gezinsplan.audit.models import AuditNamedHousehold, AuditRecord
from gezinsplan.auth.actor import Actor
from gezinsplan.kit.bulk import insert_many
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
    """Records about the household in the order they were written, with the actor's org name:
    its own, and those of requests that showed it among others (``named_households``)."""
    own = readable(AuditRecord, actor, Scope.ACCESS_LOG, AuditRecord, col(Organization.name))
    own = own.where(col(AuditRecord.household_id) == household_id)
    named = readable(
        AuditNamedHousehold, actor, Scope.ACCESS_LOG, AuditRecord, col(Organization.name)
    )
    named = named.join(
        AuditRecord, col(AuditRecord.number) == col(AuditNamedHousehold.record_number)
    ).where(col(AuditNamedHousehold.household_id) == household_id)
    found: list[Any] = []
    for statement in (own, named):
        statement = statement.outerjoin(
            Organization, col(Organization.id) == col(AuditRecord.actor_organization_id)
        )
        if since is not None:
            statement = statement.where(col(AuditRecord.started_at) >= since)
        if until is not None:
            statement = statement.where(col(AuditRecord.started_at) < until)
        if after is not None:
            statement = statement.where(col(AuditRecord.number) > after)
        order = col(AuditRecord.number)
        found += session.execute(statement.order_by(order).limit(limit + 1)).all()
    return sorted(found, key=lambda row: row[0].number)[: limit + 1]


# PostgreSQL assigns a transaction its id at its first write.
_WROTE_NOTHING = text("SELECT pg_current_xact_id_if_assigned() IS NULL")


def wrote_nothing(session: Session) -> bool:
    """Whether the request's transaction has written nothing so far (PostgreSQL only): its
    failure's record may then be committed in it instead of after a rollback."""
    return session.connection().scalar(_WROTE_NOTHING) is True


RECORDS = AuditRecord.__table__  # type: ignore[attr-defined]
NAMED = AuditNamedHousehold.__table__  # type: ignore[attr-defined]
# Built once: every audited request runs them, and a statement's cache key is computed once.
_INSERT_ONE = insert(RECORDS)
_INSERT_NAMING = insert(RECORDS).returning(RECORDS.c.number)
# SQLite: the households a record names in one statement, their ids as one JSON array of
# the values SQLAlchemy stores (``bind_processor``).
_NAMED_SQLITE = (
    "INSERT INTO audit_named_households (household_id, record_number) "
    "SELECT value, ? FROM json_each(?)"
)


def add_records(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the request's audit records as plain rows, in one statement; a record that
    names households shown gets their index rows too (in the same statement on PostgreSQL,
    one more on SQLite).

    Pending changes are flushed first, so a record may name what the request created. The
    statements run on the session's connection: no ORM handling for rows no instance is
    made of.
    """
    session.flush()
    connection = session.connection()
    naming = [row for row in rows if row["named_households"]]
    plain = [row for row in rows if not row["named_households"]]
    if len(plain) == 1:
        connection.execute(_INSERT_ONE, plain[0])
    elif plain:
        insert_many(session, RECORDS, plain)
    postgresql = connection.dialect.name == "postgresql"
    for row in naming:
        if postgresql:
            connection.execute(_insert_naming(tuple(row)), row)
            continue
        number = connection.execute(_INSERT_NAMING, row).scalar_one()
        named = [
            {"household_id": uuid.UUID(h), "record_number": number}
            for h in row["named_households"].split(",")
        ]
        insert_many(session, NAMED, named)


@lru_cache(maxsize=4)
def _insert_naming(names: tuple[str, ...]) -> Insert:
    """PostgreSQL: the record and its index rows in one statement, the index rows taken from
    the ids the record names. A list shows 50 households, and sending them back as an array
    cost the request more than the statement itself."""
    record = (
        insert(RECORDS)
        .values({name: bindparam(name) for name in names})
        .returning(RECORDS.c.number, RECORDS.c.named_households)
        .cte("record")
    )
    ids = func.string_to_array(record.c.named_households, literal_column("','"))
    shown = func.unnest(ids).table_valued("id").render_derived("shown")
    rows = select(cast(shown.c.id, Uuid), record.c.number).select_from(record).join(shown, true())
    return insert(NAMED).from_select(["household_id", "record_number"], rows).add_cte(record)


@dataclass(frozen=True)
class DriverInsert:
    """An INSERT compiled once for a dialect with positional parameters (SQLite's), with the
    conversions SQLAlchemy would apply to its values, to run on the driver's own cursor."""

    sql: str
    names: tuple[str, ...]
    conversions: Mapping[str, Callable[[Any], Any]]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        convert = self.conversions
        return tuple(convert[n](row[n]) if n in convert else row[n] for n in self.names)


@lru_cache(maxsize=8)
def _driver_insert(dialect: Dialect, statement: Insert, keys: tuple[str, ...]) -> DriverInsert:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    assert compiled.positiontup is not None
    # Every column's value comes from the row: no default is computed in Python on the way.
    assert not compiled.insert_prefetch
    conversions = {
        name: convert
        for name, convert in compiled._bind_processors.items()
        if isinstance(name, str) and callable(convert)
    }
    return DriverInsert(compiled.string, tuple(compiled.positiontup), conversions)


def insert_on_driver(cursor: Any, dialect: Dialect, rows: Sequence[dict[str, Any]]) -> None:
    """SQLite: the request's audit records and the households they name, inserted on a DBAPI
    cursor whose transaction the caller holds.

    A read request writes its record in a transaction of its own, after its reads, and that
    transaction holds SQLite's one write lock for every writer of the database. Through
    SQLAlchemy's session the lock was held about three times as long as the statements need
    (measured: the plan read served a fifth fewer requests a second), so the INSERTs are
    compiled once and sent as they are.
    """
    for row in rows:
        statement = _INSERT_NAMING if row["named_households"] else _INSERT_ONE
        record = _driver_insert(dialect, statement, tuple(row))
        cursor.execute(record.sql, record.values(row))
        if not row["named_households"]:
            continue
        (number,) = cursor.fetchone()
        convert = NAMED.c.household_id.type.bind_processor(dialect)
        ids = [convert(uuid.UUID(h)) for h in row["named_households"].split(",")]
        cursor.execute(_NAMED_SQLITE, (number, json.dumps(ids)))
