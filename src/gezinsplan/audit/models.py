"""Audit records and the hash chain that seals them.

Both tables only ever receive INSERTs. A request writes its record in its own transaction;
the sealer chains committed records afterwards (``chain.seal``), so concurrent requests never
contend for the chain's head. Neither table has a foreign key to case data: records outlive
the households they are about.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from gezinsplan.kit.types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY.
NUMBER = BigInteger().with_variant(Integer(), "sqlite")


class AuditAction(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    REJECTED = "rejected"
    FAILED = "failed"


class LegalBasis(StrEnum):
    """Why the actor may do this: the ground the access module found."""

    MUNICIPAL_TASK = "municipal_task"
    REGISSEUR = "regisseur"
    CONSENT = "consent"
    CARE_ASSIGNMENT = "care_assignment"
    OWN_DATA = "own_data"
    SUPERVISION = "supervision"
    NONE = "none"


class AuditRecord(SQLModel, table=True):
    """One request that touched case data, as it was answered. Never a token or a secret."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index(None, "household_id", "started_at"),
        Index(None, "ended_at"),
    )

    number: int | None = Field(default=None, sa_column=Column(NUMBER, primary_key=True))
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    action: str = Field(max_length=10)
    outcome: str = Field(max_length=10)
    status_code: int
    actor_sub: str | None = Field(default=None, max_length=200)
    actor_name: str | None = Field(default=None, max_length=200)
    actor_organization_id: uuid.UUID | None = None
    actor_roles: str = Field(default="", max_length=200)
    purpose: str | None = Field(default=None, max_length=1000)
    legal_basis: str = Field(max_length=20)
    legal_basis_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    member_ids: str = Field(default="", max_length=4000)
    method: str = Field(max_length=10)
    resource: str = Field(max_length=200)
    resource_id: str | None = Field(default=None, max_length=100)
    request_id: str = Field(max_length=100)
    traceparent: str | None = Field(default=None, max_length=100)
    client_address: str | None = Field(default=None, max_length=100)
    # The households a request showed beside its own (a list, a search, a sync), sorted and
    # comma-separated; sealed with the record, indexed by ``AuditNamedHousehold``.
    named_households: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default="")
    )


class AuditSeal(SQLModel, table=True):
    """A record's place in the chain: ``hash = sha256(prev_hash + seq + the record)``."""

    __tablename__ = "audit_chain"

    seq: int = Field(sa_column=Column(NUMBER, primary_key=True, autoincrement=False))
    record_number: int = Field(
        sa_column=Column(NUMBER, ForeignKey("audit_records.number"), nullable=False, unique=True)
    )
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))
    sealed_at: datetime = Field(sa_type=UTCDateTime)


class AuditNamedHousehold(SQLModel, table=True):
    """A household a record names in ``named_households``: how its access log finds it."""

    __tablename__ = "audit_named_households"

    household_id: uuid.UUID = Field(primary_key=True)
    record_number: int = Field(
        sa_column=Column(NUMBER, ForeignKey("audit_records.number"), primary_key=True)
    )


class AuditErasure(SQLModel, table=True):
    """A record pseudonymised because a household it names was erased.

    ``digest`` is the sha256 of the record's identifying fields (``chain.IDENTIFYING``) as the
    chain sealed them, which the chain verifies in their place; the other fields stay proven
    by the link. None when the record was changed before it was sealed (it is sealed as it is
    now) or when an earlier erasure already kept its digest.
    """

    __tablename__ = "audit_erasures"

    record_number: int = Field(
        sa_column=Column(NUMBER, ForeignKey("audit_records.number"), primary_key=True)
    )
    household_id: uuid.UUID = Field(primary_key=True)
    digest: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    erased_at: datetime = Field(sa_type=UTCDateTime)


class AuditChainFormat(SQLModel, table=True):
    """From which ``seq`` a link hashes two digests of its record (the fields that stay, the
    identifying ones) rather than the record itself: links sealed before erasure existed keep
    the form they were sealed in."""

    __tablename__ = "audit_chain_format"

    digests_from: int = Field(sa_column=Column(NUMBER, primary_key=True, autoincrement=False))
