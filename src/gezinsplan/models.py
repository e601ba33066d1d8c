"""Every table model, imported once so the metadata is complete (for Alembic and tests)."""

from sqlmodel import SQLModel

from gezinsplan.audit.models import AuditRecord, AuditSeal
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.episodes.models import Episode
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
from gezinsplan.steering.snapshots.models import PublishedFigures
from gezinsplan.tariffs.models import Tariff

metadata = SQLModel.metadata

# Expression indexes that only a migration creates (0009, PostgreSQL): autogenerate cannot
# compare an index on an expression, so the schema comparison leaves these out.
MIGRATION_ONLY_INDEXES = frozenset({"ix_households_name_words", "ix_members_name_words"})


def compared(_object: object, name: str | None, type_: str, *_: object) -> bool:
    """Alembic's ``include_object``: everything but the migration-only indexes."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


__all__ = [
    "Action",
    "AuditRecord",
    "AuditSeal",
    "Consent",
    "ConsentCategory",
    "ConsentDomain",
    "Episode",
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
    "PublishedFigures",
    "RoleAssignment",
    "ServedMunicipality",
    "Tariff",
    "metadata",
]
