"""Aliases of mapped classes that threads share, adapted before any thread uses them."""

from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import aliased

T = TypeVar("T")


def shared_alias(entity: type[T], name: str) -> type[T]:
    """``aliased(entity, name=name)`` with every column already adapted to the alias.

    SQLAlchemy adapts an alias's column the first time an expression uses it, and keeps the
    result. Two threads doing that at once can get the table's own column back instead
    (SAWarning "Did not locate an expression in selectable"): the condition then reads the
    plain table, joined to nothing, and no longer says which rows. The statements are built
    once per actor and kept, so one unlucky first request kept its worker wrong until it
    stopped. A module's aliases are built at import, in one thread.
    """
    alias = aliased(entity, name=name)
    for column in inspect(entity).column_attrs:
        getattr(alias, column.key).__clause_element__()
    return alias
