"""Writing many rows in one statement on both engines.

On PostgreSQL the rows travel as one array per column and are unnested in the database: one
short statement whatever the batch size. A multi-row VALUES list of thousands of rows costs
the driver more to prepare than the database to run it. SQLite takes an executemany.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table) -> Insert:
    """The dialect's INSERT, so ``on_conflict_do_update`` is at hand on both engines."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def execute_many(session: Session, statement: Insert, rows: Sequence[dict[str, Any]]) -> Any:
    """Run the INSERT for all rows at once (all with the same keys); returns the result."""
    if session.get_bind().dialect.name == "postgresql":
        table = statement.table
        assert isinstance(table, Table)
        return session.execute(statement.from_select(list(rows[0]), _unnested(table, rows)))
    return session.execute(statement, list(rows))


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY(array)``, one parameter however many."""
    if session.get_bind().dialect.name == "postgresql":
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        array = bindparam(None, list(values), type_=postgresql.ARRAY(kind))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def among(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """``column IN :name``, the values given at execution; on PostgreSQL ``= ANY(:name)``, one
    array parameter, so the statement's text is the same however many values."""
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(kind)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True, type_=kind))  # type: ignore[no-any-return]


def _unnested(table: Table, rows: Sequence[dict[str, Any]]) -> Select[Any]:
    names = list(rows[0])
    arrays = []
    for name in names:
        kind = table.c[name].type
        element = kind.impl if isinstance(kind, TypeDecorator) else kind
        values = [row[name] for row in rows]
        arrays.append(bindparam(f"unnest_{name}", values, type_=postgresql.ARRAY(element)))
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    return select(*[unnested.c[name] for name in names])
