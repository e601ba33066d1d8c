"""403 where it is honest, 404 where it protects (issue 20 point 4, decision 0037).

A caller who reads some part of a household is told which refused part or change it lacks,
and why; anyone else, a care provider of a restricted household included, gets the very 404
of an id that does not exist.
"""

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gezinsplan.errors import PROBLEM_BASE
from tests.conftest import Directory, Token
from tests.test_restrictions import officer, restrict  # noqa: F401 - fixture
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures

Headers = dict[str, str]
# Headers that differ per request by design; everything else must match byte for byte.
PER_REQUEST = frozenset({"date", "x-request-id", "traceparent"})


def _refused(response: httpx.Response, slug: str, *words: str) -> str:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug
    detail: str = body["detail"]
    for word in words:
        assert word in detail, detail
    return detail


def _fingerprint(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, headers, response.content


def _etag(client: TestClient, url: str, headers: Headers) -> str:
    value: str = client.get(url, headers=headers).headers["etag"]
    return value


@pytest.fixture
def resident(token: Token, case: Case) -> Headers:  # noqa: F811
    return token("resident", member=uuid.UUID(case.parent["id"]), sub="sanne")


def test_a_care_provider_with_a_basic_only_consent_reading_the_plan_is_told_the_category(
    client: TestClient,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
) -> None:
    give(client, case, directory, toegang, categories=["basic"], lifeDomains=[])
    assert client.get(case.base, headers=carla).status_code == 200
    plan = client.get(f"{case.base}/plan", headers=carla)
    _refused(plan, "consent-missing", "consent", "'plan'")
    assert plan.headers["link"] == '</api/v1/problems/consent-missing>; rel="describedby"'
    goal = client.get(f"{case.base}/plan/goals/{case.finances['id']}", headers=carla)
    _refused(goal, "consent-missing", "'plan'")
    _refused(client.get(f"{case.base}/progress", headers=carla), "consent-missing", "'progress'")


def test_a_care_provider_changing_the_plan_is_told_it_only_reads(
    client: TestClient,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
) -> None:
    give(client, case, directory, toegang)  # basic and plan
    version = _etag(client, f"{case.base}/plan", carla)
    response = client.patch(
        f"{case.base}/plan", json={"status": "active"}, headers=carla | {"If-Match": version}
    )
    _refused(response, "read-only", "Care providers", "regisseur")
    goal = client.patch(
        f"{case.base}/plan/goals/{case.finances['id']}", json={"zrmTarget": 5}, headers=carla
    )
    _refused(goal, "read-only", "Care providers")


def test_a_resident_changing_a_goal_is_pointed_to_the_familys_statement(
    client: TestClient,
    case: Case,  # noqa: F811
    resident: Headers,
) -> None:
    assert client.get(f"{case.base}/plan", headers=resident).status_code == 200
    goal = client.patch(
        f"{case.base}/plan/goals/{case.finances['id']}", json={"zrmTarget": 5}, headers=resident
    )
    _refused(goal, "read-only", "Residents cannot change the plan", "statement")
    # A goal id the household does not hold is refused alike: the refusal is of the change.
    missing = client.patch(
        f"{case.base}/plan/goals/{uuid.uuid4()}", json={"zrmTarget": 5}, headers=resident
    )
    assert missing.json()["detail"] == goal.json()["detail"]
    # Residents do not read the basic data here: a read refusal, not a 404.
    _refused(client.get(case.base, headers=resident), "forbidden", "Residents")


STRANGER_REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("GET", "/plan", None),
    ("GET", "/progress", None),
    ("GET", "/consents", None),
    ("PATCH", "/plan/goals/{goal}", {"zrmTarget": 5}),
    ("POST", "/plan/goals", {"lifeDomain": "finances", "description": "X"}),
]


def _assert_like_nowhere(client: TestClient, case: Case, headers: Headers) -> None:  # noqa: F811
    """Every request answers exactly as the same request on an id that does not exist."""
    household = case.base.rsplit("/", 1)[1]
    nowhere = case.base.replace(household, str(uuid.uuid4()))
    for method, suffix, body in STRANGER_REQUESTS:
        path = suffix.format(goal=case.finances["id"])
        seen = client.request(method, case.base + path, json=body, headers=headers)
        random = client.request(method, nowhere + path, json=body, headers=headers)
        assert seen.status_code == 404, (method, path, seen.text)
        assert _fingerprint(seen) == _fingerprint(random), (method, path)


def test_strangers_get_the_404_of_no_household(
    client: TestClient,
    token: Token,
    case: Case,  # noqa: F811
    directory: Directory,
) -> None:
    amsterdam = token("toegang", municipalities=("0363",), org=uuid.uuid4(), sub="ams")
    youth_care = token("care_provider", org=uuid.UUID(directory.youth_care), sub="yara")
    _assert_like_nowhere(client, case, amsterdam)
    _assert_like_nowhere(client, case, youth_care)


def test_a_care_provider_of_a_restricted_household_gets_the_404_of_no_household(
    client: TestClient,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
    officer: Headers,  # noqa: F811
) -> None:
    give(client, case, directory, toegang, categories=["basic"], lifeDomains=[])
    assert client.get(f"{case.base}/plan", headers=carla).status_code == 403
    restrict(client, case, officer)
    _assert_like_nowhere(client, case, carla)
