"""Every table model, imported once so the metadata is complete (for Alembic and tests)."""

from sqlmodel import SQLModel

from gezinsplan.audit.models import AuditRecord, AuditSeal
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.events.models import Event
from gezinsplan.households.models import Household
from gezinsplan.idempotency.models import IdempotencyKey
from gezinsplan.indications.models import Indication
from gezinsplan.members.models import Member
from gezinsplan.organizations.models import Organization, ServedMunicipality
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
from gezinsplan.roles.models import RoleAssignment

metadata = SQLModel.metadata

__all__ = [
    "Action",
    "AuditRecord",
    "AuditSeal",
    "Consent",
    "ConsentCategory",
    "ConsentDomain",
    "Evaluation",
    "EvaluationOutcome",
    "EvaluationScore",
    "Event",
    "Goal",
    "Household",
    "IdempotencyKey",
    "Indication",
    "Member",
    "Organization",
    "Plan",
    "PlanApproval",
    "PlanVersion",
    "ProgressUpdate",
    "RoleAssignment",
    "ServedMunicipality",
    "metadata",
]
