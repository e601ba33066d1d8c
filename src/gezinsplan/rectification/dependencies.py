"""Access rules of rectification: who reads a member's fact history, who files a statement.

Registered with ``access_rule`` like every rule; they live here because what they hand the
route (the history's view, the family's household) is this domain's.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from gezinsplan.access import policy
from gezinsplan.access import repository as access
from gezinsplan.access.dependencies import HouseholdId, admit, refuse
from gezinsplan.access.guard import access_rule
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.trail import audit
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import Forbidden
from gezinsplan.households.models import Household

HISTORY_READERS = (
    "Only the family, the privacy officer, the access team and the regisseur read the "
    "history of corrections."
)
STATEMENT_FILERS = "Only a resident of the household adds the family's statement."


@dataclass(frozen=True)
class HistoryView:
    """The household whose history is read, and whether the old values are shown."""

    household: Household
    old_values: bool


@access_rule
def history_reader(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> HistoryView:
    """The family and the privacy officer (the access-log scope) read the history with the
    old values; the whole file's professionals (the access team, the regisseur) without them.
    Care providers do not: they learn of a correction by its event and read the member again
    (a 403 for one who reads some part of the household, else the 404 of no household)."""
    audit(session, actor)
    household = access.load_household(session, actor, household_id, Scope.ACCESS_LOG, write=False)
    if household is not None:
        return HistoryView(admit(session, actor, household, Scope.ACCESS_LOG), old_values=True)
    household = access.load_household(session, actor, household_id, Scope.BASIC, write=True)
    if household is None:
        refuse(session, actor, household_id, Forbidden(HISTORY_READERS))
    return HistoryView(admit(session, actor, household, Scope.BASIC), old_values=False)


@access_rule
def statement_filer(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    """A resident, for their own household's plan and progress. A professional who reads the
    plan, or any other part of the household, gets 403 (they write the assessments, not the
    family's view of them); anyone else the 404 of no household."""
    audit(session, actor)
    household = access.load_household(session, actor, household_id, Scope.PLAN, write=False)
    if household is None:
        refuse(session, actor, household_id, Forbidden(STATEMENT_FILERS))
    household = admit(session, actor, household, Scope.PLAN)
    if not (
        policy.makes_statements(actor) and access.is_own_household(session, actor, household.id)
    ):
        raise Forbidden(STATEMENT_FILERS)
    return household


HistoryReader = Annotated[HistoryView, Depends(history_reader)]
StatementFiler = Annotated[Household, Depends(statement_filer)]
