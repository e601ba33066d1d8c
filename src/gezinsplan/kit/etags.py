"""ETags from row versions, and the optimistic lock that makes a stale write a 412."""

import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Header, Response
from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gezinsplan.errors import PreconditionFailed, PreconditionRequired

# The spec marks a header with this schema key required (openapi.py). The server parses the
# header as optional all the same, so a missing one answers 428 rather than 422.
REQUIRED_MARK = "x-gezinsplan-required"

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match", max_length=100, description="The ETag you read; 412 when it is stale."
    ),
]
RequiredIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description="The ETag you read: 428 without it, 412 when it is stale.",
        json_schema_extra={REQUIRED_MARK: True},
    ),
]

_TAG = re.compile(r'^"([0-9]{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None, *, required: bool = True) -> int | None:
    """The version the client saw, from If-Match; 428 when required and absent.

    If-Match compares strongly (RFC 9110): a weak or foreign tag never matches. ``*`` matches
    any current version and so returns None.
    """
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired("Send If-Match with the ETag you read.")
        return None
    if if_match.strip() == "*":
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    versions = {int(m.group(1)) for tag in tags if (m := _TAG.match(tag))}
    if len(versions) != 1:
        raise PreconditionFailed("If-Match does not name the current version.")
    return versions.pop()


@dataclass(frozen=True)
class Precondition:
    """The If-Match a change was sent with. Checked when the handler asks for the version,
    so a request that does not validate is refused with 422 before a 428 or 412."""

    if_match: str | None
    required: bool

    def version(self) -> int | None:
        return expected_version(self.if_match, required=self.required)


async def _required(if_match: RequiredIfMatch = None) -> Precondition:
    return Precondition(if_match, required=True)


async def _optional(if_match: IfMatch = None) -> Precondition:
    return Precondition(if_match, required=False)


# For changes that need If-Match: the spec marks it required from this one declaration.
IfMatchRequired = Annotated[Precondition, Depends(_required)]
# For changes that honour If-Match when sent (adding to a collection, closing, removing).
IfMatchOptional = Annotated[Precondition, Depends(_optional)]


def claim_version(
    session: Session, model: Any, id_: uuid.UUID, expected: int | None, **values: Any
) -> int:
    """Raise the row's version if it is still ``expected``, writing ``values`` with it;
    otherwise 412.

    The check and the increment are one conditional UPDATE, so of many concurrent writers
    with the same ETag exactly one wins, on either engine. Pending changes are flushed
    first, as an UPDATE through the ORM would.
    """
    statement = _claim_statement(model.__table__, expected is not None, tuple(values))
    session.flush()
    parameters = {"claimed_id": id_, "expected_version": expected}
    parameters |= {_new(name): value for name, value in values.items()}
    new_version = session.connection().execute(statement, parameters).scalar_one_or_none()
    if new_version is None:
        raise PreconditionFailed("The resource changed since you read it; read it again.")
    return int(new_version)


@lru_cache(maxsize=64)
def _claim_statement(table: Table, checked: bool, names: tuple[str, ...]) -> Update:
    """Built once per table and shape: every write runs one, and building it and its cache
    key cost more than the UPDATE itself."""
    condition = [table.c.id == bindparam("claimed_id")]
    if checked:
        condition.append(table.c.version == bindparam("expected_version"))
    written = {name: bindparam(_new(name), type_=table.c[name].type) for name in names}
    return (
        update(table)
        .where(*condition)
        .values(version=table.c.version + 1, **written)
        .returning(table.c.version)
    )


def _new(name: str) -> str:
    return f"new_{name}"


def claim(session: Session, row: Any, expected: int | None, **values: Any) -> None:
    """``claim_version`` for a loaded row: the new version and ``values`` are set on it as
    the database now holds them, so the session sends no second UPDATE for them."""
    version = claim_version(session, type(row), row.id, expected, **values)
    for name, value in {"version": version, **values}.items():
        set_committed_value(row, name, value)
