"""A member's facts as they were before each change, and the family's statements on the
professionals' assessments.

Both tables are append-only history: a correction names the old and the new value of one
fact field; a statement is added to a goal, an evaluation or a progress update and never
changes it.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class FactField(StrEnum):
    """The member fields that are facts: corrected, with their old value kept."""

    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    BIRTH_DATE = "birth_date"
    BSN = "bsn"
    RELATION = "relation"
    IS_GUARDIAN = "is_guardian"


class SubjectKind(StrEnum):
    """The professional assessments a family can attach its statement to."""

    GOAL = "goal"
    EVALUATION = "evaluation"
    PROGRESS_UPDATE = "progress_update"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class MemberCorrection(SQLModel, table=True):
    """One fact field of a member changed: from what, to what, by whom, when and why.

    The member row holds only the current value; the old one stays here for the privacy
    officer and the family. A removed member takes its history with it (CASCADE).
    """

    __tablename__ = "member_corrections"
    __table_args__ = (
        CheckConstraint(_one_of("field", FactField), name="field"),
        Index(None, "member_id", "corrected_at"),
        Index(None, "household_id", "corrected_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    member_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("members.id", ondelete="CASCADE")], nullable=False
    )
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE", index=False)
    field: str = Field(max_length=20)
    old_value: str | None = Field(default=None, max_length=200)
    new_value: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=4000)
    corrected_by: str = Field(max_length=200)
    corrected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rights_request_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("rights_requests.id", ondelete="SET NULL")]
    )


class FamilyStatement(SQLModel, table=True):
    """The family's own view on a goal, an evaluation or a progress update of its file.

    ``subject_id`` names a row of the table ``subject_kind`` says; the service checks that it
    is in the same household. No foreign key: one column names rows of three tables.
    """

    __tablename__ = "family_statements"
    __table_args__ = (
        CheckConstraint(_one_of("subject_kind", SubjectKind), name="subject_kind"),
        Index(None, "household_id", "made_at"),
        Index(None, "subject_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE", index=False)
    subject_kind: str = Field(max_length=20)
    subject_id: uuid.UUID
    text: str = Field(max_length=4000)
    made_by_sub: str = Field(max_length=200)
    # SET NULL: a member removed from the file leaves the statement, without its author.
    made_by_member_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("members.id", ondelete="SET NULL")]
    )
    made_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
