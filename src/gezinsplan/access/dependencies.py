"""Access rules as FastAPI dependencies: every API route depends on one of these.

Rules that only check the token and mark the audit trail are ``async``: they do no I/O, and
FastAPI runs them on the event loop instead of handing each to a worker thread and back.

A household the actor may not see is loaded as "not found", with the very response a
nonexistent id gets, so ids cannot be probed. One the actor reads some part of is no secret:
a refused part or action of it answers 403, naming what is missing (``refusals``).
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from gezinsplan.access import grounds, policy, predicates, refusals, repository
from gezinsplan.access.guard import access_rule
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.models import LegalBasis
from gezinsplan.audit.trail import audit
from gezinsplan.auth.actor import Actor
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import Forbidden, NotFound
from gezinsplan.households.models import Household, HouseholdRef

HOUSEHOLD_NOT_FOUND = "Household not found."

HouseholdCheck = Callable[[uuid.UUID, Actor, Session], Household]
# A household as a rule admits it: the ORM instance, or a plain row for a route that reads.
H = TypeVar("H", bound=HouseholdRef)

HouseholdId = Annotated[uuid.UUID, Path(description="The household's id.")]


@access_rule
async def public() -> None:
    """For routes that hold no case data and need no caller (health checks)."""


@access_rule
async def any_actor(actor: CurrentActor) -> Actor:
    """For routes about the caller itself."""
    return actor


@access_rule
async def directory_reader(actor: CurrentActor) -> Actor:
    if not policy.may_read_directory(actor):
        raise Forbidden("Your token carries no role of this service.")
    return actor


@access_rule
async def organization_admin(actor: CurrentActor) -> Actor:
    if not policy.may_manage_organizations(actor):
        raise Forbidden("Only an administrator manages organizations.")
    return actor


@dataclass(frozen=True, slots=True)
class Entry:
    """An actor's rule bound to its request, for a route that does all its database work in
    one thread hop (``db.in_one_hop``): ``record(session)`` marks the request's audit record
    there, first, exactly as the rule of the same name does with its own session."""

    actor: Actor
    basis: LegalBasis
    purpose: str | None

    def record(self, session: Session) -> Actor:
        audit(session, self.actor, basis=self.basis, purpose=self.purpose, keep=True)
        return self.actor


def _deferred(rule: Callable[[Actor], Entry], name: str) -> Any:
    """``Depends`` on ``rule`` as an async rule that needs no session, named as the rule
    that applies it with one, so the spec documents the same roles for both."""

    async def deferred(actor: CurrentActor) -> Entry:
        return rule(actor)

    deferred.__name__ = name
    deferred.__doc__ = f"The rule of ``{name}``, applied in the route's one thread hop."
    return Depends(access_rule(deferred))


def _listing(actor: Actor) -> Entry:
    found = grounds.list_grounds(actor)
    return Entry(actor, found.basis, found.purpose)


@access_rule
async def household_reader(actor: CurrentActor, session: DbSession) -> Actor:
    """For lists and creation: the repository applies the actor's predicate itself."""
    return _listing(actor).record(session)


def admit(session: Session, actor: Actor, household: H | None, scope: Scope) -> H:
    """After a household lookup: 404 when it was not found (or is not the actor's to see),
    else the grounds the actor reaches it on go into the request's audit record.

    Call ``audit(session, actor)`` before the lookup, so a refused attempt is recorded too.
    """
    if household is None:
        raise NotFound(HOUSEHOLD_NOT_FOUND)
    audit_grounds(
        session, actor, household.id, grounds.grounds_for(session, actor, household, scope)
    )
    return household


def admit_or_refuse(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    household: H | None,
    scope: Scope,
    *,
    write: bool,
) -> H:
    """``admit``, but a household the actor reads some part of, refused this part (or this
    change), is a 403 naming what is missing. Only the refusal asks the database again."""
    if household is None:
        refuse(session, actor, household_id, refusals.refusal(actor, scope, write=write))
    return admit(session, actor, household, scope)


def refuse(session: Session, actor: Actor, household_id: uuid.UUID, refusal: Forbidden) -> NoReturn:
    """After a rule refused the household: ``refusal`` when the actor reads some part of it,
    else the 404 of no household, so no id can be probed (decision 0037)."""
    if repository.is_known_household(session, actor, household_id):
        raise refusal
    raise NotFound(HOUSEHOLD_NOT_FOUND)


def audit_grounds(
    session: Session, actor: Actor, household_id: uuid.UUID, found: grounds.Grounds
) -> None:
    """The request's audit record names the household and the grounds it was reached on."""
    audit(
        session,
        actor,
        household_id=household_id,
        basis=found.basis,
        basis_id=found.basis_id,
        purpose=found.purpose,
    )


def _household_check(scope: Scope, *, write: bool) -> HouseholdCheck:
    def check(household_id: uuid.UUID, actor: Actor, session: Session) -> Household:
        audit(session, actor)
        household = repository.load_household(session, actor, household_id, scope, write=write)
        return admit_or_refuse(session, actor, household_id, household, scope, write=write)

    return check


def _rule_name(scope: Scope, *, write: bool) -> str:
    return f"{'writable' if write else 'readable'}_{scope}"


def _household_rule(scope: Scope, *, write: bool) -> Callable[..., Household]:
    check = _household_check(scope, write=write)

    def rule(household_id: HouseholdId, actor: CurrentActor, session: DbSession) -> Household:
        return check(household_id, actor, session)

    rule.__name__ = _rule_name(scope, write=write)
    rule.__doc__ = f"The household, when the actor may {'change' if write else 'read'} its {scope}."
    return access_rule(rule)


@dataclass(frozen=True, slots=True)
class Admission:
    """A household rule bound to its request, for a route that only reads and does all its
    database work in one thread hop (``db.in_one_hop``): ``household(session)`` applies it
    there, first."""

    household_id: uuid.UUID
    actor: Actor
    scope: Scope

    def household(self, session: Session) -> HouseholdRef:
        """The household as a plain row (``HouseholdKey``), or the rule's 404 or 403, exactly
        as ``readable``."""
        audit(session, self.actor)
        household = repository.load_household_key(
            session, self.actor, self.household_id, self.scope
        )
        return admit_or_refuse(
            session, self.actor, self.household_id, household, self.scope, write=False
        )


def _admission_rule(scope: Scope) -> Callable[..., Awaitable[Admission]]:
    async def rule(household_id: HouseholdId, actor: CurrentActor) -> Admission:
        return Admission(household_id, actor, scope)

    # Named as the rule it defers, so the spec documents the same roles for it.
    rule.__name__ = _rule_name(scope, write=False)
    rule.__doc__ = f"The rule of ``{rule.__name__}``, applied in the route's one thread hop."
    return access_rule(rule)


_HOUSEHOLD_RULES = {
    (scope, write): Depends(_household_rule(scope, write=write))
    for scope in Scope
    for write in (False, True)
}


_ADMISSIONS = {scope: Depends(_admission_rule(scope)) for scope in Scope}


def admitted(scope: Scope) -> Any:
    """``Annotated[Admission, admitted(Scope.PLAN)]``: ``readable`` for a route that only
    reads and opens its transaction itself, in one thread hop (``db.in_one_hop``)."""
    return _ADMISSIONS[scope]


def readable(scope: Scope) -> Any:
    """``Annotated[Household, readable(Scope.PLAN)]``: 404 unless the actor may read it, or
    403 when the actor reads another part of it."""
    return _HOUSEHOLD_RULES[scope, False]


def writable(scope: Scope) -> Any:
    """``Annotated[Household, writable(Scope.PLAN)]``: 404 unless the actor may change it, or
    403 when the actor reads some part of it."""
    return _HOUSEHOLD_RULES[scope, True]


@access_rule
async def progress_pusher(actor: CurrentActor, session: DbSession) -> Actor:
    """A partner system pushing for its own organization; each item is checked in the query."""
    if not policy.may_push_progress(actor):
        raise Forbidden("Only a care provider's partner system, for its organization, pushes.")
    audit(session, actor, basis=LegalBasis.CARE_ASSIGNMENT, purpose=grounds.CARE)
    return actor


@access_rule
async def privacy_officer(actor: CurrentActor, session: DbSession) -> Actor:
    """For the audit chain check: the privacy officer's, and recorded like any access."""
    if not policy.may_check_audit(actor):
        raise Forbidden("Only a privacy officer checks the audit log.")
    audit(session, actor, basis=LegalBasis.SUPERVISION, purpose=grounds.SUPERVISION)
    return actor


@access_rule
async def municipal_system(actor: CurrentActor, session: DbSession) -> Actor:
    """For the indication sync: a municipal system, recorded under the municipal task.

    Which municipalities it reaches is decided per record (policy) and per query (predicate).
    """
    if not policy.may_sync_indications(actor):
        raise Forbidden("Only a municipal system syncs indications.")
    audit(session, actor, basis=LegalBasis.MUNICIPAL_TASK, purpose=grounds.INDICATION_SYNC)
    return actor


@access_rule
async def tariff_system(actor: CurrentActor, session: DbSession) -> Actor:
    """For the tariff sync: a municipal system; each record and query keeps to its own
    municipalities (policy). Tariffs are no personal data; the access is recorded all the same."""
    if not policy.may_sync_indications(actor):
        raise Forbidden("Only a municipal system syncs tariffs.")
    audit(session, actor, basis=LegalBasis.MUNICIPAL_TASK, purpose=grounds.MUNICIPAL_TASK)
    return actor


def _coordinating(actor: Actor) -> Entry:
    if not predicates.may_coordinate(actor):
        raise Forbidden("Only a professional of an organization coordinates households.")
    return Entry(actor, LegalBasis.REGISSEUR, grounds.REGIE)


@access_rule
async def coordinator(actor: CurrentActor, session: DbSession) -> Actor:
    """For the worklist: a professional who can be a regisseur; the query keeps to their own
    caseload, which they hold on the grounds of their assignments."""
    return _coordinating(actor).record(session)


@access_rule
async def access_team_lead(actor: CurrentActor, session: DbSession) -> Actor:
    """For the team worklist: a toegang worker, for their municipalities and organization."""
    if not policy.may_see_team_worklist(actor):
        raise Forbidden("Only an access-team worker of an organization sees the team worklist.")
    audit(
        session, actor, basis=LegalBasis.MUNICIPAL_TASK, purpose=grounds.MUNICIPAL_TASK, keep=True
    )
    return actor


@access_rule
async def event_reader(actor: CurrentActor, session: DbSession) -> Actor:
    """For the change feed: any caller that may see some household's changes; which events
    it gets is decided per event, when read (``predicates.visible_events``)."""
    if not predicates.reads_events(actor):
        raise Forbidden("Your roles give no grounds to see changes to households.")
    found = grounds.list_grounds(actor)
    audit(session, actor, basis=found.basis, purpose=found.purpose, keep=True)
    return actor


@access_rule
async def subscription_manager(actor: CurrentActor) -> Actor:
    """For webhook subscriptions: no case data, so nothing is audited; which subscriptions
    the caller reaches is decided in the query (``webhooks.repository``)."""
    if not policy.may_manage_subscriptions(actor):
        raise Forbidden(
            "Only a partner or municipal system of an organization, or an administrator, "
            "manages webhook subscriptions."
        )
    return actor


def _rights_household(household_id: uuid.UUID, actor: Actor, session: Session) -> Household:
    """The household when the actor may read its access log (the family, its municipality's
    privacy officer): the scope its rights requests are read in. Else the 404 of no household."""
    audit(session, actor)
    household = repository.load_household(
        session, actor, household_id, Scope.ACCESS_LOG, write=False
    )
    return admit(session, actor, household, Scope.ACCESS_LOG)


@access_rule
def request_filer(household_id: HouseholdId, actor: CurrentActor, session: DbSession) -> Household:
    """For filing a rights request: a resident, for their own household. The privacy officer,
    who sees the household's requests, gets 403; anyone else the 404 of no household."""
    household = _rights_household(household_id, actor, session)
    if not (
        policy.files_rights_requests(actor)
        and repository.is_own_household(session, actor, household.id)
    ):
        raise Forbidden("Only a resident of the household files a request about its data.")
    return household


@access_rule
def request_decider(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    """For extending and deciding a rights request: the privacy officer of the household's
    municipality. The family, who sees its requests, gets 403; anyone else the 404."""
    household = _rights_household(household_id, actor, session)
    if not policy.may_decide_rights_requests(actor, household.municipality_code):
        raise Forbidden("Only the privacy officer of the household's municipality handles it.")
    return household


def _restriction_household(household_id: uuid.UUID, actor: Actor, session: Session) -> Household:
    """The household when the actor reads its restrictions: in the access-log scope (the
    family, the privacy officer) or with the whole file (the access team, the regisseur, who
    change its basic data). Else the 404 of no household, care providers included."""
    audit(session, actor)
    household = repository.load_household(
        session, actor, household_id, Scope.ACCESS_LOG, write=False
    )
    if household is not None:
        return admit(session, actor, household, Scope.ACCESS_LOG)
    household = repository.load_household(session, actor, household_id, Scope.BASIC, write=True)
    return admit(session, actor, household, Scope.BASIC)


@access_rule
def restriction_reader(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    """For the household's restrictions of processing: the family, the privacy officer, the
    access team and the regisseur (``predicates.restriction_readers``)."""
    return _restriction_household(household_id, actor, session)


@access_rule
def restriction_officer(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    """For placing and lifting a restriction: the privacy officer of the household's
    municipality. The others who read its restrictions get 403; anyone else the 404."""
    household = _restriction_household(household_id, actor, session)
    if not policy.may_restrict_processing(actor, household.municipality_code):
        raise Forbidden("Only the privacy officer of the household's municipality restricts it.")
    return household


@access_rule
async def rights_officer(actor: CurrentActor, session: DbSession) -> Actor:
    """For the worklist of rights requests: the privacy officer; the query keeps to the
    municipalities in the token, and each household shown gets its access-log line."""
    if not policy.may_handle_rights_requests(actor):
        raise Forbidden("Only a privacy officer keeps the worklist of rights requests.")
    audit(session, actor, basis=LegalBasis.SUPERVISION, purpose=grounds.RIGHTS_REQUESTS)
    return actor


ProgressPusher = Annotated[Actor, Depends(progress_pusher)]
VisibleHousehold = Annotated[Household, readable(Scope.BASIC)]
EditableHousehold = Annotated[Household, writable(Scope.BASIC)]
HouseholdReader = Annotated[Actor, Depends(household_reader)]
# ``household_reader`` and ``coordinator`` for routes that work in one thread hop.
Listing = Annotated[Entry, _deferred(_listing, "household_reader")]
Coordinating = Annotated[Entry, _deferred(_coordinating, "coordinator")]
DirectoryReader = Annotated[Actor, Depends(directory_reader)]
OrganizationAdmin = Annotated[Actor, Depends(organization_admin)]
AnyActor = Annotated[Actor, Depends(any_actor)]
MunicipalSystem = Annotated[Actor, Depends(municipal_system)]
TariffSystem = Annotated[Actor, Depends(tariff_system)]
Coordinator = Annotated[Actor, Depends(coordinator)]
AccessTeamLead = Annotated[Actor, Depends(access_team_lead)]
EventReader = Annotated[Actor, Depends(event_reader)]
SubscriptionManager = Annotated[Actor, Depends(subscription_manager)]
RequestFiler = Annotated[Household, Depends(request_filer)]
RequestDecider = Annotated[Household, Depends(request_decider)]
RightsOfficer = Annotated[Actor, Depends(rights_officer)]
RestrictionReader = Annotated[Household, Depends(restriction_reader)]
RestrictionOfficer = Annotated[Household, Depends(restriction_officer)]

Public = Depends(public)
