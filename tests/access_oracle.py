"""The access rules as plain facts and functions, for the access matrix test.

Written from the rules in DESIGN.md and the issue, not from ``gezinsplan.access``: it takes
what a world holds (who works on a household, which consents it gave) and says what an actor
may read and change, which life domains and consents they see, and so which canaries may
appear in the answers they get. Nothing here touches the app or the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

BASIC, PLAN, PROGRESS, INDICATIONS = "basic", "plan", "progress", "indications"
ROLES, CONSENTS, ACCESS_LOG = "roles", "consents", "access_log"
APPROVALS = "approvals"  # the family's approval of the plan
SCOPES = (BASIC, PLAN, PROGRESS, INDICATIONS, ROLES, CONSENTS, ACCESS_LOG, APPROVALS)
CATEGORIES = (BASIC, PLAN, PROGRESS, INDICATIONS)

# The consent category that opens a scope to a care provider; the access log opens to none.
CATEGORY_OF = {
    BASIC: BASIC,
    PLAN: PLAN,
    PROGRESS: PROGRESS,
    INDICATIONS: INDICATIONS,
    ROLES: BASIC,
    CONSENTS: BASIC,
    APPROVALS: PLAN,
}
# Residents do not read indications here: the municipality sends them the decision itself.
RESIDENT_READS = frozenset({PLAN, PROGRESS, ROLES, CONSENTS, ACCESS_LOG, APPROVALS})
REPORTING_ROLES = frozenset({"care_provider", "partner_system"})
# A resident gives and withdraws consent, and approves the plan, in their own name.
RESIDENT_WRITES = frozenset({CONSENTS, APPROVALS})


@dataclass(frozen=True)
class ActorFacts:
    """What a token says: roles, municipalities, organization, subject, member."""

    roles: frozenset[str] = frozenset()
    municipalities: frozenset[str] = frozenset()
    org: str | None = None
    sub: str = "tester"
    member: str | None = None


@dataclass(frozen=True)
class ConsentFacts:
    org: str
    categories: frozenset[str]
    domains: frozenset[str] = frozenset()  # empty: every life domain
    valid_from: date = date.min
    valid_until: date | None = None
    withdrawn: bool = False

    def valid_on(self, day: date) -> bool:
        if self.withdrawn or day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class HouseholdFacts:
    """Who may be let in: the municipality, the members, the active roles, the consents."""

    municipality: str
    members: frozenset[str] = frozenset()
    regisseur: tuple[str, str] | None = None  # (professional sub, organization) while active
    care_providers: frozenset[str] = frozenset()  # organizations with an active role
    consents: tuple[ConsentFacts, ...] = ()
    # Restrictions of processing (AVG art. 18) that hold: of the whole household, of members.
    restricted: bool = False
    restricted_members: frozenset[str] = frozenset()

    def with_consents(
        self, consents: Iterable[ConsentFacts], care_providers: Iterable[str] = ()
    ) -> "HouseholdFacts":
        return HouseholdFacts(
            municipality=self.municipality,
            members=self.members,
            regisseur=self.regisseur,
            care_providers=self.care_providers | frozenset(care_providers),
            consents=(*self.consents, *consents),
            restricted=self.restricted,
            restricted_members=self.restricted_members,
        )


def _toegang_here(actor: ActorFacts, household: HouseholdFacts) -> bool:
    return "toegang" in actor.roles and household.municipality in actor.municipalities


def regisseur_here(actor: ActorFacts, household: HouseholdFacts) -> bool:
    professional = bool(actor.roles & {"toegang", "care_provider"})
    return professional and actor.org is not None and household.regisseur == (actor.sub, actor.org)


def whole_file(actor: ActorFacts, household: HouseholdFacts) -> bool:
    """The access team of the municipality and the current regisseur: all but the log."""
    return _toegang_here(actor, household) or regisseur_here(actor, household)


def resident_of(actor: ActorFacts, household: HouseholdFacts) -> bool:
    return "resident" in actor.roles and actor.member in household.members


def keeps_view(actor: ActorFacts, household: HouseholdFacts) -> bool:
    """Whom a restriction of processing does not hold back: the whole file's professionals,
    the family, the municipality's privacy officer (AVG art. 18: storage, and their view)."""
    officer = "privacy_officer" in actor.roles and household.municipality in actor.municipalities
    return whole_file(actor, household) or resident_of(actor, household) or officer


def held_back(actor: ActorFacts, household: HouseholdFacts, member: str | None = None) -> bool:
    """A restriction that holds keeps the household (or this member) from the actor."""
    restricted = household.restricted or (
        member is not None and member in household.restricted_members
    )
    return restricted and not keeps_view(actor, household)


def _valid_consents(
    actor: ActorFacts, household: HouseholdFacts, category: str, today: date
) -> list[ConsentFacts]:
    """The actor's organization's consents valid today for a category, while it works here
    and no restriction of the household holds."""
    if "care_provider" not in actor.roles or actor.org is None:
        return []
    if actor.org not in household.care_providers or household.restricted:
        return []
    return [
        consent
        for consent in household.consents
        if consent.org == actor.org and category in consent.categories and consent.valid_on(today)
    ]


def may_read(actor: ActorFacts, household: HouseholdFacts, scope: str, today: date) -> bool:
    if scope != ACCESS_LOG and whole_file(actor, household):
        return True
    if scope in CATEGORY_OF and _valid_consents(actor, household, CATEGORY_OF[scope], today):
        return True
    if scope in RESIDENT_READS and resident_of(actor, household):
        return True
    return (
        scope == ACCESS_LOG
        and "privacy_officer" in actor.roles
        and household.municipality in actor.municipalities
    )


def knows(actor: ActorFacts, household: HouseholdFacts, today: date) -> bool:
    """The actor's widest view: it reads some part of the household, which is therefore no
    secret to it; a part or action refused it there is a 403, not a 404."""
    return any(may_read(actor, household, scope, today) for scope in SCOPES)


def may_write(actor: ActorFacts, household: HouseholdFacts, scope: str) -> bool:
    """Care providers only read; a resident changes only the consents and the approvals."""
    if scope != ACCESS_LOG and whole_file(actor, household):
        return True
    return scope in RESIDENT_WRITES and resident_of(actor, household)


def syncs_indications(actor: ActorFacts) -> bool:
    """A municipal system syncs and lists the indications of its token's municipalities."""
    return "municipal_system" in actor.roles and bool(actor.municipalities)


MACHINE_ROLES = frozenset({"partner_system", "municipal_system"})


def manages_subscriptions(actor: ActorFacts) -> bool:
    """Webhook subscriptions: an administrator's, all; a machine client's (one machine role,
    an organization, and for a municipal system municipalities), its organization's."""
    if "admin" in actor.roles:
        return True
    machine = actor.roles & MACHINE_ROLES
    if len(machine) != 1 or actor.org is None:
        return False
    return "municipal_system" not in machine or bool(actor.municipalities)


def manages_subscription_of(actor: ActorFacts, owner: str) -> bool:
    """One subscription: another organization's is not found."""
    return manages_subscriptions(actor) and ("admin" in actor.roles or actor.org == owner)


def works_here(actor: ActorFacts, household: HouseholdFacts) -> bool:
    """A care provider's professional or partner system, while it holds a role here and no
    restriction of the household holds (then the data is only stored)."""
    reporting = bool(actor.roles & REPORTING_ROLES)
    here = actor.org is not None and actor.org in household.care_providers
    return reporting and here and not household.restricted


def may_report(actor: ActorFacts, household: HouseholdFacts, assignee: str | None) -> bool:
    """Progress on a goal: the whole file's professionals, or the provider it is assigned to
    while it works on the household. No consent needed: the report is the provider's own."""
    if whole_file(actor, household):
        return True
    return works_here(actor, household) and assignee is not None and actor.org == assignee


def sees_domain(
    actor: ActorFacts, household: HouseholdFacts, domain: str, today: date, category: str = PLAN
) -> bool:
    """Within the plan or the progress: a care provider sees the domains its valid consents
    for that category name."""
    if whole_file(actor, household) or resident_of(actor, household):
        return True
    return any(
        not consent.domains or domain in consent.domains
        for consent in _valid_consents(actor, household, category, today)
    )


def sees_consent_of(actor: ActorFacts, household: HouseholdFacts, grantee: str) -> bool:
    """A care provider sees only the consents given to its own organization."""
    if whole_file(actor, household) or resident_of(actor, household):
        return True
    return "care_provider" in actor.roles and actor.org == grantee


@dataclass(frozen=True)
class Tag:
    """Where a canary lives: a household's scope, maybe a life domain or a consent's grantee."""

    household: str
    scope: str
    domain: str | None = None
    grantee: str | None = None
    member: str | None = None  # the member it is about, whom a restriction may hold back


@dataclass
class Canaries:
    """Every canary string of a world with its tag; the oracle says who may see which."""

    tags: dict[str, Tag] = field(default_factory=dict)

    def add(self, text: str, tag: Tag) -> str:
        assert text not in self.tags, f"canary {text} used twice"
        self.tags[text] = tag
        return text

    def extended(self, extra: dict[str, Tag]) -> "Canaries":
        return Canaries({**self.tags, **extra})


def may_see(
    actor: ActorFacts, households: dict[str, HouseholdFacts], tag: Tag, today: date
) -> bool:
    household = households.get(tag.household)
    if household is None:
        return False
    if tag.scope == INDICATIONS and syncs_indications(actor):
        # The municipality's own system reads back what it sent, for no household in particular
        # (a restriction withholds its events, not its own decisions: see decision 0030).
        return household.municipality in actor.municipalities
    if not may_read(actor, household, tag.scope, today):
        return False
    if held_back(actor, household, tag.member):
        return False
    category = CATEGORY_OF.get(tag.scope, PLAN)
    if tag.domain is not None and not sees_domain(actor, household, tag.domain, today, category):
        return False
    return tag.grantee is None or sees_consent_of(actor, household, tag.grantee)


def visible_canaries(
    actor: ActorFacts, households: dict[str, HouseholdFacts], canaries: Canaries, today: date
) -> frozenset[str]:
    return frozenset(
        text for text, tag in canaries.tags.items() if may_see(actor, households, tag, today)
    )
