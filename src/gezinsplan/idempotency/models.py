"""Stored responses of requests sent with an Idempotency-Key, per client.

A row is written in the same transaction as the request's effect, so either both are there
or neither is: a retry after a crash or a rollback simply runs again.
"""

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from gezinsplan.kit.types import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index(None, "expires_at"),)

    client: str = Field(
        primary_key=True,
        max_length=64,
        description="sha256 of the token's sub and org: one client never sees another's keys.",
    )
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    headers: str = Field(max_length=2000, description="The replayed headers, as JSON.")
    body: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
