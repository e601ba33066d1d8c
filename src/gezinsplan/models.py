"""Every table model, imported once so the metadata is complete (for Alembic and tests)."""

from sqlmodel import SQLModel

from gezinsplan.audit.models import (
    AuditChainFormat,
    AuditErasure,
    AuditNamedHousehold,
    AuditRecord,
    AuditSeal,
)
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.episodes.models import Episode
from gezinsplan.events.models import Event, FeedState
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
from gezinsplan.rectification.models import FamilyStatement, MemberCorrection
from gezinsplan.rights.models import Restriction, RightsRequest
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.steering.snapshots.models import PublishedFigures
from gezinsplan.tariffs.models import Tariff
from gezinsplan.webhooks.models import Delivery, DeliveryAttempt, Subscription

metadata = SQLModel.metadata

# The name search's stored words exist only where migration 0015 made them: on PostgreSQL a
# tsvector column and its GIN index, on SQLite an FTS5 virtual table and the tables FTS5
# keeps its index in. The models leave them out (neither engine has the other's), so the
# schema comparison does too.
SEARCH_COLUMNS = frozenset({("households", "name_words")})
SEARCH_INDEXES = frozenset({"ix_households_name_words"})
SEARCH_TABLE = "household_names"
# The beginnings of those words, in the list's page order (0022): on both engines, but kept
# with the words they come from (households/search).
SEARCH_PREFIXES = "household_prefixes"


def compared(object_: object, name: str | None, type_: str, *_: object) -> bool:
    """Alembic's ``include_object``: everything but the name search's stored words."""
    if type_ == "column":
        table = getattr(getattr(object_, "table", None), "name", None)
        return (table, name) not in SEARCH_COLUMNS
    if type_ == "index":
        return name not in SEARCH_INDEXES
    if type_ == "table" and name is not None:
        return name not in (SEARCH_TABLE, SEARCH_PREFIXES) and not name.startswith(
            SEARCH_TABLE + "_"
        )
    return True


__all__ = [
    "Action",
    "AuditChainFormat",
    "AuditErasure",
    "AuditNamedHousehold",
    "AuditRecord",
    "AuditSeal",
    "Consent",
    "ConsentCategory",
    "ConsentDomain",
    "Delivery",
    "DeliveryAttempt",
    "Episode",
    "Evaluation",
    "EvaluationOutcome",
    "EvaluationScore",
    "Event",
    "FamilyStatement",
    "FeedState",
    "Goal",
    "Household",
    "IdempotencyKey",
    "Indication",
    "Member",
    "MemberCorrection",
    "Organization",
    "Plan",
    "PlanApproval",
    "PlanVersion",
    "ProgressUpdate",
    "PublishedFigures",
    "Restriction",
    "RightsRequest",
    "RoleAssignment",
    "ServedMunicipality",
    "Subscription",
    "Tariff",
    "metadata",
]
