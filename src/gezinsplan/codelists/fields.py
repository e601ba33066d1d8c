"""Coded fields: ``Annotated[str, InCodelist("life-domains")]`` ties a field to its list.

A request field is checked against the codes valid today, and its error names the list; a
response field is only documented, so data stored under a code that has since expired still
reads. The OpenAPI schema of both carries the list's name (``x-codelist``) and every code it
has held (``enum``), so a frontend can build its pick lists and a test can prove that no coded
field escapes its list.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from gezinsplan.codelists import registry
from gezinsplan.kit import clock

CODELIST_KEY = "x-codelist"


@dataclass(frozen=True)
class InCodelist:
    """Marks a ``str`` (or, for numeric scales, ``int``) field as coded by the list ``name``."""

    name: str
    check: bool = True

    def __post_init__(self) -> None:
        registry.get(self.name)  # an unknown list fails at import, not at the first request

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        if not self.check:
            return schema
        return core_schema.no_info_after_validator_function(self._validate, schema)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        codes: list[Any] = list(registry.get(self.name).codes)
        if json_schema.get("type") == "integer":
            codes = [int(code) for code in codes]
        json_schema[CODELIST_KEY] = self.name
        json_schema["enum"] = codes
        return json_schema

    def _validate(self, value: Any) -> Any:
        codelist = registry.get(self.name)
        if not codelist.is_valid(str(value), clock.today()):
            raise ValueError(
                f"{value!r} is not a valid code of the codelist {self.name} "
                f"(version {codelist.version}; see /api/v1/codelists/{self.name})"
            )
        return value


# Request fields: checked against the codes valid today.
LifeDomain = Annotated[str, InCodelist("life-domains")]
ZrmScore = Annotated[int, InCodelist("zrm-scores")]
ClosingReasonCode = Annotated[str, InCodelist("closing-reasons")]
ReferralSourceCode = Annotated[str, InCodelist("referral-sources")]
RelationType = Annotated[str, InCodelist("relation-types")]
HouseholdStatusCode = Annotated[str, InCodelist("household-statuses")]
PlanStatusCode = Annotated[str, InCodelist("plan-statuses")]
GoalStatusCode = Annotated[str, InCodelist("goal-statuses")]
ActionPerformer = Annotated[str, InCodelist("action-performers")]
EvaluationOutcome = Annotated[str, InCodelist("evaluation-outcomes")]
RoleType = Annotated[str, InCodelist("role-types")]
OrganizationKindCode = Annotated[str, InCodelist("organization-kinds")]
ApprovalMethodCode = Annotated[str, InCodelist("approval-methods")]
ProgressOutcome = Annotated[str, InCodelist("progress-outcomes")]
WorklistSignalCode = Annotated[str, InCodelist("worklist-signals")]

# Response fields: documented with their list, not checked, so expired codes still read.
LifeDomainRead = Annotated[str, InCodelist("life-domains", check=False)]
ZrmScoreRead = Annotated[int, InCodelist("zrm-scores", check=False)]
ClosingReasonRead = Annotated[str, InCodelist("closing-reasons", check=False)]
ReferralSourceRead = Annotated[str, InCodelist("referral-sources", check=False)]
RelationTypeRead = Annotated[str, InCodelist("relation-types", check=False)]
HouseholdStatusRead = Annotated[str, InCodelist("household-statuses", check=False)]
PlanStatusRead = Annotated[str, InCodelist("plan-statuses", check=False)]
GoalStatusRead = Annotated[str, InCodelist("goal-statuses", check=False)]
ActionPerformerRead = Annotated[str, InCodelist("action-performers", check=False)]
EvaluationOutcomeRead = Annotated[str, InCodelist("evaluation-outcomes", check=False)]
RoleTypeRead = Annotated[str, InCodelist("role-types", check=False)]
OrganizationKindRead = Annotated[str, InCodelist("organization-kinds", check=False)]
ApprovalMethodRead = Annotated[str, InCodelist("approval-methods", check=False)]
ActorRoleRead = Annotated[str, InCodelist("actor-roles", check=False)]
ConsentCategory = Annotated[str, InCodelist("consent-categories")]
ConsentCategoryRead = Annotated[str, InCodelist("consent-categories", check=False)]
ConsentStatusRead = Annotated[str, InCodelist("consent-statuses", check=False)]
AuditActionRead = Annotated[str, InCodelist("audit-actions", check=False)]
AuditOutcomeRead = Annotated[str, InCodelist("audit-outcomes", check=False)]
LegalBasisRead = Annotated[str, InCodelist("legal-bases", check=False)]
ProgressOutcomeRead = Annotated[str, InCodelist("progress-outcomes", check=False)]
PushStatusRead = Annotated[str, InCodelist("push-statuses", check=False)]
WorklistSignalRead = Annotated[str, InCodelist("worklist-signals", check=False)]

# Indications: the iJw and iWmo tables; the regulation selects the product category list.
IjwProductCategory = Annotated[str, InCodelist("ijw-product-categories")]
IwmoProductCategory = Annotated[str, InCodelist("iwmo-product-categories")]
ProductCategory = IjwProductCategory | IwmoProductCategory
ProductCategoryRead = (
    Annotated[str, InCodelist("ijw-product-categories", check=False)]
    | Annotated[str, InCodelist("iwmo-product-categories", check=False)]
)
IndicationUnit = Annotated[str, InCodelist("indication-units")]
IndicationUnitRead = Annotated[str, InCodelist("indication-units", check=False)]
IndicationFrequency = Annotated[str, InCodelist("indication-frequencies")]
IndicationFrequencyRead = Annotated[str, InCodelist("indication-frequencies", check=False)]
IndicationChangeReason = Annotated[str, InCodelist("indication-change-reasons")]
IndicationChangeReasonRead = Annotated[str, InCodelist("indication-change-reasons", check=False)]
IndicationStatusCode = Annotated[str, InCodelist("indication-statuses")]
IndicationStatusRead = Annotated[str, InCodelist("indication-statuses", check=False)]
Regulation = Annotated[str, InCodelist("indication-regulations")]
RegulationRead = Annotated[str, InCodelist("indication-regulations", check=False)]

# Steering figures: what a figure is, how it is broken down, its period and why it is hidden.
BreakdownRead = Annotated[str, InCodelist("indicator-breakdowns", check=False)]
PeriodKindRead = Annotated[str, InCodelist("period-kinds", check=False)]
SuppressionRead = Annotated[str, InCodelist("suppression-reasons", check=False)]
FigureKindRead = Annotated[str, InCodelist("figure-kinds", check=False)]

# The change feed and webhooks: event types, who a subscription reads as, a delivery's fate.
EventTypeCode = Annotated[str, InCodelist("event-types")]
EventTypeRead = Annotated[str, InCodelist("event-types", check=False)]
SubscriberRole = Annotated[str, InCodelist("subscriber-roles")]
SubscriberRoleRead = Annotated[str, InCodelist("subscriber-roles", check=False)]
DeliveryStatusRead = Annotated[str, InCodelist("delivery-statuses", check=False)]

# The family's rights: the request, its state and outcome; a file's parts and sources.
RightsRequestKind = Annotated[str, InCodelist("rights-request-kinds")]
RightsRequestKindRead = Annotated[str, InCodelist("rights-request-kinds", check=False)]
RightsRequestStatus = Annotated[str, InCodelist("rights-request-statuses")]
RightsRequestStatusRead = Annotated[str, InCodelist("rights-request-statuses", check=False)]
RightsRequestOutcome = Annotated[str, InCodelist("rights-request-outcomes")]
RightsRequestOutcomeRead = Annotated[str, InCodelist("rights-request-outcomes", check=False)]
DataSourceKindRead = Annotated[str, InCodelist("data-source-kinds", check=False)]
FilePartRead = Annotated[str, InCodelist("file-parts", check=False)]

# Rectification: which fact of a member was corrected; which assessment a statement is on.
FactFieldRead = Annotated[str, InCodelist("fact-fields", check=False)]
StatementSubject = Annotated[str, InCodelist("statement-subjects")]
StatementSubjectRead = Annotated[str, InCodelist("statement-subjects", check=False)]
