"""Property-based tests of every operation in the OpenAPI document, on both engines.

Schemathesis reads the document the app serves at /api/v1/openapi.json and calls the app
in-process (ASGI, no network) with generated requests, valid and invalid. Every response
must not be a 5xx, must have a documented status code and content type, and its body and
headers must match what the document says; a request the document calls invalid must be
refused.

Most requests carry a real token (an access worker of Zwolle and Dalfsen; the administrator
for registering organizations), and most name a household (open or closed), member, goal,
action, evaluation, role assignment, organization or codelist that exists, with its current
ETag, so the deep paths of the code run and not only the 401s and 404s.

Why not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy loader fails on
``Function._nodeid`` (Schemathesis 4.32.5). So the schema is loaded once at import from an
app built from the same code (hence the same document), and each test item, one per
operation and engine, sends its requests to that item's ``app`` fixture, bound to the
rolled-back connection of its engine.
"""

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from gezinsplan.codelists import registry
from gezinsplan.config import Settings
from gezinsplan.main import create_app
from gezinsplan.openapi import API_PREFIX, OPENAPI_PATH
from tests.conftest import TEST_SECRET, Token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Deterministic by default; a deeper or different run: GEZINSPLAN_FUZZ_EXAMPLES=500
# GEZINSPLAN_FUZZ_SEED=7 pytest tests/test_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("GEZINSPLAN_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("GEZINSPLAN_FUZZ_SEED", "20250101"))

# Placeholders a generated case carries; `resolve` swaps in the real values just before the
# call, so generation stays independent of the database of the test item that runs it.
ACTOR_TOKEN = "Bearer actor:"
OPEN_HOUSEHOLD = "00000000-0000-4000-8000-00000000f001"
CLOSED_HOUSEHOLD = "00000000-0000-4000-8000-00000000f002"
REAL_MEMBER = "00000000-0000-4000-8000-00000000f003"
REAL_ORGANIZATION = "00000000-0000-4000-8000-00000000f004"
REAL_GOAL = "00000000-0000-4000-8000-00000000f005"  # the oldest goal, which an evaluation names
UNNAMED_GOAL = "00000000-0000-4000-8000-00000000f006"  # one no evaluation names: removable
REAL_ACTION = "00000000-0000-4000-8000-00000000f007"
REAL_EVALUATION = "00000000-0000-4000-8000-00000000f008"
CARE_PROVIDER_ROLE = "00000000-0000-4000-8000-00000000f009"  # active; may be ended
REGISSEUR_ROLE = "00000000-0000-4000-8000-00000000f00a"  # active; only ever handed over
REAL_CARE_PROVIDER = "00000000-0000-4000-8000-00000000f00b"  # works on both households
OTHER_CARE_PROVIDER = "00000000-0000-4000-8000-00000000f00c"  # works on neither, at first
CURRENT_ETAG = '"current"'

# What a valid id inside a household may become: path parameters (snake_case) and fields of
# a JSON body (camelCase), so that, say, a regisseur handover names an organization that
# exists and the assignment it replaces. The first is where Hypothesis shrinks to.
REAL_IDS: dict[str, tuple[str, ...]] = {
    "member_id": (REAL_MEMBER,),
    "goal_id": (REAL_GOAL, UNNAMED_GOAL),
    "action_id": (REAL_ACTION,),
    "evaluation_id": (REAL_EVALUATION,),
    "role_id": (CARE_PROVIDER_ROLE, REGISSEUR_ROLE),
    "organizationId": (REAL_CARE_PROVIDER, OTHER_CARE_PROVIDER, REAL_ORGANIZATION),
    "performerOrganizationId": (REAL_CARE_PROVIDER,),
    "performerMemberId": (REAL_MEMBER,),
    "goalId": (REAL_GOAL,),
    "replaces": (REGISSEUR_ROLE,),
}
CODELISTS = ("life-domains", *sorted(set(registry.all_codelists()) - {"life-domains"}))

# Who calls: mostly the operation's usual caller, sometimes someone who may see less, or
# whatever Authorization header Schemathesis generated (usually a 401). The first entry of
# each choice is where Hypothesis shrinks to.
ACTORS = ("default", "default", "default", "toegang", "admin", "outsider", "no_role", "generated")
HOUSEHOLDS = (OPEN_HOUSEHOLD, OPEN_HOUSEHOLD, CLOSED_HOUSEHOLD, None)


def _document_app() -> FastAPI:
    """An app built from the same code as the tested ones; only its document is read."""
    return create_app(Settings(jwt_secret=TEST_SECRET), bind=create_engine("sqlite://"))


schema = schemathesis.openapi.from_asgi(
    OPENAPI_PATH,
    _document_app(),
    config=schemathesis.Config.from_dict(
        {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES, "database": "none"}}
    ),
)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _use_real_ids(
    case: schemathesis.Case,
    household: str | None,
    real: Mapping[str, str | None],
    codelist: str | None,
) -> None:
    """Point a case's valid ids at real objects; invalid ones stay to test the 422s.

    ``real`` says, per kind of id inside the household, which placeholder it becomes (None:
    the generated id stays, usually a 404 or 422).
    """
    params = case.path_parameters or {}
    if household is not None and _is_uuid(params.get("household_id")):
        params["household_id"] = household
        for name, placeholder in real.items():
            if placeholder is not None and _is_uuid(params.get(name)):
                params[name] = placeholder
        _use_real_body_ids(case.body, real)
    if household is not None and _is_uuid(params.get("organization_id")):
        params["organization_id"] = REAL_ORGANIZATION
    if codelist is not None and "name" in params and not _made_invalid(case, "name"):
        params["name"] = codelist


def _use_real_body_ids(body: object, real: Mapping[str, str | None]) -> None:
    """The same inside a JSON body, in the first item of each list only, so that ids a list
    holds once (the goals of an evaluation) stay unique."""
    if isinstance(body, list):
        for item in body[:1]:
            _use_real_body_ids(item, real)
    elif isinstance(body, dict):
        for key, value in body.items():
            placeholder = real.get(key)
            if placeholder is not None and isinstance(value, str) and _is_uuid(value):
                body[key] = placeholder
            else:
                _use_real_body_ids(value, real)


def _takes_if_match(case: schemathesis.Case) -> bool:
    return "If-Match" in case.operation.headers


def _made_invalid(case: schemathesis.Case, name: str) -> bool:
    """Whether Schemathesis broke this parameter on purpose; then it keeps its generated value.

    Replacing it (say, a removed Authorization header by a valid token) would leave the case
    labelled invalid for a reason that was never sent.
    """
    data = case.meta.phase.data if case.meta is not None else None
    if getattr(data, "parameter", None) == name:
        return True
    return any(mutation.parameter == name for mutation in getattr(data, "mutations", ()))


def _often(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    """One of ``values`` three times in four, else None."""
    return st.integers(0, 3).flatmap(lambda n: st.sampled_from(values) if n < 3 else st.none())


@schema.hook
def flatmap_case(_context: Any, case: schemathesis.Case) -> st.SearchStrategy[Any]:
    """Let Hypothesis choose the caller, real or generated ids, and a current or stale ETag."""

    def shape(
        choice: tuple[str, str | None, dict[str, str | None], str | None, bool],
    ) -> schemathesis.Case:
        actor, household, real, codelist, current_etag = choice
        case.headers = case.headers or {}
        if actor != "generated" and not _made_invalid(case, "Authorization"):
            case.headers["Authorization"] = ACTOR_TOKEN + actor
        _use_real_ids(case, household, real, codelist)
        if current_etag and _takes_if_match(case) and not _made_invalid(case, "If-Match"):
            case.headers["If-Match"] = CURRENT_ETAG
        return case

    likely = st.integers(0, 3).map(lambda n: n < 3)  # True three times in four
    real = st.fixed_dictionaries({name: _often(options) for name, options in REAL_IDS.items()})
    return st.tuples(
        st.sampled_from(ACTORS), st.sampled_from(HOUSEHOLDS), real, _often(CODELISTS), likely
    ).map(shape)


@dataclass
class World:
    """What exists in the database of one test item, and the tokens of those who call."""

    client: TestClient
    tokens: dict[str, dict[str, str]]
    households: dict[str, str]
    organization_id: str
    care_providers: tuple[str, str]
    untouched_cases: "count[int]" = field(default_factory=count)

    def _household(self, household_id: str, action: str) -> None:
        """Close or reopen; a reopen an earlier case made impossible (409) is left as it is."""
        response = self.client.post(
            f"{API_PREFIX}/households/{household_id}/{action}",
            json={"closingReason": "moved_away"}
            if action == "close"
            else {"referralSource": "self"},
            headers=self.tokens["toegang"],
        )
        assert response.status_code in (200, 409), response.text

    def household(self, placeholder: str) -> str:
        """The real household a placeholder names, open or closed as the placeholder says."""
        household_id = self.households[placeholder]
        wanted = "closed" if placeholder == CLOSED_HOUSEHOLD else "open"
        response = self.client.get(
            f"{API_PREFIX}/households/{household_id}", headers=self.tokens["toegang"]
        )
        if response.json()["status"] != wanted:
            self._household(household_id, "close" if wanted == "closed" else "reopen")
        return household_id

    def _read(self, path: str, **query: str) -> Any:
        response = self.client.get(path, params=query, headers=self.tokens["toegang"])
        assert response.status_code == 200, response.text
        return response.json()

    def _create(self, path: str, body: dict[str, Any], *, method: str = "POST") -> str:
        response = self.client.request(method, path, json=body, headers=self.tokens["toegang"])
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    @contextmanager
    def _open_household(self, household_id: str) -> Iterator[None]:
        """Reopen for a moment a household an earlier case closed, to add to it."""
        closed = self._read(f"{API_PREFIX}/households/{household_id}")["status"] == "closed"
        if closed:
            self._household(household_id, "reopen")
        yield
        if closed:
            self._household(household_id, "close")

    def _plan_status(self, household_id: str, status: str) -> None:
        response = self.client.patch(
            f"{API_PREFIX}/households/{household_id}/plan",
            json={"status": status},
            headers={**self.tokens["toegang"], "If-Match": "*"},
        )
        assert response.status_code == 200, response.text

    @contextmanager
    def _open_plan(self, household_id: str) -> Iterator[None]:
        """Reactivate for a moment a plan an earlier case closed: a closed plan's content is
        not changed."""
        closed = self._read(f"{API_PREFIX}/households/{household_id}/plan")["status"] == "closed"
        if closed:
            self._plan_status(household_id, "active")
        yield
        if closed:
            self._plan_status(household_id, "closed")

    def live_member(self, household_id: str) -> str:
        """A member of the household; added again when an earlier case removed the last."""
        base = f"{API_PREFIX}/households/{household_id}"
        items = self._read(f"{base}/members")["items"]
        if items:
            return str(items[0]["id"])
        body = {
            "givenName": "Sanne",
            "familyName": "Jansen",
            "birthDate": "1986-04-12",
            "relation": "parent",
            "isGuardian": True,
        }
        with self._open_household(household_id):
            return self._create(f"{base}/members", body)

    def live_goal(self, household_id: str, *, unnamed: bool = False) -> str:
        """The plan's oldest goal, or with ``unnamed`` its oldest goal that no evaluation names
        (so a DELETE can succeed); added again when there is none."""
        plan = f"{API_PREFIX}/households/{household_id}/plan"
        goals = [str(goal["id"]) for goal in self._read(plan)["goals"]]
        if unnamed:
            evaluations = self._read(f"{plan}/evaluations", limit="100")["items"]
            named = {o["goalId"] for e in evaluations for o in e["outcomes"]}
            goals = [goal for goal in goals if goal not in named]
        if goals:
            return goals[0]
        body = {
            "lifeDomain": "finances",
            "description": "Schulden zijn in beeld en er is een betaalplan.",
            "zrmStart": 2,
            "zrmTarget": 4,
        }
        with self._open_plan(household_id):
            return self._create(f"{plan}/goals", body)

    def live_action(self, household_id: str, goal_id: str) -> str:
        """An action of the (real) goal; added when it has none."""
        goal = f"{API_PREFIX}/households/{household_id}/plan/goals/{goal_id}"
        actions = self._read(goal)["actions"]
        if actions:
            return str(actions[0]["id"])
        body = {
            "description": "Aanmelden bij de schuldhulpverlening.",
            "performer": "own_network",
            "performerName": "Oma Jansen",
        }
        with self._open_plan(household_id):
            return self._create(f"{goal}/actions", body)

    def live_evaluation(self, household_id: str) -> str:
        """The plan's oldest evaluation; recorded, naming the oldest goal, when there is none."""
        plan = f"{API_PREFIX}/households/{household_id}/plan"
        items = self._read(f"{plan}/evaluations")["items"]
        if items:
            return str(items[0]["id"])
        body = {
            "evaluatedOn": "2025-06-30",
            "summary": "Betaalplan loopt; rust in huis is beter.",
            "outcomes": [{"goalId": self.live_goal(household_id), "outcome": "partly_achieved"}],
            "scores": [{"lifeDomain": "finances", "score": 3}],
        }
        with self._open_plan(household_id):
            return self._create(f"{plan}/evaluations", body)

    def live_role(self, household_id: str, role_type: str) -> str:
        """An active assignment of the type; started again when an earlier case ended it."""
        base = f"{API_PREFIX}/households/{household_id}"
        items = self._read(f"{base}/roles", active="true", limit="100")["items"]
        active = [str(item["id"]) for item in items if item["roleType"] == role_type]
        if active:
            return active[0]
        with self._open_household(household_id):
            if role_type == "care_provider":
                body = {"organizationId": self.care_providers[0], "reason": "Schuldhulp gestart."}
                return self._create(f"{base}/roles", body)
            body = {
                "professionalSub": "wijkteam-zwolle-jdevries",
                "professionalName": "Jeroen de Vries",
                "organizationId": self.organization_id,
                "reason": "Eerste regisseur.",
            }
            return self._create(f"{base}/regisseur", body, method="PUT")

    def populate(self, household_id: str) -> None:
        """A member, a goal with an action, an evaluation naming the goal, and both roles."""
        self.live_member(household_id)
        self.live_action(household_id, self.live_goal(household_id))
        self.live_evaluation(household_id)
        self.live_role(household_id, "care_provider")
        self.live_role(household_id, "regisseur")

    def current_etag(self, path: str) -> str:
        """The ETag a reader of the resource at ``path`` would have seen."""
        headers = self.tokens["toegang"]
        if "/plan" in path:  # the plan's version guards its goals, actions and evaluations
            plan = path.split("/plan", 1)[0] + "/plan"
            return self.client.get(plan, headers=headers).headers.get("etag", '"1"')
        resource = path.removesuffix("/close").removesuffix("/reopen")
        return self.client.get(resource, headers=headers).headers.get("etag", '"1"')


@pytest.fixture
def world(
    client: TestClient,
    token: Token,
    admin: dict[str, str],
    toegang: dict[str, str],
    household: dict[str, Any],
    municipalities: list[str],
) -> World:
    """Three municipalities, two care providers, two households (one closed) populated
    alike, five callers."""
    organizations = client.get(f"{API_PREFIX}/organizations", headers=admin).json()["items"]
    care_providers = [item["id"] for item in organizations if item["kind"] == "care_provider"]
    for agb_code in ("03001234", "03001235")[len(care_providers) :]:
        body = {"kind": "care_provider", "name": f"Zorg {agb_code}", "agbCode": agb_code}
        response = client.post(f"{API_PREFIX}/organizations", json=body, headers=admin)
        assert response.status_code == 201, response.text
        care_providers.append(response.json()["id"])
    body = {
        "municipalityCode": "0148",
        "name": "Gezin de Vries",
        "referralSource": "municipal_access",
    }
    closed = client.post(f"{API_PREFIX}/households", json=body, headers=toegang).json()
    world = World(
        client=client,
        tokens={
            "toegang": toegang,
            "admin": admin,
            "outsider": token("toegang", municipalities=("0363",), sub="outsider"),
            "no_role": token("unknown-role", sub="stranger"),
        },
        households={OPEN_HOUSEHOLD: household["id"], CLOSED_HOUSEHOLD: closed["id"]},
        organization_id=organizations[0]["id"],
        care_providers=(care_providers[0], care_providers[1]),
    )
    world.populate(household["id"])
    world.populate(closed["id"])
    world._household(closed["id"], "close")
    return world


def _default_actor(case: schemathesis.Case) -> str:
    registers_organization = case.method.upper() == "POST" and case.operation.path.endswith(
        "/organizations"
    )
    return "admin" if registers_organization else "toegang"


def _resolve_children(params: dict[str, Any], world: World, household_id: str) -> None:
    """The member, goal, action, evaluation and role placeholders, inside the household."""
    if params.get("member_id") == REAL_MEMBER:
        params["member_id"] = world.live_member(household_id)
    goal = params.get("goal_id")
    if goal in (REAL_GOAL, UNNAMED_GOAL):
        params["goal_id"] = world.live_goal(household_id, unnamed=goal == UNNAMED_GOAL)
    if params.get("action_id") == REAL_ACTION:
        real_goal = params["goal_id"] if goal in (REAL_GOAL, UNNAMED_GOAL) else None
        params["action_id"] = world.live_action(
            household_id, real_goal or world.live_goal(household_id)
        )
    if params.get("evaluation_id") == REAL_EVALUATION:
        params["evaluation_id"] = world.live_evaluation(household_id)
    role = params.get("role_id")
    if role in (CARE_PROVIDER_ROLE, REGISSEUR_ROLE):
        role_type = "care_provider" if role == CARE_PROVIDER_ROLE else "regisseur"
        params["role_id"] = world.live_role(household_id, role_type)


def _resolve_body(body: object, world: World, household_id: str) -> None:
    """The placeholders `_use_real_body_ids` put into a JSON body."""
    real = {
        REAL_MEMBER: lambda: world.live_member(household_id),
        REAL_GOAL: lambda: world.live_goal(household_id),
        REGISSEUR_ROLE: lambda: world.live_role(household_id, "regisseur"),
        REAL_CARE_PROVIDER: lambda: world.care_providers[0],
        OTHER_CARE_PROVIDER: lambda: world.care_providers[1],
        REAL_ORGANIZATION: lambda: world.organization_id,
    }
    if isinstance(body, dict):
        items: list[tuple[Any, Any]] = list(body.items())
    elif isinstance(body, list):
        items = list(enumerate(body))
    else:
        return
    for key, value in items:
        if isinstance(value, str) and value in real:
            body[key] = real[value]()
        else:
            _resolve_body(value, world, household_id)


def resolve(case: schemathesis.Case, world: World) -> None:
    """Turn the placeholders into real tokens, ids and ETags, just before the call.

    Cases of the coverage and examples phases do not pass through the Hypothesis hook: they
    get the operation's usual caller, and every other one names the open household, real
    objects in it and its current ETag.
    """
    case.headers = case.headers or {}
    params = case.path_parameters or {}
    phase = case.meta.phase.name if case.meta is not None else None
    if phase in (TestPhase.COVERAGE, TestPhase.EXAMPLES):
        if not _made_invalid(case, "Authorization"):
            case.headers["Authorization"] = ACTOR_TOKEN + "default"
        untouched = next(world.untouched_cases)
        if untouched % 2 == 0:  # every other one, taking each placeholder in turn
            turn = untouched // 2
            real = {name: options[turn % len(options)] for name, options in REAL_IDS.items()}
            _use_real_ids(case, OPEN_HOUSEHOLD, real, CODELISTS[turn % len(CODELISTS)])
            if _takes_if_match(case) and not _made_invalid(case, "If-Match"):
                case.headers["If-Match"] = CURRENT_ETAG
    authorization = str(case.headers.get("Authorization", ""))
    if authorization.startswith(ACTOR_TOKEN):
        actor = authorization.removeprefix(ACTOR_TOKEN)
        if actor == "default":
            actor = _default_actor(case)
        case.headers["Authorization"] = world.tokens[actor]["Authorization"]
    if params.get("household_id") in world.households:
        params["household_id"] = world.household(params["household_id"])
        _resolve_children(params, world, params["household_id"])
        _resolve_body(case.body, world, params["household_id"])
    if params.get("organization_id") == REAL_ORGANIZATION:
        params["organization_id"] = world.organization_id
    if case.headers.get("If-Match") == CURRENT_ETAG:
        case.headers["If-Match"] = world.current_etag(case.formatted_path)
    # Reading `meta` makes Schemathesis validate the edited parts again, so a check such as
    # negative_data_rejection judges the request as it is sent, not as it was generated.
    case.meta  # noqa: B018


@schema.parametrize()
@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one database per item, shared by its examples
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ]
)
def test_every_operation_keeps_its_documented_contract(
    case: schemathesis.Case, app: FastAPI, world: World
) -> None:
    resolve(case, world)
    case.call_and_validate(app=app, checks=CHECKS)


def test_placeholders_become_real_objects_and_tokens(world: World, app: FastAPI) -> None:
    """The runs above reach real objects only through `resolve`; a silent break here would
    leave them testing nothing but 404s."""
    operation = schema.find_operation_by_label(
        "PATCH /api/v1/households/{household_id}/members/{member_id}"
    )
    assert operation is not None
    case = operation.Case(
        path_parameters={"household_id": CLOSED_HOUSEHOLD, "member_id": REAL_MEMBER},
        headers={"Authorization": ACTOR_TOKEN + "default", "If-Match": CURRENT_ETAG},
        body={"givenName": "Sanne"},
        media_type="application/json",
    )
    resolve(case, world)
    response = case.call(app=app)
    assert response.status_code == 200, response.text
    assert response.json()["householdId"] == world.households[CLOSED_HOUSEHOLD]

    admin = operation.schema.find_operation_by_label("POST /api/v1/organizations")
    assert admin is not None
    case = admin.Case(
        headers={"Authorization": ACTOR_TOKEN + "default"},
        body={"kind": "care_provider", "name": "Zorg B.V.", "agbCode": "12345678"},
        media_type="application/json",
    )
    resolve(case, world)
    assert case.call(app=app).status_code == 201


def _placeholder_case(
    label: str, path_parameters: dict[str, str], **parts: Any
) -> schemathesis.Case:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": ACTOR_TOKEN + "default", **parts.pop("headers", {})}
    return operation.Case(path_parameters=dict(path_parameters), headers=headers, **parts)


def test_placeholders_reach_the_plan_roles_and_codelists(world: World, app: FastAPI) -> None:
    """The same for what hangs under a household: a goal changed through its placeholders is
    the real one (200, not 404), ids in a body become real ones, and an ended role is started
    again for the next case."""
    plan = f"{API_PREFIX}/households/{{household_id}}/plan"
    goal = {"household_id": OPEN_HOUSEHOLD, "goal_id": REAL_GOAL}
    case = _placeholder_case(
        f"PATCH {plan}/goals/{{goal_id}}",
        goal,
        headers={"If-Match": CURRENT_ETAG},
        body={"status": "achieved"},
        media_type="application/json",
    )
    resolve(case, world)
    response = case.call(app=app)
    assert response.status_code == 200, response.text
    household_id = world.households[OPEN_HOUSEHOLD]
    assert response.json()["id"] == world.live_goal(household_id)
    assert response.json()["status"] == "achieved"
    assert response.json()["actions"], "the goal has its action"

    reads = {
        f"GET {plan}/goals/{{goal_id}}/actions/{{action_id}}": {**goal, "action_id": REAL_ACTION},
        f"GET {plan}/evaluations/{{evaluation_id}}": {
            "household_id": CLOSED_HOUSEHOLD,
            "evaluation_id": REAL_EVALUATION,
        },
        f"GET {API_PREFIX}/households/{{household_id}}/roles/{{role_id}}": {
            "household_id": CLOSED_HOUSEHOLD,
            "role_id": REGISSEUR_ROLE,
        },
        f"GET {API_PREFIX}/codelists/{{name}}": {"name": "life-domains"},
    }
    for label, path_parameters in reads.items():
        case = _placeholder_case(label, path_parameters)
        resolve(case, world)
        assert case.call(app=app).status_code == 200, label

    role = {"household_id": OPEN_HOUSEHOLD, "role_id": CARE_PROVIDER_ROLE}
    roles = f"{API_PREFIX}/households/{{household_id}}/roles/{{role_id}}"
    ended = _placeholder_case(f"DELETE {roles}", role)
    resolve(ended, world)
    assert ended.call(app=app).status_code == 204
    again = _placeholder_case(f"GET {roles}", role)
    resolve(again, world)
    response = again.call(app=app)
    assert response.status_code == 200, response.text
    assert response.json()["active"]
    assert response.json()["id"] != ended.path_parameters["role_id"]

    handover = _placeholder_case(
        f"PUT {API_PREFIX}/households/{{household_id}}/regisseur",
        {"household_id": OPEN_HOUSEHOLD},
        body={
            "professionalSub": "schuldhulp-pietersen",
            "professionalName": "Petra Pietersen",
            "organizationId": OTHER_CARE_PROVIDER,
            "reason": "Schuldhulp leidt nu.",
            "replaces": REGISSEUR_ROLE,
        },
        media_type="application/json",
    )
    resolve(handover, world)
    response = handover.call(app=app)
    assert response.status_code == 200, response.text
    assert response.json()["organizationId"] == world.care_providers[1]
