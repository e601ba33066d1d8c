"""Who sees what: toegang sees its municipalities' households, nobody else sees any, an
invisible household is indistinguishable from a nonexistent one, and a route that does not
go through the access module cannot be added."""

import uuid
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import sessionmaker

from gezinsplan.access import guard
from gezinsplan.access.dependencies import VisibleHousehold, readable
from gezinsplan.access.guard import UnguardedRouteError, unguarded_routes
from gezinsplan.access.predicates import editable_households, visible_households
from gezinsplan.access.scopes import Scope
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.config import Settings
from gezinsplan.households.models import Household
from gezinsplan.main import create_app
from tests.conftest import Token

API = "/api/v1"
HOUSEHOLDS = f"{API}/households"
PROBLEM = "application/problem+json"
POSTGRESQL: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
SQLITE: Dialect = sqlite.dialect()
OTHER_ROLES = [role for role in Role if role is not Role.TOEGANG]
MEMBER = {
    "givenName": "Daan",
    "familyName": "Visser",
    "birthDate": "1980-02-03",
    "relation": "parent",
}


@pytest.fixture
def amsterdam(token: Token) -> dict[str, str]:
    """A toegang worker of Amsterdam (0363) only."""
    return token("toegang", municipalities=("0363",), org=uuid.uuid4(), sub="amsterdam")


@pytest.fixture
def foreign(
    client: TestClient, amsterdam: dict[str, str], municipalities: list[str]
) -> dict[str, Any]:
    """A household of Amsterdam with one member, opened by the Amsterdam worker."""
    response = client.post(
        HOUSEHOLDS,
        json={
            "municipalityCode": "0363",
            "name": "Gezin Visser",
            "referralSource": "municipal_access",
        },
        headers=amsterdam,
    )
    assert response.status_code == 201, response.text
    household: dict[str, Any] = response.json()
    added = client.post(f"{HOUSEHOLDS}/{household['id']}/members", json=MEMBER, headers=amsterdam)
    assert added.status_code == 201, added.text
    household["member"] = added.json()
    return household


def listed_ids(client: TestClient, headers: dict[str, str], **params: str) -> list[str]:
    response = client.get(HOUSEHOLDS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [h["id"] for h in response.json()["items"]]


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "Household not found."


# --- toegang: its own municipalities only ---------------------------------------------------


def test_toegang_lists_only_households_of_its_municipalities(
    client: TestClient,
    toegang: dict[str, str],
    amsterdam: dict[str, str],
    household: dict[str, Any],
    foreign: dict[str, Any],
) -> None:
    assert listed_ids(client, toegang) == [household["id"]]
    assert listed_ids(client, amsterdam) == [foreign["id"]]
    # Filters narrow the visible set; they never widen it.
    assert listed_ids(client, toegang, municipality="0363") == []
    assert listed_ids(client, toegang, q="Visser") == [], "search must not reach other households"
    assert listed_ids(client, toegang, q="Daan") == [], "nor their members' names"
    assert listed_ids(client, amsterdam, q="Visser") == [foreign["id"]]


def test_toegang_cannot_read_a_household_of_another_municipality(
    client: TestClient, toegang: dict[str, str], foreign: dict[str, Any]
) -> None:
    url = f"{HOUSEHOLDS}/{foreign['id']}"
    assert_not_found(client.get(url, headers=toegang))
    assert_not_found(client.get(f"{url}/members", headers=toegang))


def test_toegang_cannot_change_a_household_of_another_municipality(
    client: TestClient,
    toegang: dict[str, str],
    amsterdam: dict[str, str],
    foreign: dict[str, Any],
) -> None:
    url = f"{HOUSEHOLDS}/{foreign['id']}"
    member_url = f"{url}/members/{foreign['member']['id']}"
    if_match = {**toegang, "If-Match": '"1"'}

    assert_not_found(client.patch(url, json={"name": "Gezin Gekaapt"}, headers=if_match))
    assert_not_found(client.post(f"{url}/close", json={"closingReason": "other"}, headers=toegang))
    assert_not_found(client.post(f"{url}/members", json=MEMBER, headers=toegang))
    assert_not_found(client.patch(member_url, json={"givenName": "X"}, headers=if_match))
    assert_not_found(client.delete(member_url, headers=toegang))

    # The Amsterdam worker still sees the household exactly as it was.
    after = client.get(url, headers=amsterdam)
    assert after.status_code == 200
    assert after.json()["name"] == "Gezin Visser"
    assert after.json()["status"] == "open"
    assert after.json()["version"] == 1
    members = client.get(f"{url}/members", headers=amsterdam).json()["items"]
    assert [(m["id"], m["givenName"], m["version"]) for m in members] == [
        (foreign["member"]["id"], "Daan", 1)
    ]


def test_toegang_cannot_reopen_a_household_of_another_municipality(
    client: TestClient,
    toegang: dict[str, str],
    amsterdam: dict[str, str],
    foreign: dict[str, Any],
) -> None:
    url = f"{HOUSEHOLDS}/{foreign['id']}"
    closed = client.post(f"{url}/close", json={"closingReason": "moved_away"}, headers=amsterdam)
    assert closed.status_code == 200, closed.text

    assert_not_found(client.post(f"{url}/reopen", json={"referralSource": "self"}, headers=toegang))
    assert client.get(url, headers=amsterdam).json()["status"] == "closed"


# --- an invisible household answers exactly like a nonexistent one -------------------------


# Headers that differ per request by design, whatever the resource.
PER_REQUEST = frozenset({"date", "x-request-id", "traceparent"})


def _fingerprint(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((k, v) for k, v in response.headers.items() if k.lower() not in PER_REQUEST)
    return response.status_code, headers, response.content


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "Gezin Gekaapt"}),
        ("POST", "/close", {"closingReason": "other"}),
        ("POST", "/reopen", {"referralSource": "self"}),
        ("GET", "/members", None),
        ("POST", "/members", MEMBER),
        ("PATCH", "/members/{member}", {"givenName": "X"}),
        ("DELETE", "/members/{member}", None),
    ],
)
def test_an_invisible_household_is_indistinguishable_from_a_nonexistent_one(
    client: TestClient,
    toegang: dict[str, str],
    foreign: dict[str, Any],
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    headers = {**toegang, "If-Match": '"1"'}
    invisible = f"{HOUSEHOLDS}/{foreign['id']}" + suffix.format(member=foreign["member"]["id"])
    missing = f"{HOUSEHOLDS}/{uuid.uuid4()}" + suffix.format(member=uuid.uuid4())

    seen = client.request(method, invisible, json=body, headers=headers)
    unseen = client.request(method, missing, json=body, headers=headers)

    assert seen.status_code == 404
    assert _fingerprint(seen) == _fingerprint(unseen)


def test_a_member_of_an_invisible_household_is_indistinguishable_within_a_visible_one(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    foreign: dict[str, Any],
) -> None:
    """Borrowing a visible household's URL does not reach another household's member."""
    own = f"{HOUSEHOLDS}/{household['id']}/members"
    headers = {**toegang, "If-Match": '"1"'}
    for method, body in (("PATCH", {"givenName": "X"}), ("DELETE", None)):
        seen = client.request(
            method, f"{own}/{foreign['member']['id']}", json=body, headers=headers
        )
        unseen = client.request(method, f"{own}/{uuid.uuid4()}", json=body, headers=headers)
        assert seen.status_code == 404
        assert _fingerprint(seen) == _fingerprint(unseen)


# --- every other role sees no household ----------------------------------------------------


@pytest.mark.parametrize("role", OTHER_ROLES, ids=str)
def test_other_roles_see_no_household(
    client: TestClient,
    token: Token,
    household: dict[str, Any],
    foreign: dict[str, Any],
    role: Role,
) -> None:
    # Even with municipalities, an organization and a member id in the token.
    headers = token(
        role,
        municipalities=("0193", "0148", "0363"),
        org=uuid.uuid4(),
        member=uuid.UUID(foreign["member"]["id"]),
    )
    listing = client.get(HOUSEHOLDS, headers=headers)
    assert listing.status_code == 200
    assert listing.json() == {"items": [], "nextCursor": None}
    for visible_elsewhere in (household, foreign):
        url = f"{HOUSEHOLDS}/{visible_elsewhere['id']}"
        answers = [
            client.get(url, headers=headers),
            client.get(f"{url}/members", headers=headers),
            client.patch(url, json={"name": "X"}, headers={**headers, "If-Match": '"1"'}),
        ]
        # The officer reads the access log of both, the resident their own household's plan:
        # to them it is no secret, and the refusal of its basic data is a 403 (decision 0037).
        known = role is Role.PRIVACY_OFFICER or (
            role is Role.RESIDENT and visible_elsewhere is foreign
        )
        for answer in answers:
            if known:
                assert answer.status_code == 403, answer.text
                assert answer.headers["content-type"] == PROBLEM
            else:
                assert_not_found(answer)
    opened = client.post(
        HOUSEHOLDS,
        json={
            "municipalityCode": "0193",
            "name": "Gezin Nieuw",
            "referralSource": "municipal_access",
        },
        headers=headers,
    )
    assert opened.status_code == 403
    assert opened.headers["content-type"] == PROBLEM


# --- the organization directory -------------------------------------------------------------


def test_admin_registers_an_organization(client: TestClient, admin: dict[str, str]) -> None:
    body = {"kind": "care_provider", "name": "Zorg B.V.", "agbCode": "12345678"}
    response = client.post(f"{API}/organizations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["agbCode"] == "12345678"


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN], ids=str)
def test_only_admin_registers_organizations(
    client: TestClient, token: Token, admin: dict[str, str], role: Role
) -> None:
    body = {"kind": "care_provider", "name": "Zorg B.V.", "agbCode": "12345678"}
    response = client.post(
        f"{API}/organizations", json=body, headers=token(role, municipalities=("0193",))
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 403
    listing = client.get(f"{API}/organizations", headers=admin).json()
    assert listing["items"] == [], "the refused registration stored nothing"


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_reads_the_directory(
    client: TestClient, token: Token, municipalities: list[str], role: Role
) -> None:
    headers = token(role)
    listing = client.get(f"{API}/organizations", headers=headers)
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [o["municipalityCode"] for o in items] == municipalities
    single = client.get(f"{API}/organizations/{items[0]['id']}", headers=headers)
    assert single.status_code == 200
    assert single.json() == items[0]


@pytest.mark.parametrize("roles", [(), ("other_application_role",)], ids=["none", "unknown"])
def test_a_token_without_a_known_role_cannot_read_the_directory(
    client: TestClient, token: Token, municipalities: list[str], roles: tuple[str, ...]
) -> None:
    headers = token(*roles)
    for url in (f"{API}/organizations", f"{API}/organizations/{uuid.uuid4()}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == PROBLEM


# --- the guard: a route added without the access module fails -------------------------------


def _app_with(router: APIRouter, settings: Settings) -> FastAPI:
    return create_app(settings, session_factory=sessionmaker(), extra_routers=(router,))


def test_a_route_without_an_access_rule_stops_the_app(settings: Settings) -> None:
    router = APIRouter()

    @router.get("/leaky/{household_id}")
    def leaky(household_id: uuid.UUID) -> str:
        return str(household_id)

    with pytest.raises(UnguardedRouteError, match=r"/api/v1/leaky/\{household_id\}"):
        _app_with(router, settings)


def test_authentication_alone_is_not_an_access_rule(settings: Settings) -> None:
    """Knowing who calls is not deciding what they may see."""
    router = APIRouter()

    @router.get("/who")
    def who(actor: CurrentActor) -> str:
        return actor.sub

    with pytest.raises(UnguardedRouteError, match="/api/v1/who"):
        _app_with(router, settings)


def test_a_route_through_the_access_module_is_accepted(settings: Settings) -> None:
    router = APIRouter()

    @router.get("/direct/{household_id}")
    def direct(household: VisibleHousehold) -> str:
        return household.name

    def nested(household: Annotated[Household, readable(Scope.BASIC)]) -> Household:
        return household

    @router.get("/nested/{household_id}")
    def via_nested(household: Annotated[Household, Depends(nested)]) -> str:
        return household.name

    @router.get("/declared/{household_id}", dependencies=[readable(Scope.BASIC)])
    def declared() -> str:
        return "ok"

    app = _app_with(router, settings)
    assert unguarded_routes(app, API) == []
    # Not vacuous: without the registered rules the guard reports exactly these routes too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(guard, "_RULES", set())
        reported = unguarded_routes(app, API)
    assert {
        "['GET'] /api/v1/direct/{household_id}",
        "['GET'] /api/v1/nested/{household_id}",
        "['GET'] /api/v1/declared/{household_id}",
    } <= set(reported)


def test_every_api_route_of_the_app_has_an_access_rule(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert unguarded_routes(app, API) == []
    # The guard must see every real route, including those of included routers.
    monkeypatch.setattr(guard, "_RULES", set())
    every_route = unguarded_routes(app, API)
    assert {
        "['GET'] /api/v1/me",
        "['GET'] /api/v1/health/live",
        "['POST'] /api/v1/households",
        "['GET'] /api/v1/households",
        "['PATCH'] /api/v1/households/{household_id}",
        "['POST'] /api/v1/households/{household_id}/reopen",
        "['DELETE'] /api/v1/households/{household_id}/members/{member_id}",
        "['POST'] /api/v1/organizations",
        "['GET'] /api/v1/worklist",
        "['GET'] /api/v1/worklist/team",
        "['GET'] /api/v1/indicators",
        "['GET'] /api/v1/indicators/{indicator_id}",
        "['PUT'] /api/v1/tariffs",
        "['GET'] /api/v1/tariffs",
    } <= set(every_route)
    assert len(every_route) >= 14


def test_the_app_refuses_to_start_when_a_real_route_loses_its_rule(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app itself runs the check: no route of the real API slips past it."""
    monkeypatch.setattr(guard, "_RULES", {readable(Scope.BASIC).dependency})
    with pytest.raises(UnguardedRouteError, match="/api/v1/organizations"):
        create_app(settings, session_factory=sessionmaker())


# --- the predicate itself, without a database ------------------------------------------------


def _actor(*roles: Role, municipalities: tuple[str, ...] = ()) -> Actor:
    return Actor(
        sub="unit",
        name="Unit",
        org=None,
        roles=frozenset(roles),
        municipalities=frozenset(municipalities),
    )


def _sql(actor: Actor, dialect: Dialect | None = None) -> str:
    predicate = visible_households(actor, Scope.BASIC)
    compiled = predicate.compile(
        dialect=dialect or POSTGRESQL, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def test_predicate_for_toegang_is_its_municipalities() -> None:
    """Its municipalities' households, as long as they are not erased (decision 0032)."""
    actor = _actor(Role.TOEGANG, municipalities=("0193", "0148"))
    expected = "households.erased_at IS NULL AND households.municipality_code IN ('0148', '0193')"
    assert _sql(actor) == expected
    assert (
        str(
            editable_households(actor, Scope.BASIC).compile(
                dialect=SQLITE, compile_kwargs={"literal_binds": True}
            )
        )
        == expected
    )


@pytest.mark.parametrize(
    "actor",
    [
        _actor(Role.TOEGANG),  # toegang without municipalities
        _actor(Role.ADMIN, municipalities=("0193",)),
        _actor(Role.MUNICIPAL_SYSTEM, municipalities=("0193",)),
        _actor(Role.POLICY, Role.PRIVACY_OFFICER, municipalities=("0193",)),
        _actor(municipalities=("0193",)),
        *[_actor(role, municipalities=("0193",)) for role in OTHER_ROLES],
    ],
    ids=lambda a: "+".join(sorted(a.roles)) or "no-role",
)
def test_predicate_without_toegang_matches_nothing(actor: Actor) -> None:
    assert _sql(actor) == "false"
    assert _sql(actor, SQLITE) == "0"
    assert str(editable_households(actor, Scope.BASIC).compile(dialect=POSTGRESQL)) == "false"
