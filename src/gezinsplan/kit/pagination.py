"""Keyset pagination: an opaque cursor over (created_at, id), or over a number that orders
the list by itself (an audit record's, a plan version's); a hard maximum page size."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
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
            raise _bad_cursor() from exc
        if cursor.created_at.tzinfo is None:
            raise _bad_cursor()
        return cursor


BAD_CURSOR = "The cursor is not one this service handed out."


def _bad_cursor() -> Unprocessable:
    return Unprocessable(
        BAD_CURSOR, invalid_params=[{"name": "query:cursor", "reason": "invalid cursor"}]
    )


def encode_number(tag: str, number: int) -> str:
    """An opaque cursor for a list keyed by a number; ``tag`` tells the lists apart."""
    return base64.urlsafe_b64encode(f"{tag}{number}".encode()).decode().rstrip("=")


def decode_number(tag: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _bad_cursor() from exc
    number = raw.removeprefix(tag)
    if number == raw or not number.isdigit() or len(raw) > 20:
        raise _bad_cursor()
    return int(number)


NumberCursor = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`nextCursor` of the previous page.",
    ),
]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size, at most 100.")]


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: Cursor | None


# A cursor as a query parameter: opaque URL-safe text, decoded by whoever issued it.
CursorText = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`nextCursor` of the previous page.",
    ),
]


async def page_request(
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: CursorText = None,
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


def next_cursor(rows: Sequence[Any], page: PageRequest, order: str = "created_at") -> str | None:
    """The cursor after the page's last row; ``order`` names the time it was paginated by."""
    if len(rows) <= page.limit:
        return None
    last = rows[page.limit - 1]
    return Cursor(getattr(last, order), last.id).encode()


R = TypeVar("R")


def every_page(
    fetch: Callable[[PageRequest], Sequence[R]], keyed: Callable[[R], Any] = lambda row: row
) -> list[R]:
    """All rows of a list paginated by (created_at, id), a full page per query: a whole-file
    read keeps each query to the bound every list has. ``keyed``: the row's object, when
    rows are tuples."""
    rows: list[R] = []
    page = PageRequest(limit=MAX_PAGE_SIZE, cursor=None)
    while True:
        found = fetch(page)
        rows.extend(found[: page.limit])
        if len(found) <= page.limit:
            return rows
        last = keyed(found[page.limit - 1])
        page = PageRequest(limit=MAX_PAGE_SIZE, cursor=Cursor(last.created_at, last.id))
