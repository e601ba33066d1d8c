"""Queries on tariffs. Tariffs are no case data: a municipality's price list, read whole.

A municipality has some hundreds of tariffs, so the sync reads all of a municipality's rows to
check validity overlaps, and the cost figure reads the price lists of the municipalities asked.
"""

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.kit.bulk import execute_many, insert_rows
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.tariffs.models import Tariff

TABLE = Tariff.__table__  # type: ignore[attr-defined]
KEY = ("municipality_code", "regulation", "product_category", "product_code", "valid_from")
# What a re-sent record may change: everything but the key, the id and the creation time.
UPSERT_COLUMNS = tuple(c.name for c in TABLE.columns if c.name not in {"id", "created_at", *KEY})


def of_municipalities(session: Session, municipalities: Collection[str]) -> Sequence[Tariff]:
    """Every tariff of these municipalities (the caller has checked they are its own)."""
    statement = select(Tariff).where(col(Tariff.municipality_code).in_(sorted(municipalities)))
    return session.scalars(statement).all()


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], uuid.UUID]:
    """Insert or update every row in one statement; the unique key settles races."""
    if not rows:
        return {}
    new: Any = insert_rows(session, TABLE)
    statement = new.on_conflict_do_update(
        index_elements=list(KEY), set_={name: new.excluded[name] for name in UPSERT_COLUMNS}
    ).returning(*(TABLE.c[name] for name in KEY), TABLE.c.id)
    return {tuple(row[:-1]): row[-1] for row in execute_many(session, statement, rows)}


def list_page(
    session: Session, municipalities: Collection[str], page: PageRequest
) -> Sequence[Tariff]:
    """The municipalities' tariffs, in the order they last changed, for reconciliation."""
    statement = select(Tariff).where(col(Tariff.municipality_code).in_(sorted(municipalities)))
    return session.scalars(paginate(statement, col(Tariff.updated_at), col(Tariff.id), page)).all()
