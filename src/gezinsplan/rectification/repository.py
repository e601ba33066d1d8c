"""Queries of rectification, each starting from the access statements.

A member's history is read in the access-log scope (the family, the privacy officer) or by
the whole file's professionals (``editable`` basic data); a statement is read in the scope
of the assessment it is attached to, and only where that assessment is itself readable.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import editable, readable
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member
from gezinsplan.plans.models import Evaluation, Goal
from gezinsplan.progress.models import ProgressUpdate
from gezinsplan.rectification.models import FamilyStatement, MemberCorrection, SubjectKind
from gezinsplan.rights.models import RequestKind, RightsRequest

# The scope each kind of assessment is read in; its statement is read in the same.
SUBJECT_SCOPE = {
    SubjectKind.GOAL: Scope.PLAN,
    SubjectKind.EVALUATION: Scope.PLAN,
    SubjectKind.PROGRESS_UPDATE: Scope.PROGRESS,
}


def _history(actor: Actor, *columns: Any, old_values: bool) -> Any:
    """Whose history the actor reads: with old values in the access-log scope, else as a
    professional of the whole file."""
    if old_values:
        return readable(MemberCorrection, actor, Scope.ACCESS_LOG, *columns)
    return editable(MemberCorrection, actor, Scope.BASIC, *columns)


def has_member(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    old_values: bool,
) -> bool:
    """Whether the member is one of the household, seen on the grounds the history is read on."""
    if old_values:
        statement = readable(Member, actor, Scope.ACCESS_LOG, col(Member.id))
    else:
        statement = editable(Member, actor, Scope.BASIC, col(Member.id))
    statement = statement.where(
        col(Member.id) == member_id, col(Member.household_id) == household_id
    )
    return session.scalars(statement).first() is not None


def member_history(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    page: PageRequest,
    *,
    old_values: bool,
) -> Sequence[MemberCorrection]:
    """The member's changed facts, oldest first."""
    statement = _history(actor, MemberCorrection, old_values=old_values).where(
        col(MemberCorrection.household_id) == household_id,
        col(MemberCorrection.member_id) == member_id,
    )
    ordered = paginate(
        statement, col(MemberCorrection.corrected_at), col(MemberCorrection.id), page
    )
    return session.scalars(ordered).all()


def household_history(
    session: Session, actor: Actor, household_id: uuid.UUID
) -> Sequence[MemberCorrection]:
    """Every changed fact of the household, for its data report (the access-log scope)."""
    statement = readable(MemberCorrection, actor, Scope.ACCESS_LOG).where(
        col(MemberCorrection.household_id) == household_id
    )
    return session.scalars(
        statement.order_by(col(MemberCorrection.corrected_at), col(MemberCorrection.id))
    ).all()


def is_rectification_request(
    session: Session, actor: Actor, household_id: uuid.UUID, request_id: uuid.UUID
) -> bool:
    """Whether the id names a rectification request of this household, for a professional
    who changes its members: the privacy officer gave them the id; nothing else is read."""
    statement = editable(RightsRequest, actor, Scope.BASIC, col(RightsRequest.id)).where(
        col(RightsRequest.id) == request_id,
        col(RightsRequest.household_id) == household_id,
        col(RightsRequest.kind) == RequestKind.RECTIFICATION,
    )
    return session.scalars(statement).first() is not None


def subject(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    kind: SubjectKind,
    subject_id: uuid.UUID,
) -> tuple[bool, str | None]:
    """Whether the actor reads the assessment in this household, and its life domain (an
    evaluation has none)."""
    scope = SUBJECT_SCOPE[kind]
    statement: Any
    if kind is SubjectKind.GOAL:
        statement = readable(Goal, actor, scope, col(Goal.life_domain)).where(
            col(Goal.id) == subject_id, col(Household.id) == household_id
        )
    elif kind is SubjectKind.EVALUATION:
        statement = readable(Evaluation, actor, scope, col(Evaluation.id)).where(
            col(Evaluation.id) == subject_id, col(Household.id) == household_id
        )
    else:
        statement = readable(ProgressUpdate, actor, scope, col(Goal.life_domain)).where(
            col(ProgressUpdate.id) == subject_id, col(ProgressUpdate.household_id) == household_id
        )
    row = session.execute(statement).first()
    if row is None:
        return False, None
    return True, None if kind is SubjectKind.EVALUATION else row[0]


def attached(
    session: Session, actor: Actor, household_id: uuid.UUID, kind: SubjectKind
) -> Sequence[FamilyStatement]:
    """The household's statements on one kind of assessment, oldest first; the caller keeps
    those on the assessments it shows. One query per kind, whatever the number shown."""
    statement = readable(FamilyStatement, actor, SUBJECT_SCOPE[kind]).where(
        col(FamilyStatement.household_id) == household_id,
        col(FamilyStatement.subject_kind) == kind,
    )
    return session.scalars(
        statement.order_by(col(FamilyStatement.made_at), col(FamilyStatement.id))
    ).all()


def listed(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[FamilyStatement]:
    """The household's statements on the assessments the actor reads, oldest first."""
    goals = readable(Goal, actor, Scope.PLAN, col(Goal.id))
    evaluations = readable(Evaluation, actor, Scope.PLAN, col(Evaluation.id))
    updates = readable(ProgressUpdate, actor, Scope.PROGRESS, col(ProgressUpdate.id))
    kind, subject_id = col(FamilyStatement.subject_kind), col(FamilyStatement.subject_id)
    statement = readable(FamilyStatement, actor, Scope.PLAN).where(
        col(FamilyStatement.household_id) == household_id,
        or_(
            and_(kind == SubjectKind.GOAL, subject_id.in_(goals)),
            and_(kind == SubjectKind.EVALUATION, subject_id.in_(evaluations)),
            and_(kind == SubjectKind.PROGRESS_UPDATE, subject_id.in_(updates)),
        ),
    )
    ordered = paginate(statement, col(FamilyStatement.made_at), col(FamilyStatement.id), page)
    return session.scalars(ordered).all()
