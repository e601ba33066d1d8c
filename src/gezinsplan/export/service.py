"""The whole file in one read, put together from the parts' own queries and read schemas.

Each part is loaded by the repository and turned into the schema its read endpoint uses, so a
part of the export holds exactly what that endpoint gives the caller. Whether the caller may
read a part is asked of the access module part by part, as the part's own route would ask.
"""

import uuid
from collections.abc import Iterable
from typing import cast

from sqlalchemy.orm import Session

from gezinsplan.access import repository as access
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note
from gezinsplan.auth.actor import Actor
from gezinsplan.consents import repository as consents
from gezinsplan.consents import service as consent_service
from gezinsplan.consents.schemas import ConsentRead
from gezinsplan.export.schemas import ExportPart, FileExport
from gezinsplan.households.models import Household
from gezinsplan.households.schemas import HouseholdRead
from gezinsplan.indications import service as indications
from gezinsplan.indications.schemas import IndicationRead
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.pagination import every_page
from gezinsplan.members import repository as members
from gezinsplan.members.schemas import MemberRead
from gezinsplan.organizations import repository as organizations
from gezinsplan.organizations.models import Organization
from gezinsplan.plans import repository as plans
from gezinsplan.plans import service as plan_service
from gezinsplan.plans.schemas import EvaluationView, PlanRead
from gezinsplan.progress import repository as progress
from gezinsplan.progress import service as progress_service
from gezinsplan.progress.schemas import ProgressRead
from gezinsplan.roles import repository as roles
from gezinsplan.roles.schemas import RoleAssignmentRead

# The parts beyond the basic data the route already admitted the caller to, in export order.
PARTS = (Scope.PLAN, Scope.ROLES, Scope.CONSENTS, Scope.PROGRESS, Scope.INDICATIONS)


def readable_parts(session: Session, actor: Actor, household: Household) -> list[ExportPart]:
    """The parts the caller may read: the household lookup of each part's own route."""
    found = [
        scope
        for scope in PARTS
        if access.load_household(session, actor, household.id, scope, write=False) is not None
    ]
    return cast(list[ExportPart], [str(Scope.BASIC), *(str(scope) for scope in found)])


def export(session: Session, actor: Actor, household: Household) -> FileExport:
    """The file as far as the caller may read it; the request's audit record says export
    and names the members it showed."""
    included = readable_parts(session, actor, household)
    member_reads = [
        MemberRead.model_validate(row)
        for row in every_page(lambda page: members.list_visible(session, actor, household.id, page))
    ]
    note(session, action=AuditAction.EXPORT, members=[member.id for member in member_reads])
    plan, evaluations = _plan(session, actor, household) if "plan" in included else (None, None)
    return FileExport(
        included=included,
        exported_at=utcnow(),
        household=HouseholdRead.model_validate(household),
        members=member_reads,
        plan=plan,
        evaluations=evaluations,
        roles=_roles(session, actor, household) if "roles" in included else None,
        consents=_consents(session, actor, household) if "consents" in included else None,
        progress=_progress(session, actor, household) if "progress" in included else None,
        indications=(
            _indications(session, actor, household) if "indications" in included else None
        ),
    )


def _plan(
    session: Session, actor: Actor, household: Household
) -> tuple[PlanRead | None, list[EvaluationView] | None]:
    view = plans.read_plan(session, actor, household.id)
    if view is None:
        return None, None
    plan = plan_service.to_read(session, actor, household, view)
    rows = every_page(lambda page: plans.list_evaluations(session, actor, plan.id, page))
    return plan, plan_service.evaluation_reads(session, actor, household, rows)


def _roles(session: Session, actor: Actor, household: Household) -> list[RoleAssignmentRead]:
    rows = every_page(lambda page: roles.list_visible(session, actor, household.id, page))
    return [RoleAssignmentRead.model_validate(row) for row in rows]


def _consents(session: Session, actor: Actor, household: Household) -> list[ConsentRead]:
    rows = every_page(lambda page: consents.list_visible(session, actor, household.id, page))
    return consent_service.reads(session, actor, rows)


def _progress(session: Session, actor: Actor, household: Household) -> list[ProgressRead]:
    rows = every_page(
        lambda page: progress.list_visible(session, actor, household.id, page),
        keyed=lambda row: row[0],
    )
    return progress_service.reads(session, actor, household.id, rows)


def _indications(session: Session, actor: Actor, household: Household) -> list[IndicationRead]:
    rows = every_page(lambda page: indications.for_household(session, actor, household.id, page))
    return [IndicationRead.model_validate(row) for row in rows]


def organizations_named(
    session: Session, organization_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Organization]:
    """The directory entries of the organizations the export refers to."""
    found = {id_: organizations.get(session, id_) for id_ in set(organization_ids)}
    return {id_: organization for id_, organization in found.items() if organization is not None}
