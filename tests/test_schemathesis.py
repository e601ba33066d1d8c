"""Property-based tests of every operation in the OpenAPI document, on both engines.

Schemathesis reads the document the app serves at /api/v1/openapi.json and calls the app
in-process (ASGI, no network) with generated requests, valid and invalid. Every response
must not be a 5xx, must have a documented status code and content type, and its body and
headers must match what the document says; a request the document calls invalid must be
refused.

Most requests carry a real token (an access worker of Zwolle and Dalfsen; the administrator
for registering organizations), and most name a household (open or closed), member or
organization that exists, with its current ETag, so the deep paths of the code run and not
only the 401s and 404s.

Why not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy loader fails on
``Function._nodeid`` (Schemathesis 4.32.5). So the schema is loaded once at import from an
app built from the same code (hence the same document), and each test item, one per
operation and engine, sends its requests to that item's ``app`` fixture, bound to the
rolled-back connection of its engine.
"""

import os
import uuid
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
CURRENT_ETAG = '"current"'

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


def _use_real_ids(params: dict[str, Any], household: str | None, *, member: bool) -> None:
    """Point a case's valid ids at real objects; invalid ones stay to test the 422s."""
    if household is not None and _is_uuid(params.get("household_id")):
        params["household_id"] = household
        if member and _is_uuid(params.get("member_id")):
            params["member_id"] = REAL_MEMBER
    if household is not None and _is_uuid(params.get("organization_id")):
        params["organization_id"] = REAL_ORGANIZATION


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


@schema.hook
def flatmap_case(_context: Any, case: schemathesis.Case) -> st.SearchStrategy[Any]:
    """Let Hypothesis choose the caller, real or generated ids, and a current or stale ETag."""

    def shape(choice: tuple[str, str | None, bool, bool]) -> schemathesis.Case:
        actor, household, member, current_etag = choice
        case.headers = case.headers or {}
        if actor != "generated" and not _made_invalid(case, "Authorization"):
            case.headers["Authorization"] = ACTOR_TOKEN + actor
        _use_real_ids(case.path_parameters or {}, household, member=member)
        if current_etag and _takes_if_match(case) and not _made_invalid(case, "If-Match"):
            case.headers["If-Match"] = CURRENT_ETAG
        return case

    likely = st.integers(0, 3).map(lambda n: n < 3)  # True three times in four
    return st.tuples(st.sampled_from(ACTORS), st.sampled_from(HOUSEHOLDS), likely, likely).map(
        shape
    )


@dataclass
class World:
    """What exists in the database of one test item, and the tokens of those who call."""

    client: TestClient
    tokens: dict[str, dict[str, str]]
    households: dict[str, str]
    organization_id: str
    untouched_cases: "count[int]" = field(default_factory=count)

    def _household(self, household_id: str, action: str) -> None:
        """Close or reopen; a reopen an earlier case made impossible (409) is left as it is."""
        response = self.client.post(
            f"{API_PREFIX}/households/{household_id}/{action}",
            json={"closingReason": "moved_away"} if action == "close" else None,
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

    def live_member(self, household_id: str) -> str:
        """A member of the household; added again when an earlier case removed the last."""
        base = f"{API_PREFIX}/households/{household_id}"
        headers = self.tokens["toegang"]
        items = self.client.get(f"{base}/members", headers=headers).json()["items"]
        if items:
            return str(items[0]["id"])
        status = self.client.get(base, headers=headers).json()["status"]
        self._household(household_id, "reopen")
        body = {
            "givenName": "Sanne",
            "familyName": "Jansen",
            "birthDate": "1986-04-12",
            "relation": "parent",
            "isGuardian": True,
        }
        created = self.client.post(f"{base}/members", json=body, headers=headers)
        assert created.status_code == 201, created.text
        if status == "closed":
            self._household(household_id, "close")
        return str(created.json()["id"])

    def current_etag(self, path: str) -> str:
        """The ETag a reader of the resource at ``path`` would have seen."""
        headers = self.tokens["toegang"]
        if "/members/" in path:  # no single-member read: the list carries the version
            members, member_id = path.rsplit("/", 1)
            items = self.client.get(members, headers=headers).json().get("items", [])
            versions = [item["version"] for item in items if item["id"] == member_id]
            return f'"{versions[0] if versions else 1}"'
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
    """Three municipalities, two households with a member each (one closed), five callers."""
    organizations = client.get(f"{API_PREFIX}/organizations", headers=admin).json()["items"]
    body = {"municipalityCode": "0148", "name": "Gezin de Vries"}
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
    )
    world.live_member(household["id"])
    world.live_member(closed["id"])
    world._household(closed["id"], "close")
    return world


def _default_actor(case: schemathesis.Case) -> str:
    registers_organization = case.method.upper() == "POST" and case.operation.path.endswith(
        "/organizations"
    )
    return "admin" if registers_organization else "toegang"


def resolve(case: schemathesis.Case, world: World) -> None:
    """Turn the placeholders into real tokens, ids and ETags, just before the call.

    Cases of the coverage and examples phases do not pass through the Hypothesis hook: they
    get the operation's usual caller, and every other one names the open household.
    """
    case.headers = case.headers or {}
    params = case.path_parameters or {}
    phase = case.meta.phase.name if case.meta is not None else None
    if phase in (TestPhase.COVERAGE, TestPhase.EXAMPLES):
        if not _made_invalid(case, "Authorization"):
            case.headers["Authorization"] = ACTOR_TOKEN + "default"
        if next(world.untouched_cases) % 2 == 0:
            _use_real_ids(params, OPEN_HOUSEHOLD, member=True)
    authorization = str(case.headers.get("Authorization", ""))
    if authorization.startswith(ACTOR_TOKEN):
        actor = authorization.removeprefix(ACTOR_TOKEN)
        if actor == "default":
            actor = _default_actor(case)
        case.headers["Authorization"] = world.tokens[actor]["Authorization"]
    if params.get("household_id") in world.households:
        params["household_id"] = world.household(params["household_id"])
    if params.get("member_id") == REAL_MEMBER:
        params["member_id"] = world.live_member(params["household_id"])
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
