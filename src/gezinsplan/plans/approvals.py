"""The family's approval of the plan: one member, one kept version, and how it was given.

Recording an approval does not change the plan, so it does not raise its version; a later
change to the plan leaves the approval on the version it named.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import note
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.kit import clock
from gezinsplan.members import repository as members
from gezinsplan.plans.models import ApprovalMethod, Plan, PlanApproval
from gezinsplan.plans.schemas import ApprovalCreate, ApprovalRead, Author


def approve(session: Session, actor: Actor, plan: Plan, data: ApprovalCreate) -> PlanApproval:
    """A resident approves in their own name, digitally; a professional with the whole file
    records the approval a member of this household gave, in any way."""
    member_id = data.member_id
    own = policy.approves_in_own_name(actor)
    if own:
        if member_id not in (None, actor.member):
            raise Unprocessable.field(
                "memberId",
                "a resident approves as themselves",
                "A resident approves in their own name; a professional records it for others.",
            )
        if data.method != ApprovalMethod.DIGITAL:
            raise Unprocessable.field(
                "method",
                "a resident approves digitally",
                "Your own approval is digital; a professional records one on paper or verbal.",
            )
        member_id = actor.member
    if member_id is None:
        raise Unprocessable.field("memberId", "required", "Name the member who approved.")
    member = members.get_visible(
        session, actor, plan.household_id, member_id, scope=Scope.APPROVALS
    )
    if member is None:
        raise Unprocessable.field(
            "memberId", "not a member of this household", "No such member here."
        )
    if data.plan_version != plan.version:
        raise Conflict(
            f"The plan changed since version {data.plan_version}; it is at version "
            f"{plan.version} now. Read it again and approve the current version."
        )
    approval = PlanApproval(
        plan_id=plan.id,
        plan_version=plan.version,
        member_id=member.id,
        method=data.method,
        approved_on=data.approved_on or clock.today(),
        recorded_by_sub=actor.sub,
        recorded_by_name=None if own else actor.name,
        recorded_by_organization_id=actor.org,
    )
    session.add(approval)
    record_event(
        session,
        EventType.PLAN_APPROVED,
        actor=actor,
        resource_type="approval",
        resource_id=approval.id,
        household_id=plan.household_id,
    )
    note(session, members=[member.id])
    session.flush()
    return approval


def reads(plan: Plan, approvals: Sequence[PlanApproval]) -> list[ApprovalRead]:
    return [
        ApprovalRead(
            id=approval.id,
            plan_version=approval.plan_version,
            member_id=approval.member_id,
            method=approval.method,
            approved_on=approval.approved_on,
            current=approval.plan_version == plan.version,
            recorded_by=Author(
                name=approval.recorded_by_name,
                organization_id=approval.recorded_by_organization_id,
            ),
            created_at=approval.created_at,
        )
        for approval in approvals
    ]
