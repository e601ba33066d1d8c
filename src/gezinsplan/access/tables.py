"""Each case table's way up to its household, declared once.

The access predicates correlate to ``Household``; a statement on any other case table joins
up to it along the path below, so no repository writes that join by hand. A path is the
chain of inner joins from the table to ``Household``, nearest first. Goal-bound rows also
join their goal, whose life domain a care provider's consent may limit (``LIFE_DOMAIN``).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import SQLModel, col

from gezinsplan.audit.models import AuditNamedHousehold, AuditRecord
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.episodes.models import Episode
from gezinsplan.households.models import Household
from gezinsplan.indications.models import Indication
from gezinsplan.members.models import Member
from gezinsplan.plans.models import (
    Action,
    Evaluation,
    EvaluationOutcome,
    EvaluationScore,
    Goal,
    Plan,
    PlanApproval,
    PlanVersion,
)
from gezinsplan.progress.models import ProgressUpdate
from gezinsplan.rectification.models import FamilyStatement, MemberCorrection
from gezinsplan.rights.models import Restriction, RightsRequest
from gezinsplan.roles.models import RoleAssignment


@dataclass(frozen=True)
class Join:
    """One step up: join ``table`` where its id is the ``foreign_key`` of a row below."""

    table: type[SQLModel]
    on: ColumnElement[bool]


def up(table: Any, foreign_key: Any) -> Join:
    return Join(table, col(table.id) == col(foreign_key))


_PLAN = up(Household, Plan.household_id)

PATHS: dict[type[SQLModel], tuple[Join, ...]] = {
    Household: (),
    Member: (up(Household, Member.household_id),),
    Episode: (up(Household, Episode.household_id),),
    RoleAssignment: (up(Household, RoleAssignment.household_id),),
    Consent: (up(Household, Consent.household_id),),
    ConsentCategory: (up(Consent, ConsentCategory.consent_id), up(Household, Consent.household_id)),
    ConsentDomain: (up(Consent, ConsentDomain.consent_id), up(Household, Consent.household_id)),
    Plan: (_PLAN,),
    PlanVersion: (up(Plan, PlanVersion.plan_id), _PLAN),
    PlanApproval: (up(Plan, PlanApproval.plan_id), _PLAN),
    Goal: (up(Plan, Goal.plan_id), _PLAN),
    Action: (up(Goal, Action.goal_id), up(Plan, Goal.plan_id), _PLAN),
    Evaluation: (up(Plan, Evaluation.plan_id), _PLAN),
    EvaluationScore: (
        up(Evaluation, EvaluationScore.evaluation_id),
        up(Plan, Evaluation.plan_id),
        _PLAN,
    ),
    # The outcome's goal for its life domain, its evaluation for the plan.
    EvaluationOutcome: (
        up(Goal, EvaluationOutcome.goal_id),
        up(Evaluation, EvaluationOutcome.evaluation_id),
        up(Plan, Evaluation.plan_id),
        _PLAN,
    ),
    # An update names its household itself (indexed); its goal gives the life domain.
    ProgressUpdate: (up(Goal, ProgressUpdate.goal_id), up(Household, ProgressUpdate.household_id)),
    # Only a linked indication is part of a file; the municipal system that keeps them reads
    # all of its municipalities' by ``synced_indications`` instead (``statements.synced``).
    Indication: (up(Household, Indication.household_id),),
    # The access log of a household; the audit chain reads every record, as hashes only.
    AuditRecord: (up(Household, AuditRecord.household_id),),
    # The households a list, search or sync record showed, each with its access log.
    AuditNamedHousehold: (up(Household, AuditNamedHousehold.household_id),),
    # The family's rights requests, read in the access-log scope (the family, the officer).
    RightsRequest: (up(Household, RightsRequest.household_id),),
    # A member's old facts: read in the access-log scope (the family, the privacy officer)
    # and by the whole file's professionals (without the old values).
    MemberCorrection: (up(Household, MemberCorrection.household_id),),
    # The family's statements, read with the assessment they are attached to.
    FamilyStatement: (up(Household, FamilyStatement.household_id),),
    # Restrictions of processing: the family's and the officer's (access-log scope), and the
    # whole file's professionals', whose view remains (``predicates.restriction_readers``).
    Restriction: (up(Household, Restriction.household_id),),
}

# The life domain of a row, on the row or on a table of its path: a care provider whose
# consent names domains sees only rows in those.
LIFE_DOMAIN: dict[type[SQLModel], Any] = {
    Goal: col(Goal.life_domain),
    Action: col(Goal.life_domain),
    EvaluationOutcome: col(Goal.life_domain),
    EvaluationScore: col(EvaluationScore.life_domain),
    ProgressUpdate: col(Goal.life_domain),
}

# The member a row is about: while a restriction of that member holds, a care provider or
# machine client does not see the row (``predicates.unrestricted_member``). Rows that merely
# name a member as their giver or performer (a consent, an approval, an action) are about
# the household's plan and sharing, not about that member, and keep only the id.
MEMBER: dict[type[SQLModel], Any] = {
    Member: col(Member.id),
    Indication: col(Indication.member_id),
}
