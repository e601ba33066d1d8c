"""The plan: one per household, goals, actions and evaluations, all behind the plan's ETag."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from gezinsplan.events.models import Event
from gezinsplan.kit.clock import utcnow
from gezinsplan.plans.models import Goal, Plan
from tests.conftest import Clock, Directory

API = "/api/v1"
GOAL = {
    "lifeDomain": "housing",
    "description": "Een vaste woonplek.",
    "zrmStart": 1,
    "zrmTarget": 3,
}


@pytest.fixture
def base(household: dict[str, Any]) -> str:
    return f"{API}/households/{household['id']}/plan"


def etag(client: TestClient, base: str, headers: dict[str, str]) -> str:
    value: str = client.get(base, headers=headers).headers["etag"]
    return value


def add_goal(client: TestClient, base: str, headers: dict[str, str], **changes: Any) -> Any:
    response = client.post(f"{base}/goals", json=GOAL | changes, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_opening_a_household_creates_its_draft_plan_in_the_same_transaction(
    client: TestClient, toegang: dict[str, str], base: str, household: dict[str, Any]
) -> None:
    plan = client.get(base, headers=toegang)
    assert plan.status_code == 200
    assert plan.json() | {"id": None, "createdAt": None, "updatedAt": None} == {
        "id": None,
        "householdId": household["id"],
        "status": "draft",
        "familyWishes": None,
        "version": 1,
        "goals": [],
        "visibility": {
            "restricted": False,
            "categories": ["basic", "plan", "progress", "indications"],
            "lifeDomains": None,
        },
        "createdAt": None,
        "updatedAt": None,
        "approval": None,
    }


def test_the_database_allows_one_plan_per_household(
    connection: Connection, household: dict[str, Any]
) -> None:
    table = Plan.__table__  # type: ignore[attr-defined]
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "household_id": uuid.UUID(household["id"]),
        "status": "draft",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(table.insert(), [row])


@pytest.mark.parametrize("column", ["zrm_start", "zrm_target"])
@pytest.mark.parametrize("score", [0, 6])
def test_the_database_checks_zrm_scores(
    connection: Connection,
    client: TestClient,
    toegang: dict[str, str],
    base: str,
    column: str,
    score: int,
) -> None:
    plan_id = uuid.UUID(client.get(base, headers=toegang).json()["id"])
    table = Goal.__table__  # type: ignore[attr-defined]
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "plan_id": plan_id,
        "life_domain": "housing",
        "description": "x",
        "zrm_start": 3,
        "zrm_target": 3,
        "status": "open",
        "created_at": now,
        "updated_at": now,
    } | {column: score}
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(table.insert(), [row])


def test_every_change_raises_the_plan_version(
    client: TestClient, toegang: dict[str, str], base: str, household: dict[str, Any]
) -> None:
    versions = [client.get(base, headers=toegang).json()["version"]]
    goal = add_goal(client, base, toegang)
    versions.append(client.get(base, headers=toegang).json()["version"])
    steps = [
        ("patch", base, {"familyWishes": "Een eigen huis."}),
        ("patch", f"{base}/goals/{goal['id']}", {"status": "partly_achieved"}),
        (
            "post",
            f"{base}/goals/{goal['id']}/actions",
            {"description": "Inschrijven", "performer": "own_network", "performerName": "Oma"},
        ),
        ("post", f"{base}/evaluations", {"evaluatedOn": "2026-10-01", "summary": "Goed op weg."}),
    ]
    for method, path, body in steps:
        current = etag(client, base, toegang)
        response = getattr(client, method)(path, json=body, headers=toegang | {"If-Match": current})
        assert response.status_code in (200, 201), response.text
        assert response.headers["etag"] == f'"{int(current.strip(chr(34))) + 1}"'
        versions.append(client.get(base, headers=toegang).json()["version"])
    action_id = client.get(base, headers=toegang).json()["goals"][0]["actions"][0]["id"]
    done = client.patch(
        f"{base}/goals/{goal['id']}/actions/{action_id}",
        json={"done": True},
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    assert done.status_code == 200
    assert done.json()["done"] is True
    assert done.json()["doneAt"] is not None
    versions.append(client.get(base, headers=toegang).json()["version"])
    removed = client.delete(
        f"{base}/goals/{goal['id']}", headers=toegang | {"If-Match": etag(client, base, toegang)}
    )
    assert removed.status_code == 204
    versions.append(client.get(base, headers=toegang).json()["version"])
    assert versions == list(range(1, 9))
    assert client.get(base, headers=toegang).json()["goals"] == []


def test_a_stale_or_missing_etag_changes_nothing(
    client: TestClient, toegang: dict[str, str], base: str
) -> None:
    goal = add_goal(client, base, toegang)
    stale = '"1"'
    assert etag(client, base, toegang) == '"2"'
    for method, path, body in [
        ("patch", base, {"status": "active"}),
        ("patch", f"{base}/goals/{goal['id']}", {"zrmTarget": 5}),
        ("post", f"{base}/goals", GOAL),
        ("post", f"{base}/evaluations", {"evaluatedOn": "2026-10-01"}),
    ]:
        response = getattr(client, method)(path, json=body, headers=toegang | {"If-Match": stale})
        assert response.status_code == 412, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    missing = client.patch(f"{base}/goals/{goal['id']}", json={"zrmTarget": 5}, headers=toegang)
    assert missing.status_code == 428
    gone = client.delete(f"{base}/goals/{goal['id']}", headers=toegang)
    assert gone.status_code == 428
    plan = client.get(base, headers=toegang).json()
    assert (plan["version"], plan["status"], len(plan["goals"])) == (2, "draft", 1)
    assert plan["goals"][0]["zrmTarget"] == 3


@pytest.mark.parametrize(
    ("path", "to", "expected"),
    [
        ([], "evaluating", 409),
        (["active"], "evaluating", 200),
        (["active", "closed"], "evaluating", 409),
        (["active", "closed"], "active", 200),
        (["closed"], "draft", 409),
    ],
)
def test_the_plan_status_moves_along_its_lifecycle(
    client: TestClient, toegang: dict[str, str], base: str, path: list[str], to: str, expected: int
) -> None:
    for status in path:
        response = client.patch(
            base,
            json={"status": status},
            headers=toegang | {"If-Match": etag(client, base, toegang)},
        )
        assert response.status_code == 200, response.text
    response = client.patch(
        base, json={"status": to}, headers=toegang | {"If-Match": etag(client, base, toegang)}
    )
    assert response.status_code == expected, response.text


def test_a_closed_plan_takes_no_new_content(
    client: TestClient, toegang: dict[str, str], base: str
) -> None:
    goal = add_goal(client, base, toegang)
    closed = client.patch(
        base, json={"status": "closed"}, headers=toegang | {"If-Match": etag(client, base, toegang)}
    )
    assert closed.status_code == 200
    assert client.post(f"{base}/goals", json=GOAL, headers=toegang).status_code == 409
    edit = client.patch(
        f"{base}/goals/{goal['id']}",
        json={"status": "achieved"},
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    assert edit.status_code == 409
    assert client.get(base, headers=toegang).json()["goals"][0]["status"] == "open"


def test_an_evaluated_goal_is_cancelled_not_deleted(
    client: TestClient, toegang: dict[str, str], base: str
) -> None:
    kept = add_goal(client, base, toegang)
    dropped = add_goal(client, base, toegang, lifeDomain="justice")
    evaluation = client.post(
        f"{base}/evaluations",
        json={
            "evaluatedOn": "2026-10-01",
            "outcomes": [{"goalId": kept["id"], "outcome": "adjust"}],
        },
        headers=toegang,
    )
    assert evaluation.status_code == 201, evaluation.text
    refused = client.delete(
        f"{base}/goals/{kept['id']}", headers=toegang | {"If-Match": etag(client, base, toegang)}
    )
    assert refused.status_code == 409
    before = etag(client, base, toegang)
    deleted = client.delete(f"{base}/goals/{dropped['id']}", headers=toegang | {"If-Match": before})
    assert deleted.status_code == 204
    assert deleted.headers["etag"] == f'"{int(before.strip(chr(34))) + 1}"'
    assert [g["id"] for g in client.get(base, headers=toegang).json()["goals"]] == [kept["id"]]
    assert client.get(f"{base}/goals/{dropped['id']}", headers=toegang).status_code == 404
    read = client.get(evaluation.headers["location"], headers=toegang)
    assert read.status_code == 200
    assert read.json()["outcomes"] == [{"goalId": kept["id"], "outcome": "adjust", "note": None}]


def test_actions_name_a_performer_that_exists_here(
    client: TestClient,
    toegang: dict[str, str],
    base: str,
    household: dict[str, Any],
    directory: Directory,
) -> None:
    goal = add_goal(client, base, toegang)
    other = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0193",
            "name": "Gezin Anders",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    ).json()
    stranger = client.post(
        f"{API}/households/{other['id']}/members",
        json={
            "givenName": "Piet",
            "familyName": "Anders",
            "birthDate": "1980-01-01",
            "relation": "parent",
        },
        headers=toegang,
    ).json()
    actions = f"{base}/goals/{goal['id']}/actions"
    cases = [
        ({"performer": "member"}, 422),
        ({"performer": "member", "performerMemberId": stranger["id"]}, 422),
        ({"performer": "organization"}, 422),
        ({"performer": "organization", "performerOrganizationId": str(uuid.uuid4())}, 422),
        ({"performer": "own_network", "performerOrganizationId": directory.debt_help}, 422),
        ({"performer": "magician"}, 422),
        ({"performer": "organization", "performerOrganizationId": directory.debt_help}, 201),
    ]
    for body, status in cases:
        response = client.post(actions, json={"description": "Stap"} | body, headers=toegang)
        assert response.status_code == status, (body, response.text)
    created = response.json()
    assert client.get(response.headers["location"], headers=toegang).json() == created
    switched = client.patch(
        f"{actions}/{created['id']}",
        json={"performer": "professional", "performerName": "Schuldhulpverlener"},
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    assert switched.status_code == 422  # the organization id no longer fits the performer
    fixed = client.patch(
        f"{actions}/{created['id']}",
        json={
            "performer": "professional",
            "performerName": "Schuldhulpverlener",
            "performerOrganizationId": None,
        },
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["performer"], fixed.json()["performerOrganizationId"]) == (
        "professional",
        None,
    )
    for unknown in (str(uuid.uuid4()), stranger["id"]):
        moved = client.patch(
            f"{actions}/{created['id']}",
            json={"performer": "member", "performerMemberId": unknown, "performerName": None},
            headers=toegang | {"If-Match": etag(client, base, toegang)},
        )
        assert moved.status_code == 422, moved.text  # not a foreign-key error
        assert moved.json()["invalidParams"][0]["name"] == "body:performerMemberId"


@pytest.mark.parametrize(
    "body",
    [
        {"evaluatedOn": timedelta(days=1)},  # days from today
        {
            "evaluatedOn": "2026-10-01",
            "outcomes": [{"goalId": str(uuid.uuid4()), "outcome": "stop"}],
        },
        {
            "evaluatedOn": "2026-10-01",
            "scores": [
                {"lifeDomain": "housing", "score": 2},
                {"lifeDomain": "housing", "score": 3},
            ],
        },
        {"evaluatedOn": "2026-10-01", "scores": [{"lifeDomain": "housing", "score": 6}]},
        {"evaluatedOn": "2026-10-01", "id": str(uuid.uuid4())},
    ],
)
def test_a_bad_evaluation_is_refused_and_stores_nothing(
    client: TestClient, toegang: dict[str, str], base: str, clock: Clock, body: dict[str, Any]
) -> None:
    body = {
        name: (clock.today() + value).isoformat() if isinstance(value, timedelta) else value
        for name, value in body.items()
    }
    response = client.post(f"{base}/evaluations", json=body, headers=toegang)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{base}/evaluations", headers=toegang).json()["items"] == []
    assert client.get(base, headers=toegang).json()["version"] == 1


def test_a_goal_of_another_household_is_not_found(
    client: TestClient, toegang: dict[str, str], base: str
) -> None:
    other = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0193",
            "name": "Gezin Anders",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    ).json()
    other_base = f"{API}/households/{other['id']}/plan"
    goal = add_goal(client, other_base, toegang)
    assert client.get(f"{base}/goals/{goal['id']}", headers=toegang).status_code == 404
    response = client.patch(
        f"{base}/goals/{goal['id']}",
        json={"zrmTarget": 5},
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    assert response.status_code == 404


def test_plan_changes_leave_events_with_ids_only(
    client: TestClient,
    toegang: dict[str, str],
    base: str,
    household: dict[str, Any],
    connection: Connection,
) -> None:
    goal = add_goal(client, base, toegang)
    client.patch(
        f"{base}/goals/{goal['id']}",
        json={"description": "Geheime omschrijving"},
        headers=toegang | {"If-Match": etag(client, base, toegang)},
    )
    rows = connection.execute(
        select(Event.type, Event.resource_id)
        .where(col(Event.household_id) == uuid.UUID(household["id"]))
        .order_by(col(Event.seq))
    ).all()
    types = [row.type for row in rows]
    assert types == ["household.opened", "plan.created", "goal.added", "goal.updated"]
    assert rows[-1].resource_id == uuid.UUID(goal["id"])
