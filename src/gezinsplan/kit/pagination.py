"""Keyset pagination: an opaque cursor over (created_at, id), a hard maximum page size."""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field
from sqlalchemy import ColumnElement, Select, and_, or_

from gezinsplan.errors import Unprocessable
from gezinsplan.kit.schemas import ApiModel

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            created_at, id_ = json.loads(raw)
            cursor = cls(datetime.fromisoformat(created_at), uuid.UUID(id_))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise Unprocessable(
                "The cursor is not one this service handed out.",
                invalid_params=[{"name": "query:cursor", "reason": "invalid cursor"}],
            ) from exc
        if cursor.created_at.tzinfo is None:
            raise Unprocessable(
                "The cursor is not one this service handed out.",
                invalid_params=[{"name": "query:cursor", "reason": "invalid cursor"}],
            )
        return cursor


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: Cursor | None


def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size, at most 100.")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="`nextCursor` of the previous page.",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=Cursor.decode(cursor) if cursor else None)


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def paginate(statement: Select[Any], created_at: Any, id_: Any, page: PageRequest) -> Select[Any]:
    """Order by (created_at, id), start after the cursor, fetch one extra row to see if more."""
    if page.cursor is not None:
        after: ColumnElement[bool] = or_(
            created_at > page.cursor.created_at,
            and_(created_at == page.cursor.created_at, id_ > page.cursor.id),
        )
        statement = statement.where(after)
    return statement.order_by(created_at, id_).limit(page.limit + 1)


def next_cursor(rows: Sequence[Any], page: PageRequest) -> str | None:
    if len(rows) <= page.limit:
        return None
    last = rows[page.limit - 1]
    return Cursor(last.created_at, last.id).encode()
