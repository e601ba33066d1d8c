"""Why an actor may see a household: the legal basis its audit record names.

The predicates decide *whether*; this names *on what grounds*, in the order a privacy officer
would ask: the access team's statutory task, the regisseur's assignment, the family's consent,
the resident's own data, supervision.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gezinsplan.access import repository
from gezinsplan.access.predicates import PROFESSIONAL_ROLES
from gezinsplan.access.scopes import CONSENT_CATEGORY, PROFESSIONAL_SCOPES, Scope
from gezinsplan.audit.models import LegalBasis
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.households.models import Household, HouseholdRef

MUNICIPAL_TASK = "Toegang: the municipality's task under the Jeugdwet and the Wmo 2015."
REGIE = "Regie: coordinating the household's one plan."
CARE = "Zorg: reporting on the goals assigned to the care provider."
OWN_DATA = "The resident's own household file."
INDICATION_SYNC = "Indications: mirroring the municipality's Jeugdwet and Wmo 2015 decisions."
STEERING = "Stuurinformatie: aggregated figures for the municipality's policy and steering."
SUPERVISION = "Supervision of the processing of personal data (AVG art. 39)."
RIGHTS_REQUESTS = "Handling the family's requests under the AVG (art. 12)."


@dataclass(frozen=True)
class Grounds:
    basis: LegalBasis
    basis_id: uuid.UUID | None = None
    purpose: str | None = None


GROUNDS_KEY = "gezinsplan_grounds"


def grounds_for(session: Session, actor: Actor, household: HouseholdRef, scope: Scope) -> Grounds:
    """The first ground that lets the actor at this part of the household's file.

    Asked by the access rule and again by the response's visibility; the session lives as
    long as the request, so the answer is kept on it.
    """
    memo: dict[tuple[uuid.UUID, Scope], Grounds] = session.info.setdefault(GROUNDS_KEY, {})
    if (household.id, scope) not in memo:
        memo[household.id, scope] = _first_ground(session, actor, household, scope)
    return memo[household.id, scope]


def _first_ground(session: Session, actor: Actor, household: HouseholdRef, scope: Scope) -> Grounds:
    full = scope in PROFESSIONAL_SCOPES
    if full and actor.has(Role.TOEGANG) and household.municipality_code in actor.municipalities:
        return Grounds(LegalBasis.MUNICIPAL_TASK, purpose=MUNICIPAL_TASK)
    if full and actor.roles & PROFESSIONAL_ROLES and actor.org is not None:
        role_id = repository.regisseur_assignment(session, actor, household.id)
        if role_id is not None:
            return Grounds(LegalBasis.REGISSEUR, role_id, REGIE)
    if scope in CONSENT_CATEGORY and actor.has(Role.CARE_PROVIDER) and actor.org is not None:
        category = CONSENT_CATEGORY[scope]
        held = repository.held_consents(session, actor, household.id, scope)
        # The oldest valid consent that gives the organization this category.
        covering = next((c for c in held if c.category == category), None)
        if covering is not None:
            return Grounds(LegalBasis.CONSENT, covering.consent_id, covering.purpose)
    if actor.has(Role.RESIDENT) and actor.member is not None:
        return Grounds(LegalBasis.OWN_DATA, actor.member, OWN_DATA)
    if actor.has(Role.PRIVACY_OFFICER):
        return Grounds(LegalBasis.SUPERVISION, purpose=SUPERVISION)
    return Grounds(LegalBasis.NONE)


def report_grounds(session: Session, actor: Actor, household: Household) -> Grounds:
    """Why the actor may report progress here: the whole file, or its care assignment."""
    found = grounds_for(session, actor, household, Scope.PROGRESS)
    if found.basis in {LegalBasis.MUNICIPAL_TASK, LegalBasis.REGISSEUR}:
        return found
    role_id = repository.care_assignments(session, actor, [household.id]).get(household.id)
    if role_id is not None:
        return Grounds(LegalBasis.CARE_ASSIGNMENT, role_id, CARE)
    return Grounds(LegalBasis.NONE)


def list_grounds(actor: Actor) -> Grounds:
    """A list spans households; it names the broadest ground the actor holds."""
    if actor.has(Role.TOEGANG) and actor.municipalities:
        return Grounds(LegalBasis.MUNICIPAL_TASK, purpose=MUNICIPAL_TASK)
    return Grounds(LegalBasis.NONE)
