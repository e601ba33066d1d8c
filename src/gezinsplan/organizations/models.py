"""Organizations: municipalities, access teams and care providers."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class OrganizationKind(StrEnum):
    MUNICIPALITY = "municipality"
    ACCESS_TEAM = "access_team"
    CARE_PROVIDER = "care_provider"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("kind IN ('municipality', 'access_team', 'care_provider')", name="kind"),
        CheckConstraint(
            "(kind = 'municipality') = (municipality_code IS NOT NULL)", name="municipality_code"
        ),
        CheckConstraint("(kind = 'care_provider') = (agb_code IS NOT NULL)", name="agb_code"),
        UniqueConstraint("municipality_code"),
        UniqueConstraint("agb_code"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(max_length=200)
    municipality_code: str | None = Field(default=None, max_length=4)
    agb_code: str | None = Field(default=None, max_length=8)
    kvk_number: str | None = Field(default=None, max_length=8)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServedMunicipality(SQLModel, table=True):
    """An access team serves one or more municipalities (a shared access organization)."""

    __tablename__ = "served_municipalities"

    organization_id: uuid.UUID = Field(
        foreign_key="organizations.id", primary_key=True, ondelete="CASCADE"
    )
    municipality_code: str = Field(
        foreign_key="organizations.municipality_code", primary_key=True, max_length=4
    )
