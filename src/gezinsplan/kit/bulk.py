"""Writing many rows in one statement on both engines.

On PostgreSQL the rows travel as one array per column and are unnested in the database: one
short statement whatever the batch size. A multi-row VALUES list of thousands of rows costs
the driver more to prepare than the database to run it. SQLite takes an executemany.
"""

from collections.abc import Sequence
from functools import lru_cache
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


def insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """A plain INSERT of all rows at once (all with the same keys), its statement built once
    per table and columns: audit records and events are written on every request, and
    building the statement anew cost more than running it."""
    names = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        arrays = {_array_name(name): [row[name] for row in rows] for name in names}
        session.execute(_insert_unnested(table, names), arrays)
    else:
        session.execute(_insert(table), list(rows))


@lru_cache(maxsize=32)
def _insert(table: Table) -> Insert:
    return sqlite.insert(table)


@lru_cache(maxsize=32)
def _insert_unnested(table: Table, names: tuple[str, ...]) -> Insert:
    """PostgreSQL: the INSERT of one array parameter per column, given at execution."""
    arrays = [
        bindparam(_array_name(name), type_=postgresql.ARRAY(_element(table.c[name].type)))
        for name in names
    ]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    rows = select(*[unnested.c[name] for name in names])
    return postgresql.insert(table).from_select(list(names), rows)


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
    arrays = [
        bindparam(
            _array_name(name),
            [row[name] for row in rows],
            type_=postgresql.ARRAY(_element(table.c[name].type)),
        )
        for name in names
    ]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    return select(*[unnested.c[name] for name in names])


def _array_name(name: str) -> str:
    return f"unnest_{name}"


def _element(kind: Any) -> Any:
    """The type an array of the column's values holds: a decorated type's own."""
    return kind.impl if isinstance(kind, TypeDecorator) else kind
