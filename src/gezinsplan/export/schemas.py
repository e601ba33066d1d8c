"""The export's JSON body: each part as its own read endpoint returns it to the caller."""

from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import FilePartRead
from gezinsplan.consents.schemas import ConsentRead
from gezinsplan.households.schemas import HouseholdRead
from gezinsplan.indications.schemas import IndicationRead
from gezinsplan.kit.schemas import ApiModel
from gezinsplan.members.schemas import MemberRead
from gezinsplan.plans.schemas import EvaluationView, PlanRead
from gezinsplan.progress.schemas import ProgressRead
from gezinsplan.roles.schemas import RoleAssignmentRead

ExportPart = FilePartRead


class FileExport(ApiModel):
    """The household's file as far as the caller may read it; a part it may not read is null."""

    included: list[ExportPart] = Field(
        description=(
            "The parts of the file this export holds, as the caller may read them: `basic` "
            "(household and members), `plan` (plan, goals, actions, evaluations), `roles`, "
            "`consents`, `progress`, `indications`. The others are null."
        )
    )
    exported_at: datetime
    household: HouseholdRead
    members: list[MemberRead] | None
    plan: PlanRead | None = Field(
        description="As `GET .../plan` gives it: only the life domains the caller sees."
    )
    evaluations: list[EvaluationView] | None
    roles: list[RoleAssignmentRead] | None = Field(
        description="Every role assignment, ended ones included, oldest first."
    )
    consents: list[ConsentRead] | None = Field(
        description="Every consent, withdrawn and expired ones included, oldest first."
    )
    progress: list[ProgressRead] | None = Field(
        description="Every progress update the caller sees, corrections included, oldest first."
    )
    indications: list[IndicationRead] | None
