"""The SQL predicates every read of case data is filtered by.

Lists, details and exports all use these, so they cannot disagree about who sees what. Each
predicate correlates to ``Household``; the caller joins its table up to the household.
Consent validity is computed in SQL from today's date, so a withdrawal or an expiry takes
effect on the very next request.

A restriction of processing (AVG art. 18) is applied here too, in the care providers' and
machine clients' grounds only: while one holds, those grounds reach nothing of the household
(or of the member), so every read, write, export and event of theirs misses it alike, and the
access team, the regisseur, the family and the privacy officer keep their view.

SQL expressions are immutable, and building one costs more than the index lookups it asks
for; each predicate is therefore kept per actor (and per day, where the date is in it).
"""

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, not_, or_, true
from sqlalchemy.sql.elements import False_
from sqlmodel import col

from gezinsplan.access.scopes import (
    CONSENT_CATEGORY,
    PROFESSIONAL_SCOPES,
    RESIDENT_READS,
    RESIDENT_WRITES,
    Scope,
)
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.episodes.models import Episode
from gezinsplan.events.models import ADDRESSED, Event
from gezinsplan.households.models import Household
from gezinsplan.indications.models import Indication
from gezinsplan.kit import clock
from gezinsplan.kit.aliases import shared_alias
from gezinsplan.members.models import Member
from gezinsplan.plans.models import Goal
from gezinsplan.rights.models import Restriction
from gezinsplan.roles.models import RoleAssignment, RoleType, active, of_type

PROFESSIONAL_ROLES = frozenset({Role.TOEGANG, Role.CARE_PROVIDER})
# Predicates kept per function: a few per actor active in the last minutes is plenty.
KEPT = 4096
# Who reports progress for a care provider: its professionals and its partner system.
REPORTING_ROLES = frozenset({Role.CARE_PROVIDER, Role.PARTNER_SYSTEM})

# Aliases, so each subquery correlates only to the household even inside a query that itself
# reads these tables. Built once: constructing an alias copies every column of its table,
# which per request cost more than the rest of the predicate together.
_REGISSEUR = shared_alias(RoleAssignment, "regisseur_role")
_PROVIDER = shared_alias(RoleAssignment, "provider_role")
_RESIDENT = shared_alias(Member, "resident")
_CONSENT = shared_alias(Consent, "held_consent")
_COVERED = shared_alias(ConsentCategory, "covered_category")
_LIMIT = shared_alias(ConsentDomain, "consent_limit")
_REPORTER = shared_alias(RoleAssignment, "reporter_role")
_HOUSEHOLD_RESTRICTION = shared_alias(Restriction, "household_restriction")
_MEMBER_RESTRICTION = shared_alias(Restriction, "member_restriction")
_EVENT_RESTRICTION = shared_alias(Restriction, "event_restriction")
_RESTRICTED_INDICATION = shared_alias(Indication, "restricted_indication")
# Whose grounds a restriction of processing holds back: the care providers' and the
# machine clients'. The access team, the regisseur, the family and the officer keep theirs.
RESTRICTED_ROLES = frozenset({Role.CARE_PROVIDER, Role.PARTNER_SYSTEM, Role.MUNICIPAL_SYSTEM})

# No active restriction of the whole household (AVG art. 18): one NOT EXISTS on the partial
# index of active restrictions by household. Built once: it names no actor.
UNRESTRICTED_HOUSEHOLD: ColumnElement[bool] = not_(
    exists()
    .where(
        col(_HOUSEHOLD_RESTRICTION.household_id) == col(Household.id),
        col(_HOUSEHOLD_RESTRICTION.member_id).is_(None),
        col(_HOUSEHOLD_RESTRICTION.lifted_at).is_(None),
    )
    .correlate(Household)
)


@lru_cache(maxsize=KEPT)
def regisseur_of(actor: Actor) -> ColumnElement[bool]:
    """Households the actor coordinates now: an active regisseur assignment to them."""
    if not may_coordinate(actor):
        return false()
    return exists().where(*regisseur_conditions(_REGISSEUR, actor)).correlate(Household)


def may_coordinate(actor: Actor) -> bool:
    """Whether the actor can be a household's regisseur: a professional of an organization."""
    return bool(actor.roles & PROFESSIONAL_ROLES) and actor.org is not None


def regisseur_conditions(role: Any, actor: Actor) -> list[ColumnElement[bool]]:
    """``role`` (the role table or an alias of it) is the actor's active regisseur assignment
    to the household."""
    return [
        col(role.household_id) == col(Household.id),
        col(role.professional_sub) == actor.sub,
        col(role.organization_id) == actor.org,
        *active(role, RoleType.REGISSEUR),
    ]


def _in_municipalities(actor: Actor) -> ColumnElement[bool]:
    return col(Household.municipality_code).in_(sorted(actor.municipalities))


@lru_cache(maxsize=KEPT)
def full_grounds(actor: Actor) -> ColumnElement[bool]:
    """The access team of the household's municipality, and its regisseur: the whole file."""
    allowed: list[ColumnElement[bool]] = []
    if actor.has(Role.TOEGANG) and actor.municipalities:
        allowed.append(_in_municipalities(actor))
    if may_coordinate(actor):
        allowed.append(regisseur_of(actor))
    return _any(allowed)


@lru_cache(maxsize=KEPT)
def own_household(actor: Actor) -> ColumnElement[bool]:
    """A resident's household: the one their ``member`` claim names."""
    if not actor.has(Role.RESIDENT) or actor.member is None:
        return false()
    member = _RESIDENT
    return (
        exists()
        .where(col(member.id) == actor.member, col(member.household_id) == col(Household.id))
        .correlate(Household)
    )


def valid_on(consent: Any, day: date) -> list[ColumnElement[bool]]:
    """A consent (the table or an alias of it) not withdrawn and within its dates on ``day``."""
    return [
        col(consent.withdrawn_at).is_(None),
        col(consent.valid_from) <= day,
        or_(col(consent.valid_until).is_(None), col(consent.valid_until) >= day),
    ]


def _active_consents(actor: Actor, category: str, today: date) -> Any:
    """The actor's organization's consents on the household, valid today, for a category."""
    consent, covered = _CONSENT, _COVERED
    return consent, [
        col(consent.household_id) == col(Household.id),
        col(consent.grantee_organization_id) == actor.org,
        *valid_on(consent, today),
        exists()
        .where(col(covered.consent_id) == col(consent.id), col(covered.category) == category)
        .correlate(consent),
    ]


def consented(actor: Actor, category: str, today: date) -> ColumnElement[bool]:
    """A care provider on the household whose organization holds a valid consent for it."""
    if not actor.has(Role.CARE_PROVIDER) or actor.org is None:
        return false()
    _, conditions = _active_consents(actor, category, today)
    return and_(
        _care_provider_on(actor, _PROVIDER),
        exists().where(*conditions).correlate(Household),
        UNRESTRICTED_HOUSEHOLD,
    )


@lru_cache(maxsize=KEPT)
def works_on(actor: Actor) -> ColumnElement[bool]:
    """Households on which the actor's organization holds an active care-provider role, and
    that no restriction holds back: restricted data is only stored, not reported on."""
    if not actor.roles & REPORTING_ROLES or actor.org is None:
        return false()
    return and_(NOT_ERASED, _care_provider_on(actor, _REPORTER), UNRESTRICTED_HOUSEHOLD)


def _care_provider_on(actor: Actor, role: Any) -> ColumnElement[bool]:
    """The actor's organization holds an active care-provider role on the household.

    ``role`` is the alias to read it through, distinct per caller, so that a query combining
    two of these predicates keeps their subqueries apart.
    """
    return (
        exists()
        .where(
            col(role.household_id) == col(Household.id),
            col(role.organization_id) == actor.org,
            *active(role, RoleType.CARE_PROVIDER),
        )
        .correlate(Household)
    )


@lru_cache(maxsize=KEPT)
def reporting_on(actor: Actor) -> ColumnElement[bool]:
    """Goals a care provider reports progress on: assigned to its organization, while it works
    on the household. Needs no consent: the report is the provider's own information.

    Correlates to ``Goal`` and ``Household``; the caller joins the goal up to its household.
    """
    if not actor.roles & REPORTING_ROLES or actor.org is None:
        return false()
    return and_(col(Goal.organization_id) == actor.org, works_on(actor))


@lru_cache(maxsize=KEPT)
def progress_writers(actor: Actor) -> ColumnElement[bool]:
    """Goals the actor may report progress on: the whole file's professionals, or the provider
    the goal is assigned to."""
    return _any([editable_households(actor, Scope.PROGRESS), reporting_on(actor)])


def visible_households(actor: Actor, scope: Scope) -> ColumnElement[bool]:
    """Households of which the actor may read the given part."""
    return _visible_households(actor, scope, clock.today())


# An erased household is nobody's to read or change: it answers the 404 of no household.
NOT_ERASED = col(Household.erased_at).is_(None)


def erased_household(household_id: uuid.UUID) -> ColumnElement[bool]:
    """The one household an erasure or the retention run clears, after its rule decided (the
    privacy officer with a granted request, or the end of retention): never a caller's read."""
    return col(Household.id) == household_id


def retention_candidates() -> ColumnElement[bool]:
    """Closed, unerased households: the ones the retention run derives an end date for."""
    return and_(NOT_ERASED, col(Household.status) == "closed")


@lru_cache(maxsize=KEPT)
def _visible_households(actor: Actor, scope: Scope, today: date) -> ColumnElement[bool]:
    allowed: list[ColumnElement[bool]] = []
    if scope in PROFESSIONAL_SCOPES:
        allowed.append(full_grounds(actor))
    if scope in CONSENT_CATEGORY:
        allowed.append(consented(actor, CONSENT_CATEGORY[scope], today))
    if scope in RESIDENT_READS:
        allowed.append(own_household(actor))
    if scope is Scope.ACCESS_LOG and actor.has(Role.PRIVACY_OFFICER) and actor.municipalities:
        allowed.append(_in_municipalities(actor))
    return _unerased(_any(allowed))


def known_households(actor: Actor) -> ColumnElement[bool]:
    """Households the actor may read some part of: its widest view, in which a refusal of
    one part is no secret (a 403), while any other household stays a 404. The same grounds
    as every read, so an erased household, and a restricted one for a care provider, is
    not among them."""
    return _known_households(actor, clock.today())


@lru_cache(maxsize=KEPT)
def _known_households(actor: Actor, today: date) -> ColumnElement[bool]:
    return _any([_visible_households(actor, scope, today) for scope in Scope])


def restriction_readers(actor: Actor) -> ColumnElement[bool]:
    """Households whose restrictions of processing the actor reads: the family and the
    privacy officer (who read its access log), and the whole file's professionals, whose view
    of restricted data remains and who must know that it is restricted. Care providers, whom
    a restriction holds back, do not learn that one exists."""
    return _restriction_readers(actor, clock.today())


@lru_cache(maxsize=KEPT)
def _restriction_readers(actor: Actor, today: date) -> ColumnElement[bool]:
    return _any([_visible_households(actor, Scope.ACCESS_LOG, today), full_grounds(actor)])


@lru_cache(maxsize=KEPT)
def editable_households(actor: Actor, scope: Scope) -> ColumnElement[bool]:
    """Households of which the actor may change the given part: care providers only read."""
    allowed: list[ColumnElement[bool]] = []
    if scope in PROFESSIONAL_SCOPES:
        allowed.append(full_grounds(actor))
    if scope in RESIDENT_WRITES:
        allowed.append(own_household(actor))
    return _unerased(_any(allowed))


def in_consented_domains(actor: Actor, category: str, life_domain: Any) -> ColumnElement[bool]:
    """Rows in a life domain the actor may see: all of them on full grounds or as resident.

    A care provider sees a domain when one of its valid consents for the category either is
    not limited to domains or names this one. Used beside ``visible_households``, which
    checks the care provider's role on the household.
    """
    return _in_consented_domains(actor, category, life_domain, clock.today())


@lru_cache(maxsize=KEPT)
def _in_consented_domains(
    actor: Actor, category: str, life_domain: Any, today: date
) -> ColumnElement[bool]:
    allowed = [full_grounds(actor), own_household(actor)]
    if actor.has(Role.CARE_PROVIDER) and actor.org is not None:
        consent, conditions = _active_consents(actor, category, today)
        limit = _LIMIT
        unlimited = not_(
            exists().where(col(limit.consent_id) == col(consent.id)).correlate_except(limit)
        )
        named = (
            exists()
            .where(col(limit.consent_id) == col(consent.id), col(limit.life_domain) == life_domain)
            .correlate_except(limit)
        )
        # Everything but the consent itself correlates outwards: the household and the row
        # whose life domain is asked about.
        allowed.append(exists().where(*conditions, or_(unlimited, named)).correlate_except(consent))
    return _any(allowed)


def _unerased(grounds: ColumnElement[bool]) -> ColumnElement[bool]:
    return grounds if isinstance(grounds, False_) else and_(NOT_ERASED, grounds)


def unrestricted_member(actor: Actor, member_id: Any) -> ColumnElement[bool]:
    """Rows about a member (``member_id``, a column of the row's table) that the actor may see
    while a restriction of that member holds: all of them on full grounds, as the family or as
    the privacy officer; for a care provider or machine client, none of a restricted member.

    Used beside ``visible_households``; a row naming no member is about none.
    """
    return _unrestricted_member(actor, member_id)


@lru_cache(maxsize=KEPT)
def _unrestricted_member(actor: Actor, member_id: Any) -> ColumnElement[bool]:
    if not actor.roles & RESTRICTED_ROLES:
        return true()
    restriction = _MEMBER_RESTRICTION
    free = not_(
        exists()
        .where(col(restriction.member_id) == member_id, col(restriction.lifted_at).is_(None))
        .correlate_except(restriction)
    )
    return _any([*_unrestricted_grounds(actor), free])


def _unrestricted_grounds(actor: Actor) -> list[ColumnElement[bool]]:
    """The grounds no restriction holds back: the whole file, the family's own, the officer's."""
    grounds = [full_grounds(actor), own_household(actor)]
    if actor.has(Role.PRIVACY_OFFICER) and actor.municipalities:
        grounds.append(_in_municipalities(actor))
    return grounds


def _any(allowed: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """OR of the grounds that apply; a plain ``false`` when none does, so the SQL says so."""
    grounds = [clause for clause in allowed if not isinstance(clause, False_)]
    return or_(*grounds) if grounds else false()


@lru_cache(maxsize=KEPT)
def visible_consents(actor: Actor) -> ColumnElement[bool]:
    """A care provider sees the consents given to its own organization, not other grants."""
    allowed = [full_grounds(actor), own_household(actor)]
    if actor.has(Role.CARE_PROVIDER) and actor.org is not None:
        allowed.append(col(Consent.grantee_organization_id) == actor.org)
    return _any(allowed)


_EVENT_CONSENT = shared_alias(Consent, "event_consent")
_EVENT_INDICATION = shared_alias(Indication, "event_indication")


def visible_events(actor: Actor) -> ColumnElement[bool]:
    """Events the actor may see, judged now: about a household whose part (the event's
    ``scope``) the actor may read, in a life domain it may see; or addressed to the actor's
    organization (``ADDRESSED``: an erasure told to those who received the data).

    Correlates to ``Event`` and to its ``Household`` (outer-joined: an unlinked indication's
    event has none). A partner system reads with its organization's grounds as a care
    provider; a municipal system, the events of its municipalities' indications.
    """
    return _visible_events(actor, clock.today())


@lru_cache(maxsize=KEPT)
def _visible_events(actor: Actor, today: date) -> ColumnElement[bool]:
    reader = _as_care_provider(actor) if actor.has(Role.PARTNER_SYSTEM) else actor
    unrestricted = _event_unrestricted(actor)
    allowed: list[ColumnElement[bool]] = []
    for scope in Scope:
        if scope is Scope.ACCESS_LOG:  # no change is an access-log event
            continue
        households = _visible_households(reader, scope, today)
        if isinstance(households, False_):
            continue
        conditions = [col(Event.scope) == scope.value, households]
        if scope is Scope.CONSENTS:
            conditions.append(_event_consent_visible(reader))
        if scope in CONSENT_CATEGORY:
            domains = _in_consented_domains(
                reader, CONSENT_CATEGORY[scope], col(Event.life_domain), today
            )
            conditions.append(or_(col(Event.life_domain).is_(None), domains))
        if unrestricted is not None:
            conditions.append(_any([*_unrestricted_grounds(reader), unrestricted]))
        allowed.append(and_(*conditions))
    if actor.has(Role.MUNICIPAL_SYSTEM) and actor.municipalities:
        indication = _EVENT_INDICATION
        allowed.append(
            and_(
                col(Event.scope) == Scope.INDICATIONS.value,
                exists()
                .where(
                    col(indication.id) == col(Event.resource_id),
                    col(indication.municipality_code).in_(sorted(actor.municipalities)),
                )
                .correlate(Event),
                unrestricted if unrestricted is not None else true(),
            )
        )
    if reader.org is not None and reader.roles & PROFESSIONAL_ROLES:
        allowed.append(and_(col(Event.scope) == ADDRESSED, col(Event.addressee_id) == reader.org))
    return _any(allowed)


def _event_unrestricted(actor: Actor) -> ColumnElement[bool] | None:
    """For a care provider or machine client: the event is about nothing a restriction holds,
    neither its household nor, for a member or an indication, the member it concerns. None for
    an actor no restriction holds back.

    One NOT EXISTS on the active restrictions of the event's household (indexed), so events of
    unrestricted households cost one index probe.
    """
    if not actor.roles & RESTRICTED_ROLES:
        return None
    restriction, indication = _EVENT_RESTRICTION, _RESTRICTED_INDICATION
    about_member = or_(
        and_(
            col(Event.resource_type) == "member",
            col(restriction.member_id) == col(Event.resource_id),
        ),
        and_(
            col(Event.resource_type) == "indication",
            exists()
            .where(
                col(indication.id) == col(Event.resource_id),
                col(indication.member_id) == col(restriction.member_id),
            )
            .correlate(Event, restriction),
        ),
    )
    return not_(
        exists()
        .where(
            col(restriction.household_id) == col(Event.household_id),
            col(restriction.lifted_at).is_(None),
            or_(col(restriction.member_id).is_(None), about_member),
        )
        .correlate(Event)
    )


def reads_events(actor: Actor) -> bool:
    """Whether any event could be the actor's to see: its grounds are not all ``false``."""
    return not isinstance(visible_events(actor), False_)


def _as_care_provider(actor: Actor) -> Actor:
    """A partner system as its organization's care provider: the grounds its events follow."""
    return Actor(
        sub=actor.sub,
        name=actor.name,
        org=actor.org,
        roles=actor.roles - {Role.PARTNER_SYSTEM} | {Role.CARE_PROVIDER},
        municipalities=frozenset(),
    )


def _event_consent_visible(actor: Actor) -> ColumnElement[bool]:
    """A consent's event: a care provider sees those of consents given to its organization."""
    allowed = [full_grounds(actor), own_household(actor)]
    if actor.has(Role.CARE_PROVIDER) and actor.org is not None:
        consent = _EVENT_CONSENT
        allowed.append(
            exists()
            .where(
                col(consent.id) == col(Event.resource_id),
                col(consent.grantee_organization_id) == actor.org,
            )
            .correlate(Event)
        )
    return _any(allowed)


@lru_cache(maxsize=KEPT)
def synced_indications(actor: Actor) -> ColumnElement[bool]:
    """The indications a municipal system keeps: those of its token's municipalities."""
    if not actor.has(Role.MUNICIPAL_SYSTEM) or not actor.municipalities:
        return false()
    return col(Indication.municipality_code).in_(sorted(actor.municipalities))


@lru_cache(maxsize=KEPT)
def linkable_households(actor: Actor) -> ColumnElement[bool]:
    """Households a municipal system's indications may link into: its own municipalities'.

    Linking across municipalities would tell one municipality's system (through ``linked``)
    that a person is in another municipality's file.
    """
    if not actor.has(Role.MUNICIPAL_SYSTEM) or not actor.municipalities:
        return false()
    return and_(NOT_ERASED, _in_municipalities(actor))


@lru_cache(maxsize=KEPT)
def reportable_households(actor: Actor) -> ColumnElement[bool]:
    """Households a policy actor's figures count: those of the municipalities in its token.

    Figures leave the service only as aggregates after disclosure control; this decides
    which households go into them, never which a caller may look at.
    """
    if not actor.has(Role.POLICY) or not actor.municipalities:
        return false()
    return _in_municipalities(actor)


_TEAM_ASSIGNMENT = shared_alias(RoleAssignment, "team_assignment")


def _team_assignment_at_end(ends_at: datetime) -> list[ColumnElement[bool]]:
    """The regisseur assignment of an ``Episode``'s household active at the episode's end
    when it closed before ``ends_at``, else at ``ends_at`` (its team, see the catalogue). Like
    the caseload, an assignment ended at that very instant counts, one started then not yet."""
    moment = case(
        (
            and_(col(Episode.closed_at).is_not(None), col(Episode.closed_at) < ends_at),
            col(Episode.closed_at),
        ),
        else_=ends_at,
    )
    return [
        col(_TEAM_ASSIGNMENT.household_id) == col(Episode.household_id),
        of_type(_TEAM_ASSIGNMENT, RoleType.REGISSEUR),
        col(_TEAM_ASSIGNMENT.started_at) < moment,
        or_(col(_TEAM_ASSIGNMENT.ended_at).is_(None), col(_TEAM_ASSIGNMENT.ended_at) >= moment),
    ]


def episode_team(ends_at: datetime) -> ColumnElement[bool]:
    """Conditions on ``team_assignment`` (``TEAM_ASSIGNMENT``) for a repository's subquery."""
    return and_(*_team_assignment_at_end(ends_at))


TEAM_ASSIGNMENT = _TEAM_ASSIGNMENT


def reportable_episodes(actor: Actor, ends_at: datetime) -> ColumnElement[bool]:
    """Episodes (with their household) a figure for a period ending at ``ends_at`` counts:
    policy staff, all of their municipalities; an access-team worker, those of their own team
    (``episode_team``) in their municipalities. Nobody else any."""
    if actor.has(Role.POLICY) and actor.municipalities:
        return _in_municipalities(actor)
    if actor.has(Role.TOEGANG) and actor.municipalities and actor.org is not None:
        own_team = exists().where(
            *_team_assignment_at_end(ends_at),
            col(_TEAM_ASSIGNMENT.organization_id) == actor.org,
        )
        return and_(_in_municipalities(actor), own_team)
    return false()
