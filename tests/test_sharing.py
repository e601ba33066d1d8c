"""Care-provider access: an active care-provider role and a valid consent, per category.

Inside the plan a care provider sees only the goals, outcomes and scores in the life domains
its consent names, and the response says so in its ``visibility``.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"


@dataclass
class Case:
    """A household with a parent, two goals in two domains, an action each, an evaluation."""

    base: str
    parent: dict[str, Any]
    finances: dict[str, Any]
    parenting: dict[str, Any]
    evaluation: dict[str, Any]


def _goal(client: TestClient, base: str, headers: dict[str, str], domain: str) -> Any:
    body = {"lifeDomain": domain, "description": f"Doel {domain}", "zrmStart": 2, "zrmTarget": 4}
    goal = client.post(f"{base}/plan/goals", json=body, headers=headers)
    assert goal.status_code == 201, goal.text
    action = client.post(
        f"{base}/plan/goals/{goal.json()['id']}/actions",
        json={"description": f"Stap {domain}", "performer": "professional"},
        headers=headers,
    )
    assert action.status_code == 201, action.text
    return goal.json() | {"actionId": action.json()["id"]}


@pytest.fixture
def case(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    clock: Clock,
) -> Case:
    base = f"{API}/households/{household['id']}"
    parent = add_member(client, household["id"], toegang)
    finances = _goal(client, base, toegang, "finances")
    parenting = _goal(client, base, toegang, "parenting")
    evaluation = client.post(
        f"{base}/plan/evaluations",
        json={
            "evaluatedOn": (clock.today() - timedelta(days=1)).isoformat(),
            "outcomes": [
                {"goalId": finances["id"], "outcome": "continue"},
                {"goalId": parenting["id"], "outcome": "continue"},
            ],
            "scores": [
                {"lifeDomain": "finances", "score": 2},
                {"lifeDomain": "parenting", "score": 3},
            ],
        },
        headers=toegang,
    )
    assert evaluation.status_code == 201, evaluation.text
    role = client.post(
        f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang
    )
    assert role.status_code == 201, role.text
    return Case(base, parent, finances, parenting, evaluation.json())


@pytest.fixture
def carla(token: Token, directory: Directory) -> dict[str, str]:
    """A professional of the debt-help organization, which works on the household."""
    return token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")


def give(
    client: TestClient, case: Case, directory: Directory, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    response = client.post(
        f"{case.base}/consents",
        json=consent_body(directory, case.parent, **changes),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    consent: dict[str, Any] = response.json()
    return consent


def test_a_consent_limited_to_a_domain_shows_only_that_domain(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    give(client, case, directory, toegang)  # basic and plan, finances only
    plan = client.get(f"{case.base}/plan", headers=carla)
    assert plan.status_code == 200, plan.text
    assert [g["id"] for g in plan.json()["goals"]] == [case.finances["id"]]
    assert plan.json()["visibility"] == {
        "restricted": True,
        "categories": ["basic", "plan"],
        "lifeDomains": ["finances"],
    }
    hidden = case.parenting
    for path in (
        f"/plan/goals/{hidden['id']}",
        f"/plan/goals/{hidden['id']}/actions/{hidden['actionId']}",
    ):
        assert client.get(case.base + path, headers=carla).status_code == 404, path
    shown = client.get(f"{case.base}/plan/goals/{case.finances['id']}", headers=carla)
    assert shown.status_code == 200
    evaluation = client.get(
        f"{case.base}/plan/evaluations/{case.evaluation['id']}", headers=carla
    ).json()
    assert [o["goalId"] for o in evaluation["outcomes"]] == [case.finances["id"]]
    assert [s["lifeDomain"] for s in evaluation["scores"]] == ["finances"]
    assert evaluation["visibility"]["lifeDomains"] == ["finances"]
    assert "parenting" not in plan.text + str(evaluation)
    assert client.get(case.base, headers=carla).status_code == 200


def test_the_whole_file_shows_unrestricted(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    full = client.get(f"{case.base}/plan", headers=toegang).json()
    assert len(full["goals"]) == 2
    assert full["visibility"] == {
        "restricted": False,
        "categories": ["basic", "plan", "progress", "indications"],
        "lifeDomains": None,
    }
    give(client, case, directory, toegang, lifeDomains=[])
    unlimited = client.get(f"{case.base}/plan", headers=carla).json()
    assert len(unlimited["goals"]) == 2
    assert unlimited["visibility"]["lifeDomains"] is None
    assert unlimited["visibility"]["restricted"] is False


def test_each_category_needs_its_own_consent(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    paths = {"basic": "", "plan": "/plan", "roles": "/roles", "members": "/members"}
    assert {k: client.get(case.base + p, headers=carla).status_code for k, p in paths.items()} == (
        dict.fromkeys(paths, 404)
    )
    give(client, case, directory, toegang, categories=["basic"])
    seen = {k: client.get(case.base + p, headers=carla).status_code for k, p in paths.items()}
    # The household is no secret to carla now: the plan is refused for want of consent.
    assert seen == {"basic": 200, "plan": 403, "roles": 200, "members": 200}
    give(client, case, directory, toegang, categories=["plan"])
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 200


def test_withdrawing_a_consent_hides_the_data_on_the_next_request(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    consent = give(client, case, directory, toegang)
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 200
    withdrawn = client.post(f"{case.base}/consents/{consent['id']}/withdraw", headers=toegang)
    assert withdrawn.status_code == 200
    after = client.get(f"{case.base}/plan", headers=carla)
    nowhere = client.get(f"{API}/households/{uuid.uuid4()}/plan", headers=carla)
    assert (after.status_code, after.content) == (nowhere.status_code, nowhere.content)


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [(-30, -1), (1, None), (1, 30)],
    ids=["expired", "not yet valid", "starts tomorrow"],
)
def test_a_consent_outside_its_dates_shows_nothing(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
    valid_from: int,
    valid_until: int | None,
    clock: Clock,
) -> None:
    today = clock.today()
    give(
        client,
        case,
        directory,
        toegang,
        validFrom=(today + timedelta(days=valid_from)).isoformat(),
        validUntil=None
        if valid_until is None
        else (today + timedelta(days=valid_until)).isoformat(),
    )
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 404
    assert client.get(case.base, headers=carla).status_code == 404


def test_a_consent_without_the_role_or_for_another_organization_shows_nothing(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    give(client, case, directory, toegang, granteeOrganizationId=directory.youth_care)
    bart = token("care_provider", org=uuid.UUID(directory.youth_care), sub="bart")
    assert client.get(f"{case.base}/plan", headers=bart).status_code == 404  # no role
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 404  # no consent
    give(client, case, directory, toegang)
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 200
    role = next(
        r
        for r in client.get(f"{case.base}/roles", headers=toegang).json()["items"]
        if r["organizationId"] == directory.debt_help
    )
    assert client.delete(f"{case.base}/roles/{role['id']}", headers=toegang).status_code == 204
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 404


def test_a_care_provider_reads_but_does_not_change(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    give(client, case, directory, toegang, lifeDomains=[])
    plan = client.get(f"{case.base}/plan", headers=carla)
    etag = plan.headers["etag"]
    writes = [
        ("patch", "/plan", {"familyWishes": "x"}),
        (
            "post",
            "/plan/goals",
            {"lifeDomain": "finances", "description": "x", "zrmStart": 1, "zrmTarget": 2},
        ),
        ("patch", f"/plan/goals/{case.finances['id']}", {"description": "x"}),
        ("patch", "", {"name": "x"}),
        (
            "post",
            "/members",
            {"givenName": "X", "familyName": "Y", "birthDate": "1990-01-01", "relation": "other"},
        ),
        ("post", "/consents", consent_body(directory, case.parent)),
    ]
    for method, path, body in writes:
        response = client.request(
            method, case.base + path, json=body, headers=carla | {"If-Match": etag}
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["type"] == "urn:gezinsplan:problem:read-only"
    assert client.get(f"{case.base}/plan", headers=toegang).headers["etag"] == etag


def test_a_care_provider_sees_only_the_consents_given_to_its_organization(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    own = give(client, case, directory, toegang)
    other = give(client, case, directory, toegang, granteeOrganizationId=directory.youth_care)
    listed = client.get(f"{case.base}/consents", headers=carla).json()["items"]
    assert [c["id"] for c in listed] == [own["id"]]
    assert client.get(f"{case.base}/consents/{other['id']}", headers=carla).status_code == 404
    assert len(client.get(f"{case.base}/consents", headers=toegang).json()["items"]) == 2


def test_household_lists_and_search_show_only_consented_households(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,
    directory: Directory,
    carla: dict[str, str],
) -> None:
    assert client.get(f"{API}/households", headers=carla).json()["items"] == []
    give(client, case, directory, toegang, categories=["plan"])
    assert client.get(f"{API}/households?q=Jansen", headers=carla).json()["items"] == []
    give(client, case, directory, toegang, categories=["basic"])
    found = client.get(f"{API}/households?q=Jansen", headers=carla).json()["items"]
    assert [h["id"] for h in found] == [case.base.rsplit("/", 1)[1]]
