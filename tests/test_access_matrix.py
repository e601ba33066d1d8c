"""The access matrix: every operation of the route table, as every kind of actor, on an own,
a foreign, another and a nonexistent household, with own, cross-household, hidden-domain and
random sub-resource ids, valid and invalid bodies, current and stale ETags.

Expected outcomes come from ``tests.access_oracle``, which knows the rules but not the app.
Every household and category of the world is seeded with unique canary strings; every
response body and header is searched for canaries the caller may not see. A household (or a
goal, member, ...) the caller may not reach must answer exactly like a nonexistent one.
Each request runs in a savepoint that is rolled back, so all see the same world. A second
test lets Hypothesis draw consent configurations for one care provider and checks the same.
"""

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import hypothesis.strategies as st
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Connection
from sqlmodel import Session

from gezinsplan.access.guard import unguarded_routes
from gezinsplan.consents.models import Consent, ConsentCategory, ConsentDomain
from gezinsplan.kit.clock import today, utcnow
from gezinsplan.roles.models import RoleAssignment
from tests.access_oracle import (
    ACCESS_LOG,
    APPROVALS,
    BASIC,
    CATEGORIES,
    CONSENTS,
    INDICATIONS,
    MACHINE_ROLES,
    PLAN,
    PROGRESS,
    ROLES,
    ActorFacts,
    Canaries,
    ConsentFacts,
    HouseholdFacts,
    Tag,
    held_back,
    knows,
    manages_subscription_of,
    manages_subscriptions,
    may_read,
    may_report,
    may_write,
    regisseur_here,
    resident_of,
    sees_consent_of,
    sees_domain,
    syncs_indications,
    visible_canaries,
    whole_file,
    works_here,
)
from tests.conftest import Token

API = "/api/v1"
H = f"{API}/households/{{household_id}}"
FINANCES, PARENTING, HOUSING = "finances", "parenting", "housing"
DOMAINS = (FINANCES, PARENTING, HOUSING)
PROBLEM = "application/problem+json"
PER_REQUEST = frozenset({"date", "x-request-id", "traceparent"})  # differ per request by design
CANARY = re.compile(r"CANARY-[A-Za-z0-9_-]+")
MIN_ATTEMPTS = 10_000
MIN_EXAMPLES = 1_000
HOUSEHOLDS = ("A", "B", "C")
NOWHERE = "X"  # the nonexistent household

# ~25,000 requests, one at a time: without the hand-offs to worker threads.
pytestmark = pytest.mark.usefixtures("sync_calls_inline")

Json = dict[str, Any]
Headers = dict[str, str]


# --- the world -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thing:
    """A sub-resource of a household: what it is, where it lives, what it is about."""

    kind: str
    household: str
    domain: str | None = None
    goal: str | None = None
    grantee: str | None = None
    assignee: str | None = None  # a goal's organization
    category: str = PLAN  # the consent category that shows its domain


@dataclass
class Seed:
    """A household as seeded through the API: its ids, ETags and the oracle's facts."""

    key: str
    id: str
    facts: HouseholdFacts
    parent: str
    child: str
    goals: dict[str, str]
    actions: dict[str, str]
    evaluation: str
    progress: dict[str, str]  # a progress update per goal, by life domain
    roles: list[str]  # oldest first
    regisseur: str  # the active regisseur assignment
    consents: list[str]
    etags: dict[str, str]
    request: str = ""  # the family's rights request, filed once the household is seeded
    restriction: str = ""  # a restriction of processing, placed once the household is seeded

    @property
    def plan_version(self) -> int:
        return int(self.etags["plan"].strip('"'))


@dataclass(frozen=True)
class ActorSpec:
    name: str
    roles: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    org: str | None = None  # an organization key of the world
    member: str | None = None  # the household whose parent the token names
    own: str = "A"


ACTORS = (
    ActorSpec("anonymous"),
    ActorSpec("toegang-zwolle", ("toegang",), ("0193",), "access"),
    ActorSpec("toegang-dalfsen", ("toegang",), ("0148",), "access"),
    ActorSpec("anna", ("toegang",), org="access", own="C"),  # regisseur of C
    ActorSpec("olga", ("toegang",), org="access"),  # regisseur of A until the handover
    ActorSpec("bart", ("care_provider",), org="regie"),  # regisseur of A since then
    ActorSpec("carl", ("care_provider",), org="regie", own="C"),  # handed C over to anna
    ActorSpec("impostor", ("care_provider",), org="consent"),  # not bart, whatever it says
    ActorSpec("cp-consent", ("care_provider",), org="consent"),
    ActorSpec("cp-none", ("care_provider",), org="none"),
    ActorSpec("cp-expired", ("care_provider",), org="expired"),
    ActorSpec("cp-withdrawn", ("care_provider",), org="withdrawn"),
    ActorSpec("cp-domain", ("care_provider",), org="domain"),
    ActorSpec("resident-a", ("resident",), member="A"),
    ActorSpec("resident-b", ("resident",), member="B", own="B"),
    ActorSpec("resident-ghost", ("resident",), member=NOWHERE),  # a member of no household
    ActorSpec("municipal-system", ("municipal_system",), ("0193",)),
    ActorSpec("partner-system", ("partner_system",), org="consent"),
    ActorSpec("policy", ("policy",), ("0193",)),
    ActorSpec("privacy-officer", ("privacy_officer",), ("0193",)),
    ActorSpec("admin", ("admin",)),
)
# The impostor's token says sub "bart" (A's regisseur) but names another organization.
SUBS = {"impostor": "bart"}

ORGANIZATIONS: dict[str, Json] = {
    "access": {
        "kind": "access_team",
        "name": "Wijkteam Zwolle",
        "servedMunicipalities": ["0193", "0148"],
    },
    "access-amsterdam": {
        "kind": "access_team",
        "name": "Wijkteam Amsterdam",
        "servedMunicipalities": ["0363"],
    },
    **{
        key: {"kind": "care_provider", "name": f"Zorgaanbieder {key}", "agbCode": f"5200{n:04d}"}
        for n, key in enumerate(
            ("regie", "consent", "none", "expired", "withdrawn", "domain", "spare", "hypo", "other")
        )
    },
}


@dataclass(frozen=True)
class ConsentPlan:
    org: str
    categories: tuple[str, ...] = (BASIC, PLAN)
    domains: tuple[str, ...] = ()
    valid_from: int = 0  # days from today
    valid_until: int | None = 365
    withdraw: bool = False


@dataclass(frozen=True)
class HouseholdPlan:
    key: str
    municipality: str
    opener: str  # an actor seeding it: toegang of its municipality
    regisseurs: tuple[tuple[str, str], ...]  # (sub, org key), handed over in this order
    care_providers: tuple[str, ...]
    consents: tuple[ConsentPlan, ...]
    assigned: tuple[tuple[str, str], ...] = ()  # (life domain, organization key) of goals


PLANS = (
    HouseholdPlan(
        "A",
        "0193",
        "zwolle",
        regisseurs=(("olga", "access"), ("bart", "regie")),
        care_providers=("consent", "none", "expired", "withdrawn", "domain"),
        consents=(
            ConsentPlan("consent", categories=(BASIC, PLAN, INDICATIONS)),
            ConsentPlan("expired", valid_from=-30, valid_until=-1),
            ConsentPlan("withdrawn", withdraw=True),
            ConsentPlan("domain", categories=(BASIC, PLAN, PROGRESS), domains=(FINANCES,)),
        ),
        assigned=((FINANCES, "consent"),),
    ),
    HouseholdPlan(
        "C",
        "0193",
        "zwolle",
        regisseurs=(("carl", "regie"), ("anna", "access")),
        care_providers=("regie",),
        consents=(ConsentPlan("domain"),),  # without a role on C: no grounds
    ),
    HouseholdPlan(
        "B",
        "0363",
        "amsterdam",
        # Anna's sub, but of the Amsterdam team: not the anna of our tokens.
        regisseurs=(("anna", "access-amsterdam"),),
        care_providers=("none",),  # a role without consent
        consents=(ConsentPlan("consent"),),  # a consent without a role
        assigned=((FINANCES, "none"),),  # to a provider without consent: reports, never reads
    ),
)


@dataclass
class World:
    orgs: dict[str, str]
    households: dict[str, Seed] = field(default_factory=dict)
    canaries: Canaries = field(default_factory=Canaries)
    things: dict[str, Thing] = field(default_factory=dict)
    actors: dict[str, ActorFacts | None] = field(default_factory=dict)
    headers: dict[str, Headers] = field(default_factory=dict)
    nowhere: str = field(default_factory=lambda: str(uuid.uuid4()))
    random: str = field(default_factory=lambda: str(uuid.uuid4()))
    subscriptions: dict[str, str] = field(default_factory=dict)  # id -> owner organization

    def facts(self) -> dict[str, HouseholdFacts]:
        return {key: seed.facts for key, seed in self.households.items()}

    def seed(self, key: str) -> Seed:
        """The seed a request on ``key`` borrows its ids from; the nonexistent one: A's."""
        return self.households.get(key) or self.households["A"]

    def other(self, key: str) -> Seed:
        """The household whose ids a cross-household request borrows."""
        return self.households["A" if key == "B" else "B"]


def _send(
    client: TestClient, method: str, url: str, headers: Headers, body: Any = None, status: int = 201
) -> Any:
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, (method, url, response.text)
    return response


class Seeder:
    """Fills a world through the API, as the administrator and the access teams would."""

    def __init__(self, client: TestClient, world: World, openers: dict[str, Headers]) -> None:
        self.client = client
        self.world = world
        self.openers = openers

    def canary(self, key: str, scope: str, detail: str, **tag: Any) -> str:
        return self.world.canaries.add(f"CANARY-{key}-{scope}-{detail}", Tag(key, scope, **tag))

    def household(self, plan: HouseholdPlan) -> Seed:
        headers = self.openers[plan.opener]
        opened = _send(
            self.client,
            "POST",
            f"{API}/households",
            headers,
            {
                "municipalityCode": plan.municipality,
                "name": self.canary(plan.key, BASIC, "name"),
                "referralSource": "municipal_access",
            },
        ).json()
        base = f"{API}/households/{opened['id']}"
        parent = self.member(plan.key, base, headers, "parent", "1985-05-05")
        child = self.member(plan.key, base, headers, "child", "2015-06-06")
        self.indication(plan, parent)
        goals, actions = self.plan(plan, base, headers)
        evaluation = self.evaluation(plan.key, base, headers, goals)
        progress = self.progress(plan.key, base, headers, goals)
        roles, regisseur = self.roles(plan, base, headers)
        consents, consent_facts = self.consents(plan, base, headers, parent)
        seed = Seed(
            key=plan.key,
            id=opened["id"],
            facts=HouseholdFacts(
                municipality=plan.municipality,
                members=frozenset({parent, child}),
                regisseur=(plan.regisseurs[-1][0], self.world.orgs[plan.regisseurs[-1][1]]),
                care_providers=frozenset(self.world.orgs[o] for o in plan.care_providers),
                consents=consent_facts,
            ),
            parent=parent,
            child=child,
            goals=goals,
            actions=actions,
            evaluation=evaluation,
            progress=progress,
            roles=roles,
            regisseur=regisseur,
            consents=consents,
            etags={
                "household": self.etag(base, headers),
                "plan": self.etag(f"{base}/plan", headers),
                "member": self.etag(f"{base}/members/{parent}", headers),
            },
        )
        self.register(seed, plan)
        return seed

    def etag(self, url: str, headers: Headers) -> str:
        return str(_send(self.client, "GET", url, headers, status=200).headers["etag"])

    def member(self, key: str, base: str, headers: Headers, relation: str, born: str) -> str:
        body = {
            "givenName": self.canary(key, BASIC, f"{relation}-given"),
            "familyName": self.canary(key, BASIC, f"{relation}-family"),
            "birthDate": born,
            "relation": relation,
            "isGuardian": relation == "parent",
        }
        if relation == "parent":
            body["bsn"] = PARENT_BSN[key]
        member = str(_send(self.client, "POST", f"{base}/members", headers, body).json()["id"])
        self.about(member, body["givenName"], body["familyName"])
        return member

    def about(self, member: str, *canaries: str) -> None:
        """These canaries are about the member, whom a restriction of processing may hold back."""
        tags = self.world.canaries.tags
        for text in canaries:
            tags[text] = replace(tags[text], member=member)

    def indication(self, plan: HouseholdPlan, parent: str) -> None:
        """The municipality's indication for the parent, linked by BSN; its number a canary
        about the parent."""
        record = SYNCED | {
            "municipalityCode": plan.municipality,
            "indicationNumber": self.canary(plan.key, INDICATIONS, "number"),
            "bsn": PARENT_BSN[plan.key],
        }
        system = self.openers[f"system-{plan.municipality}"]
        answer = _send(
            self.client, "PUT", f"{API}/indications", system, {"indications": [record]}, 200
        ).json()
        assert [(r["status"], r["linked"]) for r in answer["results"]] == [("created", True)]
        self.about(parent, record["indicationNumber"])

    def plan(
        self, plan: HouseholdPlan, base: str, headers: Headers
    ) -> tuple[dict[str, str], dict[str, str]]:
        key = plan.key
        assigned = dict(plan.assigned)
        wishes = {"familyWishes": self.canary(key, PLAN, "wishes")}
        etag = self.etag(f"{base}/plan", headers)
        _send(self.client, "PATCH", f"{base}/plan", headers | {"If-Match": etag}, wishes, 200)
        goals, actions = {}, {}
        for domain in DOMAINS:
            goal = {
                "lifeDomain": domain,
                "description": self.canary(key, PLAN, f"goal-{domain}", domain=domain),
                "zrmStart": 2,
                "zrmTarget": 4,
            }
            if domain in assigned:
                goal["organizationId"] = self.world.orgs[assigned[domain]]
            goals[domain] = _send(self.client, "POST", f"{base}/plan/goals", headers, goal).json()[
                "id"
            ]
            action = {
                "description": self.canary(key, PLAN, f"action-{domain}", domain=domain),
                "performer": "own_network",
                "performerName": self.canary(key, PLAN, f"actionby-{domain}", domain=domain),
            }
            url = f"{base}/plan/goals/{goals[domain]}/actions"
            actions[domain] = _send(self.client, "POST", url, headers, action).json()["id"]
        return goals, actions

    def progress(
        self, key: str, base: str, headers: Headers, goals: dict[str, str]
    ) -> dict[str, str]:
        found = {}
        for domain, goal in goals.items():
            body = {
                "text": self.canary(key, PROGRESS, f"report-{domain}", domain=domain),
                "reportedOn": (today() - timedelta(days=1)).isoformat(),
            }
            url = f"{base}/plan/goals/{goal}/progress"
            found[domain] = _send(self.client, "POST", url, headers, body).json()["id"]
        return found

    def evaluation(self, key: str, base: str, headers: Headers, goals: dict[str, str]) -> str:
        body = {
            "evaluatedOn": (today() - timedelta(days=1)).isoformat(),
            "summary": self.canary(key, PLAN, "evaluation"),
            "outcomes": [
                {
                    "goalId": goal,
                    "outcome": "continue",
                    "note": self.canary(key, PLAN, f"outcome-{domain}", domain=domain),
                }
                for domain, goal in goals.items()
            ],
            "scores": [{"lifeDomain": d, "score": n} for n, d in enumerate(DOMAINS, start=2)],
        }
        return str(
            _send(self.client, "POST", f"{base}/plan/evaluations", headers, body).json()["id"]
        )

    def roles(self, plan: HouseholdPlan, base: str, headers: Headers) -> tuple[list[str], str]:
        roles: list[str] = []
        current: str | None = None
        for sub, org in plan.regisseurs:
            body: Json = {
                "professionalSub": sub,
                "professionalName": self.canary(plan.key, ROLES, f"name-{sub}"),
                "organizationId": self.world.orgs[org],
                "reason": self.canary(plan.key, ROLES, f"reason-{sub}"),
            }
            if current is not None:
                body["replaces"] = current
            current = _send(self.client, "PUT", f"{base}/regisseur", headers, body, 200).json()[
                "id"
            ]
            roles.append(current)
        assert current is not None
        for org in plan.care_providers:
            body = {
                "organizationId": self.world.orgs[org],
                "reason": self.canary(plan.key, ROLES, f"reason-{org}"),
            }
            roles.append(_send(self.client, "POST", f"{base}/roles", headers, body).json()["id"])
        return roles, current

    def consents(
        self, plan: HouseholdPlan, base: str, headers: Headers, parent: str
    ) -> tuple[list[str], tuple[ConsentFacts, ...]]:
        ids, facts = [], []
        for wish in plan.consents:
            grantee = self.world.orgs[wish.org]
            until = None if wish.valid_until is None else today() + timedelta(wish.valid_until)
            body = {
                "granteeOrganizationId": grantee,
                "categories": list(wish.categories),
                "lifeDomains": list(wish.domains),
                "purpose": self.canary(plan.key, CONSENTS, f"purpose-{wish.org}", grantee=grantee),
                "validFrom": (today() + timedelta(wish.valid_from)).isoformat(),
                "validUntil": None if until is None else until.isoformat(),
                "givenByMemberId": parent,
            }
            consent = _send(self.client, "POST", f"{base}/consents", headers, body).json()["id"]
            if wish.withdraw:
                reason = self.canary(plan.key, CONSENTS, f"withdrawal-{wish.org}", grantee=grantee)
                url = f"{base}/consents/{consent}/withdraw"
                _send(self.client, "POST", url, headers, {"reason": reason}, 200)
            ids.append(consent)
            facts.append(
                ConsentFacts(
                    org=grantee,
                    categories=frozenset(wish.categories),
                    domains=frozenset(wish.domains),
                    valid_from=today() + timedelta(wish.valid_from),
                    valid_until=until,
                    withdrawn=wish.withdraw,
                )
            )
        return ids, tuple(facts)

    def rights_request(self, seed: Seed, resident: Headers) -> None:
        """The family's request under the AVG, filed by its parent; its explanation is a
        canary of the access log's scope (the family's and its privacy officer's)."""
        body = {
            "kind": "rectification",
            "explanation": self.canary(seed.key, ACCESS_LOG, "request"),
        }
        url = f"{API}/households/{seed.id}/rights-requests"
        seed.request = _send(self.client, "POST", url, resident, body).json()["id"]
        self.world.things[seed.request] = Thing("rights_request", seed.key)

    def statements(self, seed: Seed, resident: Headers) -> None:
        """The family's statement on each goal and progress update: a canary of the
        assessment's scope and life domain, so every read that carries it is checked."""
        url = f"{API}/households/{seed.id}/statements"
        for domain in DOMAINS:
            for kind, scope, subject in (
                ("goal", PLAN, seed.goals[domain]),
                ("progress_update", PROGRESS, seed.progress[domain]),
            ):
                text = self.canary(seed.key, scope, f"statement-{kind}-{domain}", domain=domain)
                body = {"subjectKind": kind, "subjectId": subject, "text": text}
                _send(self.client, "POST", url, resident, body)

    def restriction(self, seed: Seed, officer: Headers, *, holds: bool) -> None:
        """A restriction of processing of the household's parent (who stays in the file for
        the consents they gave anyway): lifted again unless it ``holds``. One holds on C,
        which no care provider reads: only its indication's events leave the municipal
        system's feed, and the officer's lift can succeed there."""
        url = f"{API}/households/{seed.id}/restrictions"
        body = {"memberId": seed.parent, "reason": "Matrix"}
        seed.restriction = _send(self.client, "POST", url, officer, body).json()["id"]
        self.world.things[seed.restriction] = Thing("restriction", seed.key)
        if holds:
            seed.facts = replace(seed.facts, restricted_members=frozenset({seed.parent}))
            return
        lifted = {"reason": "Matrix", "familyInformedOn": today().isoformat()}
        _send(self.client, "POST", f"{url}/{seed.restriction}/lift", officer, lifted, 200)

    def register(self, seed: Seed, plan: HouseholdPlan) -> None:
        things = self.world.things
        key = seed.key
        things[seed.parent] = things[seed.child] = Thing("member", key)
        for domain in DOMAINS:
            assignee = dict(plan.assigned).get(domain)
            things[seed.goals[domain]] = Thing(
                "goal", key, domain, assignee=self.world.orgs[assignee] if assignee else None
            )
            things[seed.progress[domain]] = Thing("progress", key, domain, category=PROGRESS)
            goal = seed.goals[domain]
            things[seed.actions[domain]] = Thing("action", key, domain, goal=goal)
        things[seed.evaluation] = Thing("evaluation", key)
        for role in seed.roles:
            things[role] = Thing("role", key)
        for consent, wish in zip(seed.consents, plan.consents, strict=True):
            things[consent] = Thing("consent", key, grantee=self.world.orgs[wish.org])


def build_world(client: TestClient, token: Token, admin: Headers) -> World:
    orgs = {
        key: _send(client, "POST", f"{API}/organizations", admin, body).json()["id"]
        for key, body in ORGANIZATIONS.items()
    }
    world = World(orgs=orgs)
    openers = {
        "zwolle": token(
            "toegang", municipalities=("0193",), org=uuid.UUID(orgs["access"]), sub="seeder"
        ),
        "amsterdam": token(
            "toegang",
            municipalities=("0363",),
            org=uuid.UUID(orgs["access-amsterdam"]),
            sub="seeder-amsterdam",
        ),
    }
    for municipality in {plan.municipality for plan in PLANS}:
        openers[f"system-{municipality}"] = token(
            "municipal_system", municipalities=(municipality,), sub=f"system-{municipality}"
        )
    seeder = Seeder(client, world, openers)
    for plan in PLANS:
        world.households[plan.key] = seeder.household(plan)
        seed = world.households[plan.key]
        family = token("resident", member=uuid.UUID(seed.parent), sub=f"family-{plan.key}")
        seeder.rights_request(seed, family)
        seeder.statements(seed, family)
        officer = token(
            "privacy_officer", municipalities=(plan.municipality,), sub=f"officer-{plan.key}"
        )
        seeder.restriction(seed, officer, holds=plan.key == "C")
    for owner in SUBSCRIBERS:
        body = {
            "callbackUrl": CALLBACK,
            "organizationId": orgs[owner],
            "clientRole": "partner_system",
        }
        created = _send(client, "POST", f"{API}/subscriptions", admin, body).json()
        world.subscriptions[created["id"]] = orgs[owner]
    for spec in ACTORS:
        add_actor(world, token, spec)
    return world


def _member(world: World, spec: ActorSpec) -> str | None:
    """The member id a resident's token names: a parent's, or one of no household."""
    if spec.member is None:
        return None
    if spec.member == NOWHERE:
        return str(uuid.uuid4())
    return world.households[spec.member].parent


def add_actor(world: World, token: Token, spec: ActorSpec) -> None:
    if not spec.roles:
        world.actors[spec.name], world.headers[spec.name] = None, {}
        return
    org = world.orgs[spec.org] if spec.org else None
    member = _member(world, spec)
    sub = SUBS.get(spec.name, spec.name)
    world.actors[spec.name] = ActorFacts(
        roles=frozenset(spec.roles),
        municipalities=frozenset(spec.municipalities),
        org=org,
        sub=sub,
        member=member,
    )
    world.headers[spec.name] = token(
        *spec.roles,
        municipalities=spec.municipalities,
        org=uuid.UUID(org) if org else None,
        sub=sub,
        member=uuid.UUID(member) if member else None,
    )
    if set(spec.roles) & MACHINE_ROLES:  # systems send one with every POST (and GET: ignored)
        world.headers[spec.name]["Idempotency-Key"] = f"matrix-{spec.name}"


@pytest.fixture
def world(client: TestClient, token: Token, admin: Headers, municipalities: list[str]) -> World:
    return build_world(client, token, admin)


# --- the matrix: every operation's rule, and a valid request for it ---------------------------

Body = Callable[[World, Seed], Any]


@dataclass(frozen=True)
class BodyId:
    """An id in a write's body that must name something of the household in the path."""

    of: Callable[[Seed], str]  # the id as another household has it
    put: Callable[[Json, str], Json]  # the valid body with that id instead


@dataclass(frozen=True)
class Op:
    """An operation's access rule, and how to make a valid request for it.

    ``rule`` is ``read`` or ``write`` (of ``scope`` of the household in the path),
    ``file_request`` (a rights request: its resident) or ``decide_request`` (its
    municipality's privacy officer), ``file_statement`` (the family's statement: its
    resident), ``history`` (a member's fact history: the access log's readers and the whole
    file's professionals), or one of
    public, any_token, directory, admin, toegang_open, household_list, privacy_officer,
    municipal_system, figures (steering figures: policy with municipalities in its token, or
    an access team with an organization, for its own team), subscriptions and subscription
    (webhooks: an administrator, or a machine client for its own organization).
    """

    rule: str
    scope: str | None = None
    body: Body | None = None
    etag: str | None = None  # the ETag an If-Match names: household, member or plan
    body_id: BodyId | None = None


def fixed(body: Json) -> Body:
    """A body that does not depend on the world."""
    return lambda _world, _seed: body


def read(scope: str) -> Op:
    return Op("read", scope)


def write(
    scope: str, body: Body | None = None, etag: str | None = None, body_id: BodyId | None = None
) -> Op:
    return Op("write", scope, body, etag, body_id)


def _performer(body: Json, member: str) -> Json:
    return body | {"performer": "member", "performerMemberId": member}


PERFORMER = BodyId(lambda s: s.parent, _performer)


def _regisseur(w: World, h: Seed) -> Json:
    return {
        "professionalSub": "matrix",
        "professionalName": "Matrix Regisseur",
        "organizationId": w.orgs["access"],
        "reason": "Overdracht in de matrix.",
        "replaces": h.regisseur,
    }


def _approval(_w: World, h: Seed) -> Json:
    return {"planVersion": h.plan_version, "method": "paper", "memberId": h.parent}


def _consent(w: World, h: Seed) -> Json:
    return {
        "granteeOrganizationId": w.orgs["spare"],
        "categories": [BASIC],
        "purpose": "Matrix",
        "validFrom": today().isoformat(),
        "givenByMemberId": h.parent,
    }


def _push(w: World, h: Seed) -> Json:
    """One item on A's finances goal, which the "consent" provider reports on."""
    item = {
        "householdId": h.id,
        "goalId": h.goals[FINANCES],
        "externalId": "matrix",
        "text": "Matrix",
        "reportedOn": today().isoformat(),
    }
    return {"updates": [item]}


# Webhook subscriptions: the partner system's organization's, and another's.
SUBSCRIPTION = f"{API}/subscriptions/{{subscription_id}}"
SUBSCRIBERS = ("consent", "other")
CALLBACK = "https://8.8.8.8/hook"


# The parents' BSNs: each household's indication is linked to its parent through them.
PARENT_BSN = {"A": "100000010", "C": "100000022", "B": "100000034"}

# One indication of Zwolle (0193), for a person in no household of the world.
SYNCED: Json = {
    "municipalityCode": "0193",
    "indicationNumber": "MATRIX-1",
    "regulation": "wmo",
    "bsn": "100000009",
    "productCategory": "02",
    "providerAgb": "52000000",
    "startDate": "2026-01-01",
    "decisionDate": "2025-12-01",
    "status": "active",
}
PRICED: Json = {
    "municipalityCode": "0193",
    "regulation": "wmo",
    "productCategory": "02",
    "unit": "04",
    "priceCents": 5000,
    "validFrom": "2026-01-01",
}

MATRIX: dict[tuple[str, str], Op] = {
    ("GET", f"{API}/health/live"): Op("public"),
    ("GET", f"{API}/health/ready"): Op("public"),
    # Not the API: the operator's metrics, by the metrics token; with none set, open to every
    # caller of a service on a loopback address, as the tests run (tests/test_metrics.py).
    ("GET", "/metrics"): Op("public"),
    ("GET", f"{API}/me"): Op("any_token"),
    ("GET", f"{API}/codelists"): Op("directory"),
    ("GET", f"{API}/codelists/{{name}}"): Op("directory"),
    ("GET", f"{API}/organizations"): Op("directory"),
    ("GET", f"{API}/organizations/{{organization_id}}"): Op("directory"),
    ("POST", f"{API}/organizations"): Op(
        "admin", body=fixed({"kind": "care_provider", "name": "Nieuw", "agbCode": "53000001"})
    ),
    ("POST", f"{API}/households"): Op("toegang_open"),
    ("GET", f"{API}/households"): Op("household_list"),
    ("GET", f"{API}/worklist"): Op("worklist"),
    ("GET", f"{API}/worklist/team"): Op("team_worklist"),
    ("GET", f"{API}/events"): Op("feed"),
    ("GET", H): read(BASIC),
    ("PATCH", H): write(BASIC, fixed({"name": "Gezin Matrix"}), "household"),
    ("POST", f"{H}/close"): write(BASIC, fixed({"closingReason": "other"})),
    ("POST", f"{H}/reopen"): write(BASIC, fixed({"referralSource": "self"})),
    ("GET", f"{H}/episodes"): read(BASIC),
    ("GET", f"{H}/export"): read(BASIC),
    ("GET", f"{H}/members"): read(BASIC),
    ("POST", f"{H}/members"): write(
        BASIC,
        fixed(
            {
                "givenName": "Matrix",
                "familyName": "Lid",
                "birthDate": "1990-01-01",
                "relation": "other",
            }
        ),
    ),
    ("GET", f"{H}/members/{{member_id}}"): read(BASIC),
    ("PATCH", f"{H}/members/{{member_id}}"): write(BASIC, fixed({"givenName": "Matrix"}), "member"),
    ("DELETE", f"{H}/members/{{member_id}}"): write(BASIC, etag="member"),
    ("GET", f"{H}/plan"): read(PLAN),
    ("PATCH", f"{H}/plan"): write(PLAN, fixed({"familyWishes": "Matrix"}), "plan"),
    ("POST", f"{H}/plan/goals"): write(
        PLAN,
        fixed(
            {
                "lifeDomain": HOUSING,
                "description": "Matrix",
                "zrmStart": 2,
                "zrmTarget": 3,
            }
        ),
        "plan",
    ),
    ("GET", f"{H}/plan/goals/{{goal_id}}"): read(PLAN),
    ("PATCH", f"{H}/plan/goals/{{goal_id}}"): write(PLAN, fixed({"description": "Matrix"}), "plan"),
    ("DELETE", f"{H}/plan/goals/{{goal_id}}"): write(PLAN, etag="plan"),
    ("POST", f"{H}/plan/goals/{{goal_id}}/actions"): write(
        PLAN, fixed({"description": "Matrix", "performer": "professional"}), "plan", PERFORMER
    ),
    ("GET", f"{H}/plan/goals/{{goal_id}}/actions/{{action_id}}"): read(PLAN),
    ("PATCH", f"{H}/plan/goals/{{goal_id}}/actions/{{action_id}}"): write(
        PLAN, fixed({"done": True}), "plan", PERFORMER
    ),
    ("GET", f"{H}/plan/evaluations"): read(PLAN),
    ("POST", f"{H}/plan/evaluations"): write(
        PLAN,
        lambda _w, h: {
            "evaluatedOn": today().isoformat(),
            "outcomes": [{"goalId": h.goals[FINANCES], "outcome": "achieved"}],
        },
        "plan",
        BodyId(
            lambda s: s.goals[FINANCES],
            lambda b, goal: b | {"outcomes": [{"goalId": goal, "outcome": "achieved"}]},
        ),
    ),
    ("GET", f"{H}/plan/evaluations/{{evaluation_id}}"): read(PLAN),
    ("GET", f"{H}/plan/versions"): read(PLAN),
    ("GET", f"{H}/plan/versions/{{version}}"): read(PLAN),
    ("GET", f"{H}/plan/versions/{{version}}/diff"): read(PLAN),
    ("GET", f"{H}/plan/approvals"): read(APPROVALS),
    ("POST", f"{H}/plan/approvals"): write(
        APPROVALS, _approval, body_id=BodyId(lambda s: s.parent, lambda b, i: b | {"memberId": i})
    ),
    ("GET", f"{H}/roles"): read(ROLES),
    ("GET", f"{H}/roles/{{role_id}}"): read(ROLES),
    ("PUT", f"{H}/regisseur"): write(
        ROLES, _regisseur, body_id=BodyId(lambda s: s.regisseur, lambda b, i: b | {"replaces": i})
    ),
    ("POST", f"{H}/roles"): write(ROLES, lambda w, _h: {"organizationId": w.orgs["spare"]}),
    ("DELETE", f"{H}/roles/{{role_id}}"): write(ROLES),
    ("GET", f"{H}/consents"): read(CONSENTS),
    ("POST", f"{H}/consents"): write(
        CONSENTS,
        _consent,
        body_id=BodyId(lambda s: s.parent, lambda b, i: b | {"givenByMemberId": i}),
    ),
    ("GET", f"{H}/consents/{{consent_id}}"): read(CONSENTS),
    ("POST", f"{H}/consents/{{consent_id}}/withdraw"): write(CONSENTS, fixed({"reason": "Matrix"})),
    ("GET", f"{H}/access-log"): read(ACCESS_LOG),
    ("GET", f"{H}/data-report"): read(ACCESS_LOG),
    ("POST", f"{H}/rights-requests"): Op(
        "file_request", ACCESS_LOG, fixed({"kind": "access", "explanation": "Matrix"})
    ),
    ("GET", f"{H}/rights-requests"): read(ACCESS_LOG),
    ("POST", f"{H}/rights-requests/{{request_id}}/extension"): Op(
        "decide_request", ACCESS_LOG, fixed({"months": 2, "reason": "Matrix"})
    ),
    ("POST", f"{H}/rights-requests/{{request_id}}/decision"): Op(
        "decide_request", ACCESS_LOG, fixed({"outcome": "granted", "reason": "Matrix"})
    ),
    ("GET", f"{API}/rights-requests"): Op("privacy_officer"),
    ("GET", f"{H}/members/{{member_id}}/corrections"): Op("history", ACCESS_LOG),
    ("POST", f"{H}/statements"): Op(
        "file_statement",
        PLAN,
        lambda _w, h: {"subjectKind": "goal", "subjectId": h.goals[FINANCES], "text": "Matrix"},
    ),
    ("GET", f"{H}/statements"): read(PLAN),
    # The seeded request is no granted erasure: the officer gets 409, everyone else what
    # deciding gets; nobody erases the matrix's household.
    ("POST", f"{H}/erasure"): Op(
        "decide_request",
        ACCESS_LOG,
        lambda _w, h: {"rightsRequestId": h.request},
        body_id=BodyId(lambda s: s.request, lambda b, i: b | {"rightsRequestId": i}),
    ),
    ("POST", f"{H}/restrictions"): Op(
        "restrict",
        ACCESS_LOG,
        fixed({"reason": "Matrix"}),
        body_id=BodyId(lambda s: s.parent, lambda b, i: b | {"memberId": i}),
    ),
    ("GET", f"{H}/restrictions"): Op("read_restrictions", ACCESS_LOG),
    ("POST", f"{H}/restrictions/{{restriction_id}}/lift"): Op(
        "restrict", ACCESS_LOG, fixed({"reason": "Matrix", "familyInformedOn": "2026-01-01"})
    ),
    ("GET", f"{H}/indications"): read(INDICATIONS),
    ("PUT", f"{API}/indications"): Op("municipal_system", body=fixed({"indications": [SYNCED]})),
    ("GET", f"{API}/indications"): Op("municipal_system"),
    ("PUT", f"{API}/tariffs"): Op("municipal_system", body=fixed({"tariffs": [PRICED]})),
    ("GET", f"{API}/tariffs"): Op("municipal_system"),
    ("GET", f"{API}/audit/verify"): Op("privacy_officer"),
    ("GET", f"{API}/indicators"): Op("directory"),
    ("GET", f"{API}/indicators/{{indicator_id}}"): Op("figures"),
    ("POST", f"{H}/plan/goals/{{goal_id}}/progress"): Op(
        "report", PROGRESS, lambda _w, _h: {"text": "Matrix", "reportedOn": today().isoformat()}
    ),
    ("GET", f"{H}/progress"): read(PROGRESS),
    ("GET", f"{H}/progress/{{progress_id}}"): read(PROGRESS),
    ("POST", f"{API}/progress-updates"): Op("partner_push", body=_push),
    ("POST", f"{API}/subscriptions"): Op("subscriptions", body=fixed({"callbackUrl": CALLBACK})),
    ("GET", f"{API}/subscriptions"): Op("subscriptions"),
    ("GET", SUBSCRIPTION): Op("subscription"),
    ("PATCH", SUBSCRIPTION): Op("subscription", body=fixed({"active": False})),
    ("DELETE", SUBSCRIPTION): Op("subscription"),
    ("GET", f"{SUBSCRIPTION}/deliveries"): Op("subscription"),
    ("POST", f"{SUBSCRIPTION}/redeliveries"): Op(
        "subscription", body=fixed({"since": "2026-01-01T00:00:00Z"})
    ),
}
# Every seeded goal is named by an evaluation (so it is not removed but cancelled, 409) and
# every household is open (so reopening is a 409): these never answer 2xx in this world.
# The seeded rights request is no granted erasure: the erasure is refused (409) for all.
NEVER_2XX = {
    ("DELETE", f"{H}/plan/goals/{{goal_id}}"),
    ("POST", f"{H}/reopen"),
    ("POST", f"{H}/erasure"),
}
INVALID_BODY = {"unexpectedField": "matrix"}
STALE = '"999999"'
# A plan version no plan has: what a random id is for the other sub-resources.
MISSING_VERSION = "999999"
SUB_KINDS = {
    "member_id": "member",
    "goal_id": "goal",
    "action_id": "action",
    "evaluation_id": "evaluation",
    "role_id": "role",
    "consent_id": "consent",
    "progress_id": "progress",
    "request_id": "rights_request",
    "restriction_id": "restriction",
}


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, route.path or "")
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }


# --- sending, fingerprints, canaries ---------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    fingerprint: tuple[int, tuple[tuple[str, str], ...], bytes]
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass(frozen=True)
class Request:
    actor: str
    method: str
    url: str
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()

    def label(self) -> str:
        return f"{self.actor} {self.method} {self.url}"


class Probe:
    """Sends requests, each in a savepoint rolled back afterwards, and checks every answer."""

    def __init__(
        self,
        client: TestClient,
        connection: Connection,
        world: World,
        canaries: Canaries | None = None,
        facts: dict[str, HouseholdFacts] | None = None,
    ) -> None:
        self.client = client
        self.connection = connection
        self.world = world
        self.canaries = canaries or world.canaries
        self.facts = facts or world.facts()
        self.visible: dict[str, frozenset[str]] = {}
        self.cache: dict[tuple[Any, ...], Answer] = {}
        self.attempts = 0
        self.checks = 0
        self.leaks: list[str] = []
        self.failures: list[str] = []
        self.successes: Counter[tuple[str, str]] = Counter()

    def send(self, request: Request) -> Answer:
        key = (
            request.actor,
            request.method,
            request.url,
            json.dumps(request.body, sort_keys=True),
            request.headers,
        )
        if key in self.cache:
            return self.cache[key]
        headers = self.world.headers[request.actor] | dict(request.headers)
        nested = self.connection.begin_nested()
        try:
            response = self.client.request(
                request.method, request.url, json=request.body, headers=headers
            )
        finally:
            nested.rollback()
            # ROLLBACK TO leaves the savepoint open: without popping it, every request nests
            # one level deeper and PostgreSQL keeps a transaction-id lock per level, until
            # ~6,400 requests fill its lock table ("out of shared memory").
            self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {nested._savepoint}")
        self.attempts += 1
        kept = tuple(
            sorted((k, v) for k, v in response.headers.items() if k.lower() not in PER_REQUEST)
        )
        answer = Answer(
            response.status_code,
            (response.status_code, kept, response.content),
            response.headers.get("content-type", ""),
            response.text,
        )
        self.cache[key] = answer
        self.scan(request, answer, " ".join(response.headers.values()))
        return answer

    def seen_by(self, actor: str) -> frozenset[str]:
        if actor not in self.visible:
            facts = self.world.actors[actor]
            self.visible[actor] = (
                frozenset()
                if facts is None
                else visible_canaries(facts, self.facts, self.canaries, today())
            )
        return self.visible[actor]

    def scan(self, request: Request, answer: Answer, headers: str) -> None:
        allowed = self.seen_by(request.actor)
        for found in sorted(set(CANARY.findall(answer.text + " " + headers))):
            if found not in allowed:
                self.leaks.append(f"{request.label()} -> {answer.status}: {found}")

    def fail(self, request: Request, expected: str, answer: Answer) -> None:
        self.failures.append(
            f"{request.label()} body={request.body} expected {expected}, "
            f"got {answer.status}: {answer.text[:200]}"
        )

    def expect(self, request: Request, status: int) -> Answer:
        self.checks += 1
        answer = self.send(request)
        if answer.status != status:
            self.fail(request, str(status), answer)
        elif status >= 400 and answer.content_type != PROBLEM:
            self.fail(request, f"{status} as {PROBLEM}", answer)
        return answer

    def expect_allowed(self, request: Request, op: tuple[str, str]) -> Answer:
        """Let in: anything but 401, 403, 404 and 5xx; a read answers 200."""
        self.checks += 1
        answer = self.send(request)
        if request.method == "GET" and answer.status != 200:
            self.fail(request, "200", answer)
        elif answer.status in {401, 403, 404} or answer.status >= 500:
            self.fail(request, "to be let in", answer)
        if answer.status < 300:
            self.successes[op] += 1
        return answer

    def expect_like(self, request: Request, reference: Request, *, invalid: bool = False) -> Answer:
        """Not found, byte for byte like the reference, which names nothing that exists.

        ``invalid``: inside a household the caller may change, an invalid body may be refused
        (422) before a sub-resource named in the path is looked up, as long as an existing
        and a nonexistent id get the same answer.
        """
        self.checks += 1
        answer = self.send(request)
        expected = self.send(reference)
        if answer.status != 404 and not (invalid and answer.status == 422):
            self.fail(request, "404", answer)
        elif answer.fingerprint != expected.fingerprint:
            self.fail(request, f"the answer of {reference.url}: {expected.text[:200]}", answer)
        return answer

    def expect_same(self, request: Request, reference: Request) -> Answer:
        """Refused (not for want of access), byte for byte like the reference."""
        self.checks += 1
        answer = self.send(request)
        expected = self.send(reference)
        if not 400 <= answer.status < 500 or answer.status in {401, 403, 404}:
            self.fail(request, "a 4xx about the body", answer)
        elif answer.fingerprint != expected.fingerprint:
            self.fail(request, f"the answer with {reference.body}: {expected.text[:200]}", answer)
        return answer

    def domain_leaks(self, request: Request, answer: Answer, household: str) -> None:
        """A goal or score in a life domain the caller may not see is a leak too."""
        facts = self.world.actors[request.actor]
        if facts is None or household not in self.facts or "lifeDomain" not in answer.text:
            return
        for domain in _life_domains(answer.json()):
            if not sees_domain(facts, self.facts[household], domain, today()):
                self.leaks.append(f"{request.label()} -> {answer.status}: lifeDomain {domain}")


def _life_domains(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("lifeDomain"), str):
            yield value["lifeDomain"]
        for item in value.values():
            yield from _life_domains(item)
    elif isinstance(value, list):
        for item in value:
            yield from _life_domains(item)


# --- the matrix run --------------------------------------------------------------------------


def objects(spec: ActorSpec) -> list[str]:
    """Own first, then foreign (B, or A for B's resident), the remaining one, nonexistent."""
    foreign = "A" if spec.own == "B" else "B"
    rest = [key for key in HOUSEHOLDS if key not in {spec.own, foreign}]
    return [spec.own, foreign, *rest, NOWHERE]


def missing(world: World, name: str) -> str:
    """A value for a path parameter that names nothing: a random id, or a version no plan has."""
    return MISSING_VERSION if name == "version" else world.random


def nothing(world: World, params: dict[str, str]) -> dict[str, str]:
    return {name: missing(world, name) for name in params}


def sub_variants(path: str, world: World, key: str) -> list[dict[str, str]]:
    """Own, hidden-domain, cross-household and random ids for the path's sub-resources.

    In the nonexistent household only random ones: a foreign household with its own ids
    already shows whether a sub-resource is looked up before its household. Versions are
    numbers every plan has, so they have no cross-household variant: the first kept after
    the wishes, the one adding the parenting goal, the current one, and one never reached.
    """
    h, o, r = world.seed(key), world.other(key), world.random
    if key == NOWHERE:
        return [nothing(world, params) for params in sub_variants(path, world, "A")[:1]]
    if "{action_id}" in path:
        pairs = [
            (h.goals[FINANCES], h.actions[FINANCES]),
            (h.goals[PARENTING], h.actions[PARENTING]),
            (h.goals[FINANCES], h.actions[PARENTING]),  # an action of another goal
            (h.goals[FINANCES], o.actions[FINANCES]),
            (o.goals[FINANCES], o.actions[FINANCES]),
            (h.goals[FINANCES], r),
            (r, r),
        ]
        return [{"goal_id": goal, "action_id": action} for goal, action in pairs]
    choices = {
        "goal_id": [h.goals[FINANCES], h.goals[PARENTING], o.goals[FINANCES], r],
        "member_id": [h.parent, h.child, o.parent, r],
        "evaluation_id": [h.evaluation, o.evaluation, r],
        "role_id": [*h.roles[:3], h.roles[-1], o.roles[0], r],
        "consent_id": [*h.consents, o.consents[0], r],
        "version": ["2", "5", str(h.plan_version), MISSING_VERSION],
        "progress_id": [h.progress[FINANCES], h.progress[PARENTING], o.progress[FINANCES], r],
        "request_id": [h.request, o.request, r],
        "restriction_id": [h.restriction, o.restriction, r],
    }
    for name, ids in choices.items():
        if f"{{{name}}}" in path:
            return [{name: value} for value in dict.fromkeys(ids)]
    return [{}]


def reachable(
    world: World, actor: ActorFacts, key: str, params: dict[str, str], op: Op
) -> set[str]:
    """The path's sub-resource ids the actor reaches inside a household it was let into."""
    facts = world.households[key].facts
    found = set()
    for name, value in params.items():
        if name == "version":
            if 1 <= int(value) <= world.households[key].plan_version:
                found.add(name)
            continue
        thing = world.things.get(value)
        if thing is None or thing.kind != SUB_KINDS[name] or thing.household != key:
            continue
        if op.rule == "report":
            if not may_report(actor, facts, thing.assignee):
                continue
        elif thing.domain is not None and not sees_domain(
            actor, facts, thing.domain, today(), thing.category
        ):
            continue
        if thing.kind == "action" and (
            thing.goal != params.get("goal_id") or "goal_id" not in found
        ):
            continue
        if thing.grantee is not None and not sees_consent_of(actor, facts, thing.grantee):
            continue
        if thing.kind == "member" and held_back(actor, facts, value):
            continue
        found.add(name)
    return found


def variants(op: Op, world: World, key: str) -> list[tuple[Any, tuple[tuple[str, str], ...]]]:
    """(body, extra headers): valid; with an invalid body; with a stale ETag."""
    seed = world.seed(key)
    body = op.body(world, seed) if op.body else None
    current = (("If-Match", seed.etags[op.etag]),) if op.etag else ()
    found = [(body, current)]
    if op.rule in {"write", "report", *REQUEST_RULES, "restrict"} and op.body is not None:
        found.append((INVALID_BODY, current))
    if op.etag:
        found.append((body, (("If-Match", STALE),)))
    return found


def household_url(path: str, household: str, params: dict[str, str]) -> str:
    return path.format(household_id=household, **params)


# Rights requests and the family's statements: the rule's own actor acts; who else may read
# the part (the access log's scope, the plan) is refused with 403, anyone else as if the
# household did not exist.
REQUEST_RULES = frozenset({"file_request", "decide_request", "file_statement"})
# Restrictions of processing: read by the family, the officer and the whole file; placed and
# lifted by the officer of the municipality.
RESTRICTION_RULES = frozenset({"read_restrictions", "restrict"})
HOUSEHOLD_RULES = frozenset(
    {"read", "write", "report", "history", *REQUEST_RULES, *RESTRICTION_RULES}
)


def granted_on(actor: ActorFacts, facts: HouseholdFacts, op: Op) -> bool:
    """Let into the household at all; a report then needs a goal the actor reports on."""
    assert op.scope is not None
    if op.rule == "report":
        return whole_file(actor, facts) or works_here(actor, facts)
    if op.rule == "write":
        return may_write(actor, facts, op.scope)
    if op.rule in {"file_request", "file_statement"}:
        return resident_of(actor, facts)
    if op.rule == "history":  # old values for the log's readers, the history for the file's
        return may_read(actor, facts, ACCESS_LOG, today()) or whole_file(actor, facts)
    if op.rule in {"decide_request", "restrict"}:
        return "privacy_officer" in actor.roles and facts.municipality in actor.municipalities
    if op.rule == "read_restrictions":
        return reads_restrictions(actor, facts)
    return may_read(actor, facts, op.scope, today())


def reads_restrictions(actor: ActorFacts, facts: HouseholdFacts) -> bool:
    """The family and the officer (the access log's readers), and the whole file."""
    return may_read(actor, facts, ACCESS_LOG, today()) or whole_file(actor, facts)


def refused_on(actor: ActorFacts, facts: HouseholdFacts, op: Op) -> bool:
    """Not granted, yet the household is no secret to the actor: a 403, not a 404. Reading
    and changing a part: the actor reads some part of the household (decision 0037)."""
    if op.rule == "restrict":
        return reads_restrictions(actor, facts)
    assert op.scope is not None
    if op.rule in {"read", "write", "history", "file_statement"}:
        return knows(actor, facts, today())
    return op.rule in REQUEST_RULES and may_read(actor, facts, op.scope, today())


def run_household_op(probe: Probe, spec: ActorSpec, key: tuple[str, str], op: Op) -> None:
    method, path = key
    world = probe.world
    actor = world.actors[spec.name]
    assert op.scope is not None
    for target in objects(spec):
        seed = world.households.get(target)
        household = seed.id if seed else world.nowhere
        for params in sub_variants(path, world, target):
            for body, headers in variants(op, world, target):
                request = Request(
                    spec.name, method, household_url(path, household, params), body, headers
                )
                if actor is None:
                    probe.expect(request, 401)
                    continue
                granted = seed is not None and granted_on(actor, seed.facts, op)
                if not granted and seed is not None and refused_on(actor, seed.facts, op):
                    probe.expect(request, 403)
                    continue
                if not granted:
                    nowhere = household_url(path, world.nowhere, nothing(world, params))
                    probe.expect_like(request, Request(spec.name, method, nowhere, body, headers))
                    continue
                assert seed is not None
                reached = reachable(world, actor, target, params, op)
                if reached == set(params):
                    answer = probe.expect_allowed(request, key)
                    probe.domain_leaks(request, answer, target)
                    continue
                absent = {n: v if n in reached else missing(world, n) for n, v in params.items()}
                reference = Request(
                    spec.name, method, household_url(path, household, absent), body, headers
                )
                probe.expect_like(request, reference, invalid=body is INVALID_BODY)


def run_body_ids(probe: Probe, spec: ActorSpec, key: tuple[str, str], op: Op) -> None:
    """An id of another household in the body is refused exactly like a random one."""
    method, path = key
    world, actor = probe.world, probe.world.actors[spec.name]
    if op.body_id is None or op.body is None or actor is None or op.scope is None:
        return
    for target in objects(spec):
        seed = world.households.get(target)
        if seed is None:
            continue
        if op.rule == "restrict" and not granted_on(actor, seed.facts, op):
            continue
        if op.rule != "restrict" and not may_write(actor, seed.facts, op.scope):
            continue
        url = household_url(path, seed.id, sub_variants(path, world, target)[0])
        body = op.body(world, seed)
        headers = (("If-Match", seed.etags[op.etag]),) if op.etag else ()
        cross = op.body_id.put(body, op.body_id.of(world.other(target)))
        random = op.body_id.put(body, world.random)
        probe.expect_same(
            Request(spec.name, method, url, cross, headers),
            Request(spec.name, method, url, random, headers),
        )


def run_other_op(probe: Probe, spec: ActorSpec, key: tuple[str, str], op: Op) -> None:
    """Routes outside a household: health, me, directory, opening and listing, the audit."""
    method = key[0]
    world = probe.world
    actor = world.actors[spec.name]
    for url, body, found in other_requests(world, spec, key, op):
        request = Request(spec.name, method, url, body)
        if op.rule == "public":
            probe.expect(request, 200)
        elif actor is None:
            probe.expect(request, 401)
        elif op.rule == "household_list":
            check_listing(probe, request, actor)
        elif op.rule == "worklist":
            check_worklist(probe, request, actor)
        elif op.rule == "team_worklist":
            check_team_worklist(probe, request, actor)
        elif op.rule == "feed":
            check_feed(probe, request, actor)
        elif found is False:
            probe.expect(request, 404)
        elif allowed_elsewhere(op.rule, actor, body):
            probe.expect_allowed(request, key)
        else:
            probe.expect(request, 403)


SUBSCRIPTION_RULES = frozenset({"subscriptions", "subscription"})


def run_subscription_op(probe: Probe, spec: ActorSpec, key: tuple[str, str], op: Op) -> None:
    """Administrators and machine clients of an organization only (403 for everyone else,
    whatever the id); a machine client's list holds its organization's subscriptions, and
    another organization's answers exactly like a nonexistent one."""
    method, path = key
    world = probe.world
    actor = world.actors[spec.name]
    body = op.body(world, world.seed("A")) if op.body else None
    headers = (("If-Match", '"1"'),) if method == "PATCH" else ()
    targets: list[str | None] = (
        [*world.subscriptions, None] if op.rule == "subscription" else [None]
    )
    for target in targets:
        url = path.format(subscription_id=target or world.random)
        request = Request(spec.name, method, url, body, headers)
        if actor is None:
            probe.expect(request, 401)
        elif not manages_subscriptions(actor):
            probe.expect(request, 403)
        elif op.rule == "subscriptions":
            answer = probe.expect_allowed(request, key)
            if method == "GET":
                check_subscriptions(probe, request, actor, answer)
        elif target is not None and manages_subscription_of(actor, world.subscriptions[target]):
            probe.expect_allowed(request, key)
        else:
            nowhere = path.format(subscription_id=world.random)
            probe.expect_like(request, Request(spec.name, method, nowhere, body, headers))


def check_subscriptions(probe: Probe, request: Request, actor: ActorFacts, answer: Answer) -> None:
    listed = {item["id"] for item in answer.json()["items"]}
    owned = {
        id_
        for id_, owner in probe.world.subscriptions.items()
        if manages_subscription_of(actor, owner)
    }
    if listed != owned:
        probe.fail(request, f"exactly {sorted(owned)}", answer)


def allowed_elsewhere(rule: str, actor: ActorFacts, body: Any) -> bool:
    if rule in {"any_token", "directory"}:
        return bool(actor.roles)
    if rule == "admin":
        return "admin" in actor.roles
    if rule == "partner_push":
        return "partner_system" in actor.roles and actor.org is not None
    if rule == "privacy_officer":
        return "privacy_officer" in actor.roles
    if rule == "municipal_system":
        return syncs_indications(actor)
    if rule == "figures":
        team = "toegang" in actor.roles and actor.org is not None
        return bool(actor.municipalities) and ("policy" in actor.roles or team)
    if rule == "toegang_open":
        return "toegang" in actor.roles and body["municipalityCode"] in actor.municipalities
    raise AssertionError(f"unknown rule {rule}")


LISTINGS: tuple[dict[str, str], ...] = (
    {},
    {"q": "CANARY"},
    {"q": "CANARY-B"},
    {"q": "CANARY-A-basic-parent"},
    {"municipality": "0363"},
    {"status": "open"},
    {"regisseur": "me"},
)


def other_requests(
    world: World, spec: ActorSpec, key: tuple[str, str], op: Op
) -> list[tuple[str, Any, bool | None]]:
    """(url, body, whether the named thing exists) for each object of the operation."""
    path = key[1]
    if "{name}" in path:
        return [
            (path.format(name="life-domains"), None, True),
            (path.format(name="nope"), None, False),
        ]
    if "{indicator_id}" in path:
        # The catalogue is open to every role: an unknown indicator is simply not found.
        return [
            (path.format(indicator_id="inflow") + "?period=2025-H1&by=referral_source", None, True),
            (path.format(indicator_id="stock-flow") + "?period=2025-Q1..2025-Q4", None, True),
            (path.format(indicator_id="nope"), None, False),
        ]
    if "{organization_id}" in path:
        real = world.orgs[spec.org or "access"]
        return [
            (path.format(organization_id=real), None, True),
            (path.format(organization_id=world.random), None, False),
        ]
    if op.rule == "toegang_open":
        return [
            (
                path,
                {
                    "municipalityCode": code,
                    "name": "Gezin Matrix",
                    "referralSource": "municipal_access",
                },
                None,
            )
            for code in ("0193", "0148", "0363", "9999")
        ]
    if op.rule == "household_list":
        return [(f"{path}?{urlencode(filters)}".rstrip("?"), None, None) for filters in LISTINGS]
    if op.body is not None:
        return [(path, op.body(world, world.seed("A")), None), (path, INVALID_BODY, None)]
    return [(path, None, None)]


def check_listing(probe: Probe, request: Request, actor: ActorFacts) -> None:
    """The list shows only households whose basic data the actor may read, all of them."""
    filters = parse_qs(urlsplit(request.url).query)
    answer = probe.expect(request, 200)
    if answer.status != 200:
        return
    listed = {item["id"] for item in answer.json()["items"]}
    seeds = probe.world.households.values()
    visible = {s.id for s in seeds if may_read(actor, s.facts, BASIC, today())}
    if not listed <= visible:
        probe.fail(request, f"at most {sorted(visible)}", answer)
    if "regisseur" in filters:
        visible = {s.id for s in seeds if regisseur_here(actor, s.facts)}
    if (not filters or "regisseur" in filters or "status" in filters) and listed != visible:
        probe.fail(request, f"exactly {sorted(visible)}", answer)


def check_worklist(probe: Probe, request: Request, actor: ActorFacts) -> None:
    """A professional of an organization gets exactly the households they coordinate now."""
    coordinates = bool(actor.roles & {"toegang", "care_provider"}) and actor.org is not None
    answer = probe.expect(request, 200 if coordinates else 403)
    if answer.status != 200:
        return
    listed = {item["id"] for item in answer.json()["items"]}
    seeds = probe.world.households.values()
    own = {s.id for s in seeds if regisseur_here(actor, s.facts)}
    if listed != own:
        probe.fail(request, f"exactly {sorted(own)}", answer)


def check_team_worklist(probe: Probe, request: Request, actor: ActorFacts) -> None:
    """A toegang worker of an organization: only households of their municipalities wait
    (every household of the world has a regisseur), and the team's regisseurs are counted on
    the households they may read; the canary scan checks every name shown."""
    lead = "toegang" in actor.roles and bool(actor.municipalities) and actor.org is not None
    answer = probe.expect(request, 200 if lead else 403)
    if answer.status != 200:
        return
    body = answer.json()
    if body["items"]:
        probe.fail(request, "no household waiting", answer)
    seeds = probe.world.households.values()
    expected: Counter[str] = Counter(
        s.facts.regisseur[0]
        for s in seeds
        if s.facts.regisseur is not None
        and s.facts.regisseur[1] == actor.org
        and may_read(actor, s.facts, PLAN, today())
    )
    counted = {load["professionalSub"]: load["openHouseholds"] for load in body["regisseurs"]}
    if counted != dict(expected):
        probe.fail(request, f"regisseurs {dict(expected)}", answer)


# The part of the file each kind of change is about, by the event type's first word.
EVENT_SCOPES = {
    "household": BASIC,
    "member": BASIC,
    "plan": PLAN,
    "goal": PLAN,
    "action": PLAN,
    "evaluation": PLAN,
    "regisseur": ROLES,
    "care_provider": ROLES,
    "role": ROLES,
    "consent": CONSENTS,
    "progress": PROGRESS,
    "indication": INDICATIONS,
}
# The family's statement is an event about the assessment it is attached to, in its scope.
STATEMENT_SCOPES = {"goal": PLAN, "evaluation": PLAN, "progress_update": PROGRESS}


def reads_events(actor: ActorFacts) -> bool:
    """Whether the actor has any grounds that could show it a household's changes."""
    roles, org = actor.roles, actor.org
    return bool(
        ("toegang" in roles and actor.municipalities)
        or (roles & {"toegang", "care_provider", "partner_system"} and org is not None)
        or ("resident" in roles and actor.member is not None)
        or syncs_indications(actor)
    )


def check_feed(probe: Probe, request: Request, actor: ActorFacts) -> None:
    """Every event shown is about a part of a household the actor may read now (a partner
    system as its organization's care provider), in a life domain it may see; the whole
    file's readers see every household's opening."""
    answer = probe.expect(request, 200 if reads_events(actor) else 403)
    if answer.status != 200:
        return
    events = answer.json()["events"]
    while answer.json()["more"]:
        after = urlencode({"limit": 100, "after": answer.json()["nextCursor"]})
        answer = probe.expect(Request(request.actor, "GET", f"{request.url}?{after}"), 200)
        events += answer.json()["events"]
    reader = actor
    if "partner_system" in actor.roles:
        reader = ActorFacts(
            roles=actor.roles - {"partner_system"} | {"care_provider"},
            org=actor.org,
            sub=actor.sub,
        )
    seeds = {s.id: s for s in probe.world.households.values()}
    domains = {
        resource: domain
        for seed in seeds.values()
        for table in (seed.goals, seed.actions, seed.progress)
        for domain, resource in table.items()
    }
    opened = set()
    for event in events:
        kind = event["type"].removeprefix("nl.gezinsplan.").removesuffix(".v1")
        word = kind.split(".")[0]
        if kind == "plan.approved":
            scope = APPROVALS
        elif word == "statement":
            scope = STATEMENT_SCOPES[event["data"]["resourceType"]]
        else:
            scope = EVENT_SCOPES[word]
        seed = seeds.get(event["subject"] or "")
        if seed is None:
            if not (scope == INDICATIONS and syncs_indications(actor)):
                probe.fail(request, f"no event outside the world's households: {kind}", answer)
            continue
        category = PROGRESS if scope == PROGRESS else PLAN
        domain = domains.get(event["data"]["resourceId"])
        allowed = may_read(reader, seed.facts, scope, today()) or (
            scope == INDICATIONS and syncs_indications(actor)
        )
        if domain is not None:
            allowed = allowed and sees_domain(reader, seed.facts, domain, today(), category)
        # The world's indications are its parents' (linked by BSN): about the parent too.
        about = seed.parent if word == "indication" else event["data"]["resourceId"]
        if held_back(actor, seed.facts, about):
            allowed = False
        if not allowed:
            probe.fail(request, f"not {kind} of {seed.key}", answer)
        if kind == "household.opened":
            opened.add(seed.id)
    whole = {s.id for s in seeds.values() if whole_file(actor, s.facts)}
    if not whole <= opened:
        probe.fail(request, f"the openings of {sorted(whole)}", answer)


def test_every_route_has_a_matrix_entry_and_an_access_rule(app: FastAPI) -> None:
    assert set(MATRIX) == route_table(app)
    assert unguarded_routes(app, API) == []


def test_access_matrix(
    app: FastAPI,
    client: TestClient,
    connection: Connection,
    world: World,
    engine_name: str,
) -> None:
    """At least 10,000 attempts, 0 leaks, and every refusal looks like a nonexistent id."""
    assert set(MATRIX) == route_table(app), "a route without a matrix entry"
    started = time.perf_counter()
    probe = Probe(client, connection, world)
    for spec in ACTORS:
        for key, op in MATRIX.items():
            if op.rule in RESTRICTION_RULES:
                continue  # test_the_restriction_routes_in_the_matrix
            if op.rule in HOUSEHOLD_RULES:
                run_household_op(probe, spec, key, op)
            elif op.rule in SUBSCRIPTION_RULES:
                run_subscription_op(probe, spec, key, op)
            else:
                run_other_op(probe, spec, key, op)
    seconds = time.perf_counter() - started
    print(
        f"\naccess matrix [{engine_name}]: {probe.attempts} attempts, {probe.checks} checks, "
        f"{len(ACTORS)} actors, {len(MATRIX)} operations, {len(probe.leaks)} leaks, "
        f"{len(probe.failures)} failures, {seconds:.1f} s"
    )
    assert not probe.leaks, "\n".join(probe.leaks[:20])
    assert not probe.failures, "\n".join(probe.failures[:20])
    assert probe.attempts >= MIN_ATTEMPTS
    household_ops = {
        k for k, op in MATRIX.items() if op.rule in HOUSEHOLD_RULES - RESTRICTION_RULES
    }
    never = {k for k in household_ops if not probe.successes[k]}
    assert never == NEVER_2XX, f"operations that never succeeded: {sorted(never - NEVER_2XX)}"


def test_the_restriction_routes_in_the_matrix(
    client: TestClient, connection: Connection, world: World, engine_name: str
) -> None:
    """The restriction routes, as every actor, like the rest of the matrix but in a world of
    their own: on PostgreSQL every request of a test holds a lock until the test's one
    transaction ends (a rolled-back savepoint keeps its transaction id's lock), and the
    main run is close to what the lock table holds."""
    probe = Probe(client, connection, world)
    restriction_ops = {k: op for k, op in MATRIX.items() if op.rule in RESTRICTION_RULES}
    for spec in ACTORS:
        for key, op in restriction_ops.items():
            run_household_op(probe, spec, key, op)
    print(
        f"\nrestriction routes [{engine_name}]: {probe.attempts} attempts, "
        f"{len(probe.leaks)} leaks, {len(probe.failures)} failures"
    )
    assert not probe.leaks, "\n".join(probe.leaks[:20])
    assert not probe.failures, "\n".join(probe.failures[:20])
    assert all(probe.successes[key] for key in restriction_ops), probe.successes


# The matrix again with a restriction of processing on A: the reads, reports and changes by
# which care providers and systems reach a household, and the actors on both sides of the
# restriction (the whole file, the family and the officer keep their view). A small part of
# the matrix, so the suite does not grow by another full run.
RESTRICTED_OPS = (
    ("GET", f"{API}/households"),
    ("GET", f"{API}/events"),
    ("GET", H),
    ("GET", f"{H}/export"),
    ("GET", f"{H}/members"),
    ("GET", f"{H}/members/{{member_id}}"),
    ("GET", f"{H}/plan"),
    ("GET", f"{H}/plan/goals/{{goal_id}}"),
    ("GET", f"{H}/consents"),
    ("GET", f"{H}/indications"),
    ("GET", f"{H}/progress"),
    ("POST", f"{H}/plan/goals/{{goal_id}}/progress"),
    ("GET", f"{H}/restrictions"),
)
RESTRICTED_ACTORS = frozenset(
    {
        "toegang-zwolle",
        "bart",
        "cp-consent",
        "cp-domain",
        "partner-system",
        "municipal-system",
        "resident-a",
        "privacy-officer",
    }
)


@pytest.mark.parametrize("restricted", ["member", "household"])
def test_access_matrix_with_a_restriction(
    client: TestClient,
    connection: Connection,
    world: World,
    token: Token,
    engine_name: str,
    restricted: str,
) -> None:
    """A's parent (with the indication linked to them), or all of A, restricted: care
    providers and systems reach none of it, 0 leaks, and each refusal looks like nothing."""
    seed = world.households["A"]
    officer = token("privacy_officer", municipalities=("0193",), sub="officer-matrix")
    body = {"reason": "Matrix"} | ({"memberId": seed.parent} if restricted == "member" else {})
    _send(client, "POST", f"{API}/households/{seed.id}/restrictions", officer, body)
    before = world.facts()
    seed.facts = replace(
        seed.facts,
        restricted=restricted == "household",
        restricted_members=seed.facts.restricted_members
        | ({seed.parent} if restricted == "member" else set()),
    )
    # The oracle now withholds canaries the consented provider saw: the run can find a leak.
    provider = world.actors["cp-consent"]
    assert provider is not None
    assert visible_canaries(provider, world.facts(), world.canaries, today()) < visible_canaries(
        provider, before, world.canaries, today()
    )
    probe = Probe(client, connection, world)
    for spec in ACTORS:
        if spec.name not in RESTRICTED_ACTORS:
            continue
        for key in RESTRICTED_OPS:
            op = MATRIX[key]
            if op.rule in HOUSEHOLD_RULES:
                run_household_op(probe, spec, key, op)
            else:
                run_other_op(probe, spec, key, op)
    print(
        f"\naccess matrix, {restricted} restricted [{engine_name}]: {probe.attempts} attempts, "
        f"{len(probe.leaks)} leaks, {len(probe.failures)} failures"
    )
    assert not probe.leaks, "\n".join(probe.leaks[:20])
    assert not probe.failures, "\n".join(probe.failures[:20])


def test_ids_of_another_household_in_a_body_are_refused_like_random_ones(
    client: TestClient, connection: Connection, world: World, engine_name: str
) -> None:
    """A write naming another household's member, goal or role answers like a random id."""
    probe = Probe(client, connection, world)
    for spec in ACTORS:
        for key, op in MATRIX.items():
            run_body_ids(probe, spec, key, op)
    print(
        f"\nids in bodies [{engine_name}]: {probe.checks} checks, {len(probe.leaks)} leaks, "
        f"{len(probe.failures)} failures"
    )
    assert probe.checks >= 10
    assert not probe.leaks, "\n".join(probe.leaks[:20])
    assert not probe.failures, "\n".join(probe.failures[:20])


# --- random consent configurations -----------------------------------------------------------


@dataclass(frozen=True)
class DrawnConsent:
    mine: bool  # to the care provider's own organization, or to another one
    categories: frozenset[str]
    domains: frozenset[str]
    valid_from: int
    valid_until: int | None
    withdrawn: bool


@dataclass(frozen=True)
class Configuration:
    role: str  # none, active, ended
    consents: tuple[DrawnConsent, ...]


# Built once: a strategy made anew in every draw is validated anew in every draw.
_STARTS = st.sampled_from((-30, -1, 0, 1, 7))
_ENDS = st.one_of(st.none(), st.sampled_from((-1, 0, 1, 30)))
_CATEGORY_SETS = st.frozensets(st.sampled_from(CATEGORIES), min_size=1)
_DOMAIN_SETS = st.frozensets(st.sampled_from(DOMAINS))
_ROLES = st.sampled_from(("none", "active", "ended"))
_COUNTS = st.integers(min_value=0, max_value=3)


def _drawn_consent(draw: Any) -> DrawnConsent:
    start = draw(_STARTS)
    end = draw(_ENDS)
    return DrawnConsent(
        mine=draw(st.booleans()),
        categories=draw(_CATEGORY_SETS),
        domains=draw(_DOMAIN_SETS),
        valid_from=start,
        valid_until=None if end is None else max(start, end),
        withdrawn=draw(st.booleans()),
    )


@st.composite
def configurations(draw: Any) -> Configuration:
    count = draw(_COUNTS)
    return Configuration(
        role=draw(_ROLES),
        consents=tuple(_drawn_consent(draw) for _ in range(count)),
    )


def insert_configuration(
    connection: Connection, world: World, config: Configuration
) -> tuple[HouseholdFacts, dict[str, Tag]]:
    """Give household A the drawn role and consents, straight into the database."""
    seed = world.households["A"]
    mine, theirs = world.orgs["hypo"], world.orgs["other"]
    now = utcnow()
    drawn_facts, tags = [], {}
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        if config.role != "none":
            ended = config.role == "ended"
            session.add(
                RoleAssignment(
                    household_id=uuid.UUID(seed.id),
                    role_type="care_provider",
                    organization_id=uuid.UUID(mine),
                    started_at=now - timedelta(days=2),
                    created_at=now - timedelta(days=2),
                    started_by="hypothesis",
                    ended_at=now if ended else None,
                    ended_by="hypothesis" if ended else None,
                )
            )
        for n, drawn in enumerate(config.consents):
            grantee = mine if drawn.mine else theirs
            purpose = f"CANARY-A-consents-drawn-{n}"
            tags[purpose] = Tag("A", CONSENTS, grantee=grantee)
            start = today() + timedelta(drawn.valid_from)
            until = None if drawn.valid_until is None else today() + timedelta(drawn.valid_until)
            consent = Consent(
                household_id=uuid.UUID(seed.id),
                grantee_organization_id=uuid.UUID(grantee),
                purpose=purpose,
                valid_from=start,
                valid_until=until,
                given_by_member_id=uuid.UUID(seed.parent),
                recorded_by="hypothesis",
                withdrawn_at=now if drawn.withdrawn else None,
                withdrawn_by="hypothesis" if drawn.withdrawn else None,
            )
            session.add(consent)
            session.flush()
            session.add_all(
                ConsentCategory(consent_id=consent.id, category=c) for c in drawn.categories
            )
            session.add_all(
                ConsentDomain(consent_id=consent.id, life_domain=d) for d in drawn.domains
            )
            drawn_facts.append(
                ConsentFacts(
                    grantee, drawn.categories, drawn.domains, start, until, drawn.withdrawn
                )
            )
        session.commit()
    providers = [mine] if config.role == "active" else []
    return seed.facts.with_consents(drawn_facts, providers), tags


def found(answer: Answer, prefix: str) -> set[str]:
    return {c for c in CANARY.findall(answer.text) if c.startswith(prefix)}


def check_configuration(probe: Probe, world: World, facts: HouseholdFacts) -> None:
    """Read A as the drawn care provider; statuses, canaries and completeness per the oracle:
    a part its consents do not open is a 403 once another part is open to it, else a 404."""
    actor = world.actors["hypo"]
    assert actor is not None
    seed = world.households["A"]
    base = f"{API}/households/{seed.id}"
    nowhere = f"{API}/households/{world.nowhere}"
    reads = [
        (BASIC, "", None),
        (BASIC, "/members", None),
        (PLAN, "/plan", None),
        *[(PLAN, f"/plan/goals/{seed.goals[d]}", d) for d in DOMAINS],
        (PLAN, "/plan/evaluations", None),
        (PLAN, f"/plan/versions/{seed.plan_version}", None),
        (PLAN, f"/plan/versions/{seed.plan_version}/diff", None),
        (CONSENTS, "/consents", None),
    ]
    for scope, suffix, domain in reads:
        request = Request("hypo", "GET", base + suffix)
        if not may_read(actor, facts, scope, today()) and knows(actor, facts, today()):
            probe.expect(request, 403)
        elif not may_read(actor, facts, scope, today()):
            missing = f"/plan/goals/{world.random}" if domain else suffix
            probe.expect_like(request, Request("hypo", "GET", nowhere + missing))
        elif domain is not None and not sees_domain(actor, facts, domain, today()):
            reference = f"{base}/plan/goals/{world.random}"
            probe.expect_like(request, Request("hypo", "GET", reference))
        else:
            answer = probe.expect_allowed(request, ("GET", suffix))
            probe.domain_leaks(request, answer, "A")
            check_complete(probe, request, answer)
    listing = probe.expect(Request("hypo", "GET", f"{API}/households"), 200)
    listed = {item["id"] for item in listing.json()["items"]}
    if listed != ({seed.id} if may_read(actor, facts, BASIC, today()) else set()):
        probe.fail(Request("hypo", "GET", f"{API}/households"), "A listed iff basic", listing)


# What a full answer holds, by the end of its URL: the goals, the outcomes, the consents.
COMPLETE = {
    "plan": "CANARY-A-plan-goal-",
    "evaluations": "CANARY-A-plan-outcome-",
    "consents": "CANARY-A-consents-",
}


def check_complete(probe: Probe, request: Request, answer: Answer) -> None:
    """What the caller may see is all there: no over-filtering either."""
    prefix = COMPLETE.get(request.url.rsplit("/", 1)[1])
    if prefix is None or answer.status != 200:
        return
    expected = {c for c in probe.seen_by(request.actor) if c.startswith(prefix)}
    if found(answer, prefix) != expected:
        probe.fail(request, f"exactly {sorted(expected)}", answer)


def test_random_consent_configurations(
    client: TestClient,
    connection: Connection,
    world: World,
    token: Token,
    engine_name: str,
) -> None:
    """Hypothesis draws a care provider's role and consents on A; 0 leaks, statuses agree."""
    add_actor(world, token, ActorSpec("hypo", ("care_provider",), org="hypo"))
    tally: Counter[str] = Counter()
    references: dict[tuple[Any, ...], Answer] = {}

    @settings(
        max_examples=MIN_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(config=configurations())
    def check(config: Configuration) -> None:
        nested = connection.begin_nested()
        try:
            facts, tags = insert_configuration(connection, world, config)
            probe = Probe(
                client,
                connection,
                world,
                world.canaries.extended(tags),
                {**world.facts(), "A": facts},
            )
            probe.cache.update(references)
            check_configuration(probe, world, facts)
        finally:
            nested.rollback()
        references.update((k, v) for k, v in probe.cache.items() if world.nowhere in k[2])
        tally["examples"] += 1
        tally["requests"] += probe.attempts
        tally["leaks"] += len(probe.leaks)
        assert not probe.leaks, (config, probe.leaks[:10])
        assert not probe.failures, (config, probe.failures[:10])

    started = time.perf_counter()
    check()
    seconds = time.perf_counter() - started
    print(
        f"\nconsent configurations [{engine_name}]: {tally['examples']} examples, "
        f"{tally['requests']} requests, {tally['leaks']} leaks, {seconds:.1f} s"
    )
    assert tally["examples"] >= MIN_EXAMPLES
