"""Plan versions: every change keeps the plan as it then is; each version, the list and the
diffs read back exactly, and a care provider sees only its life domains in every one."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.plans.models import PlanVersion
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"
ORG = uuid.UUID("7d7f3c2e-0000-4000-8000-000000000001")
FULL = {
    "restricted": False,
    "categories": ["basic", "plan", "progress", "indications"],
    "lifeDomains": None,
}
NOTHING = {"added": [], "removed": [], "changed": []}
VERSION_ONLY = {"evaluations", "changedAt", "changedBy"}

Headers = dict[str, str]


@pytest.fixture
def wim(token: Token) -> Headers:
    """An access-team worker of Zwolle with a known organization, who makes every change."""
    return token("toegang", municipalities=("0193",), org=ORG, sub="wim")


@pytest.fixture
def base(household: dict[str, Any]) -> str:
    return f"{API}/households/{household['id']}/plan"


def send(client: TestClient, method: str, url: str, headers: Headers, body: Any = None) -> Any:
    """A change with the plan's current ETag."""
    plan_url = url[: url.index("/plan") + len("/plan")]
    etag = client.get(plan_url, headers=headers).headers["etag"]
    response = client.request(method, url, json=body, headers=headers | {"If-Match": etag})
    assert response.status_code in {200, 201, 204}, response.text
    return response.json() if response.content else None


@dataclass
class Seen:
    """The plan read and the evaluation list right after one change."""

    plan: dict[str, Any]
    evaluations: list[dict[str, Any]]


def capture(client: TestClient, base: str, headers: Headers) -> Seen:
    """The plan and its evaluations as read now, without the family's statements: those are
    read with them but are no part of the professionals' versions (decision 0031)."""
    plan = client.get(base, headers=headers).json()
    evaluations = client.get(f"{base}/evaluations", headers=headers).json()["items"]
    assert all(g.pop("familyStatements") == [] for g in plan["goals"])
    assert all(e.pop("familyStatements") == [] for e in evaluations)
    return Seen(plan, evaluations)


def without(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in keys}


def diff(n: int, **parts: Any) -> dict[str, Any]:
    return {
        "version": n,
        "against": n - 1,
        "plan": parts.get("plan", []),
        "goals": NOTHING | parts.get("goals", {}),
        "actions": NOTHING | parts.get("actions", {}),
        "evaluations": NOTHING | parts.get("evaluations", {}),
        "visibility": FULL,
    }


def change(field: str, before: Any, after: Any) -> dict[str, Any]:
    return {"field": field, "from": before, "to": after}


def test_every_version_and_every_diff_reads_back_exactly(
    client: TestClient, wim: Headers, base: str, clock: Clock
) -> None:
    seen = {1: capture(client, base, wim)}

    def step(method: str, path: str, body: Any = None) -> Any:
        result = send(client, method, base + path, wim, body)
        seen[len(seen) + 1] = capture(client, base, wim)
        return result

    step("PATCH", "", {"status": "active"})
    step("PATCH", "", {"familyWishes": "Rust in huis."})
    goal = {"lifeDomain": "finances", "description": "Betaalplan.", "zrmStart": 2, "zrmTarget": 4}
    first = step("POST", "/goals", goal)["id"]
    second = step("POST", "/goals", goal | {"lifeDomain": "parenting", "description": "Rust."})[
        "id"
    ]
    step("PATCH", f"/goals/{first}", {"description": "Een betaalplan.", "zrmTarget": 5})
    action = step(
        "POST",
        f"/goals/{first}/actions",
        {"description": "Bellen.", "performer": "own_network", "performerName": "Oma"},
    )["id"]
    step("PATCH", f"/goals/{first}/actions/{action}", {"done": True})
    step("DELETE", f"/goals/{second}")
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    step(
        "POST",
        "/evaluations",
        {
            "evaluatedOn": yesterday,
            "summary": "Goed op weg.",
            "outcomes": [{"goalId": first, "outcome": "partly_achieved"}],
            "scores": [{"lifeDomain": "finances", "score": 3}],
        },
    )
    assert [seen[n].plan["version"] for n in seen] == list(range(1, 11))

    for n, then in seen.items():
        read = client.get(f"{base}/versions/{n}", headers=wim)
        assert read.status_code == 200, read.text
        assert without(read.json(), *VERSION_ONLY) == without(then.plan, "approval"), n
        assert read.json()["evaluations"] == then.evaluations, n
        by = read.json()["changedBy"]
        # The household's opener made version 1; wim every other.
        assert by["name"] == ("Test tester" if n == 1 else "Test wim"), n
        assert (by["organizationId"] == str(ORG)) is (n > 1), n
        assert read.json()["changedAt"] == then.plan["updatedAt"], n

    def goal_at(n: int, goal_id: str) -> dict[str, Any]:
        return next(g for g in seen[n].plan["goals"] if g["id"] == goal_id)

    def action_at(n: int) -> dict[str, Any]:
        found: dict[str, Any] = goal_at(n, first)["actions"][0]
        return found

    done_at = action_at(8)["doneAt"]
    evaluation = without(seen[10].evaluations[0], "visibility")
    expected = {
        2: diff(2, plan=[change("status", "draft", "active")]),
        3: diff(3, plan=[change("familyWishes", None, "Rust in huis.")]),
        4: diff(4, goals={"added": [goal_at(4, first)]}),
        5: diff(5, goals={"added": [goal_at(5, second)]}),
        6: diff(
            6,
            goals={
                "changed": [
                    {
                        "id": first,
                        "fields": [
                            change("description", "Betaalplan.", "Een betaalplan."),
                            change("zrmTarget", 4, 5),
                        ],
                    }
                ]
            },
        ),
        7: diff(7, actions={"added": [action_at(7)]}),
        8: diff(
            8,
            actions={
                "changed": [
                    {
                        "id": action,
                        "fields": [change("done", False, True), change("doneAt", None, done_at)],
                    }
                ]
            },
        ),
        9: diff(9, goals={"removed": [goal_at(8, second)]}),
        10: diff(10, evaluations={"added": [evaluation]}),
    }
    for n, wanted in expected.items():
        answer = client.get(f"{base}/versions/{n}/diff", headers=wim)
        assert answer.status_code == 200, answer.text
        assert answer.json() == wanted, n

    entries = read_all_entries(client, f"{base}/versions", wim, limit=3)
    assert [entry["version"] for entry in entries] == list(range(10, 0, -1))
    plan_id = seen[1].plan["id"]
    assert {entry["version"]: entry["changes"] for entry in entries} == {
        10: [{"resourceType": "evaluation", "id": evaluation["id"], "change": "added"}],
        9: [{"resourceType": "goal", "id": second, "change": "removed"}],
        8: [{"resourceType": "action", "id": action, "change": "changed"}],
        7: [{"resourceType": "action", "id": action, "change": "added"}],
        6: [{"resourceType": "goal", "id": first, "change": "changed"}],
        5: [{"resourceType": "goal", "id": second, "change": "added"}],
        4: [{"resourceType": "goal", "id": first, "change": "added"}],
        3: [{"resourceType": "plan", "id": plan_id, "change": "changed"}],
        2: [{"resourceType": "plan", "id": plan_id, "change": "changed"}],
        1: [{"resourceType": "plan", "id": plan_id, "change": "added"}],
    }
    assert [entry["changedBy"]["name"] for entry in entries] == ["Test wim"] * 9 + ["Test tester"]

    # Any two versions compare, either way round.
    back = client.get(f"{base}/versions/3/diff", params={"against": 10}, headers=wim).json()
    assert back["goals"]["removed"] == [goal_at(10, first)]
    assert back["evaluations"]["removed"] == [evaluation]


def read_all_entries(client: TestClient, url: str, headers: Headers, limit: int) -> list[Any]:
    entries: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=headers)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= limit
        entries += page.json()["items"]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            return entries


def test_missing_versions_are_404_and_bad_comparisons_422(
    client: TestClient, wim: Headers, base: str
) -> None:
    send(client, "PATCH", base, wim, {"familyWishes": "Rust."})
    for path, params in (
        ("/versions/3", {}),
        ("/versions/3/diff", {}),
        ("/versions/2/diff", {"against": 3}),
        ("/versions/1/diff", {}),
    ):
        response = client.get(base + path, params=params, headers=wim)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    for path, params in (
        ("/versions/2/diff", {"against": 2}),
        ("/versions/0", {}),
        ("/versions/x", {}),
        ("/versions/2/diff", {"against": "x"}),
        ("/versions", {"cursor": "bm9wZQ"}),
    ):
        response = client.get(base + path, params=params, headers=wim)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{base}/versions/2/diff", params={"against": 1}, headers=wim).json()[
        "plan"
    ] == [change("familyWishes", None, "Rust.")]


# --- every plan-changing route keeps a version ------------------------------------------------

PLAN = f"{API}/households/{{household_id}}/plan"


def plan_changing_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every write under the plan but approvals and progress reports, which do not change it."""
    return {
        (method, route.path or "")
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        and (route.path or "").startswith(PLAN)
        and not (route.path or "").startswith(f"{PLAN}/approvals")
        and not (route.path or "").endswith("/progress")
        for method in route.methods or ()
        if method != "GET"
    }


def kept_versions(connection: Connection, plan_id: str) -> list[int]:
    statement = (
        select(col(PlanVersion.version))
        .where(col(PlanVersion.plan_id) == uuid.UUID(plan_id))
        .order_by(col(PlanVersion.version))
    )
    return list(connection.scalars(statement))


def test_every_plan_changing_route_keeps_a_new_version(
    app: FastAPI, client: TestClient, connection: Connection, wim: Headers, base: str, clock: Clock
) -> None:
    plan_id = client.get(base, headers=wim).json()["id"]
    ids: dict[str, str] = {}
    goal = {"lifeDomain": "housing", "description": "Woning.", "zrmStart": 1, "zrmTarget": 3}
    steps: list[tuple[str, str, Callable[[], Any]]] = [
        ("PATCH", "", lambda: {"status": "active"}),
        ("POST", "/goals", lambda: goal),
        ("PATCH", "/goals/{goal_id}", lambda: {"zrmTarget": 4}),
        (
            "POST",
            "/goals/{goal_id}/actions",
            lambda: {"description": "Bellen.", "performer": "professional"},
        ),
        ("PATCH", "/goals/{goal_id}/actions/{action_id}", lambda: {"done": True}),
        ("POST", "/evaluations", lambda: {"evaluatedOn": clock.today().isoformat()}),
        ("DELETE", "/goals/{goal_id}", lambda: None),
    ]
    assert {(method, PLAN + path) for method, path, _ in steps} == plan_changing_routes(app)
    assert kept_versions(connection, plan_id) == [1]
    for method, path, body in steps:
        result = send(client, method, base + path.format(**ids), wim, body())
        if method == "POST" and path == "/goals":
            ids["goal_id"] = result["id"]
        if path.endswith("/actions"):
            ids["action_id"] = result["id"]
        version = client.get(base, headers=wim).json()["version"]
        assert kept_versions(connection, plan_id) == list(range(1, version + 1)), (method, path)
        assert client.get(f"{base}/versions/{version}", headers=wim).status_code == 200


def test_a_refused_change_keeps_no_version(
    client: TestClient, connection: Connection, wim: Headers, base: str
) -> None:
    plan_id = client.get(base, headers=wim).json()["id"]
    stale = client.patch(base, json={"status": "active"}, headers=wim | {"If-Match": '"7"'})
    assert stale.status_code == 412
    illegal = client.patch(base, json={"status": "evaluating"}, headers=wim | {"If-Match": '"1"'})
    assert illegal.status_code == 409
    assert kept_versions(connection, plan_id) == [1]


# --- a care provider sees only its life domains, in every version, entry and diff --------------


def test_a_care_provider_sees_no_hidden_goal_in_any_version_entry_or_diff(
    client: TestClient,
    wim: Headers,
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    base: str,
    clock: Clock,
) -> None:
    home = f"{API}/households/{household['id']}"
    parent = add_member(client, household["id"], wim)
    role = client.post(f"{home}/roles", json={"organizationId": directory.debt_help}, headers=wim)
    assert role.status_code == 201, role.text
    given = client.post(f"{home}/consents", json=consent_body(directory, parent), headers=wim)
    assert given.status_code == 201, given.text  # basic and plan, finances only
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")

    def goal(domain: str, text: str) -> str:
        body = {"lifeDomain": domain, "description": text, "zrmStart": 2, "zrmTarget": 4}
        created: str = send(client, "POST", f"{base}/goals", wim, body)["id"]
        return created

    shown = goal("finances", "SHOWN-goal")
    hidden = goal("parenting", "HIDDEN-goal")
    send(client, "PATCH", f"{base}/goals/{hidden}", wim, {"description": "HIDDEN-edited"})
    hidden_action = send(
        client,
        "POST",
        f"{base}/goals/{hidden}/actions",
        wim,
        {"description": "HIDDEN-action", "performer": "own_network", "performerName": "HIDDEN"},
    )["id"]
    send(
        client,
        "POST",
        f"{base}/goals/{shown}/actions",
        wim,
        {"description": "SHOWN-action", "performer": "professional"},
    )
    send(
        client,
        "POST",
        f"{base}/evaluations",
        wim,
        {
            "evaluatedOn": (clock.today() - timedelta(days=1)).isoformat(),
            "outcomes": [
                {"goalId": shown, "outcome": "continue", "note": "SHOWN-note"},
                {"goalId": hidden, "outcome": "continue", "note": "HIDDEN-note"},
            ],
            "scores": [
                {"lifeDomain": "finances", "score": 2},
                {"lifeDomain": "parenting", "score": 3},
            ],
        },
    )
    current = client.get(base, headers=wim).json()["version"]
    assert current == 7
    secrets = ("HIDDEN", hidden, hidden_action, "parenting")

    texts = []
    for n in range(1, current + 1):
        read = client.get(f"{base}/versions/{n}", headers=carla)
        assert read.status_code == 200, read.text
        assert read.json()["visibility"]["lifeDomains"] == ["finances"]
        texts.append(read.text)
        if n > 1:
            compared = client.get(f"{base}/versions/{n}/diff", headers=carla)
            assert compared.status_code == 200, compared.text
            texts.append(compared.text)
    entries = read_all_entries(client, f"{base}/versions", carla, limit=2)
    texts.append(json.dumps(entries))
    for text in texts:
        for secret in secrets:
            assert secret not in text, secret

    # Not over-filtered: what the consent shows is all there.
    last = client.get(f"{base}/versions/{current}", headers=carla).json()
    assert [g["description"] for g in last["goals"]] == ["SHOWN-goal"]
    assert [a["description"] for a in last["goals"][0]["actions"]] == ["SHOWN-action"]
    assert last["evaluations"][0]["outcomes"][0]["note"] == "SHOWN-note"
    assert last["evaluations"][0]["scores"] == [{"lifeDomain": "finances", "score": 2}]
    changes = {entry["version"]: entry["changes"] for entry in entries}
    # The hidden goal's versions still appear, with nothing in them the provider may see.
    assert [changes[3], changes[4], changes[5]] == [[], [], []]
    assert changes[2] == [{"resourceType": "goal", "id": shown, "change": "added"}]
    # The whole-file view of the same version does show the hidden goal.
    assert hidden in client.get(f"{base}/versions/{current}", headers=wim).text


def test_a_goal_change_keeps_the_plan_as_a_whole_read_would(
    client: TestClient,
    wim: Headers,
    base: str,
    household: dict[str, Any],
    connection: Connection,
    clock: Clock,
) -> None:
    """A goal's change derives the new snapshot from the one kept before it; that snapshot
    must read back exactly as the plan then is, with the other goals, the actions and the
    evaluations, also after a removed member emptied an action's performer, and when the
    version before was never kept."""
    member = add_member(client, household["id"], wim, givenName="Ayla")
    goal = {"lifeDomain": "finances", "description": "Betaalplan.", "zrmStart": 2, "zrmTarget": 4}
    first = send(client, "POST", f"{base}/goals", wim, goal)["id"]
    second = send(client, "POST", f"{base}/goals", wim, goal | {"lifeDomain": "housing"})["id"]
    for performer in ({"performer": "professional"}, {"performer": "member"}):
        body = {"description": "Bellen.", **performer}
        if performer["performer"] == "member":
            body["performerMemberId"] = member["id"]
        send(client, "POST", f"{base}/goals/{second}/actions", wim, body)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    evaluation = {
        "evaluatedOn": yesterday,
        "outcomes": [{"goalId": first, "outcome": "partly_achieved"}],
        "scores": [{"lifeDomain": "finances", "score": 3}],
    }
    send(client, "POST", f"{base}/evaluations", wim, evaluation)

    def changed_reads_back(goal_id: str, body: dict[str, Any]) -> None:
        answer = send(client, "PATCH", f"{base}/goals/{goal_id}", wim, body)
        now = capture(client, base, wim)
        assert answer == next(g for g in now.plan["goals"] if g["id"] == goal_id)
        kept = client.get(f"{base}/versions/{now.plan['version']}", headers=wim).json()
        assert without(kept, *VERSION_ONLY) == without(now.plan, "approval")
        assert kept["evaluations"] == now.evaluations

    changed_reads_back(first, {"zrmTarget": 5})
    changed_reads_back(second, {"description": "Rust in huis.", "status": "achieved"})
    members_url = f"{API}/households/{household['id']}/members/{member['id']}"
    etag = client.get(members_url, headers=wim).headers["etag"]
    removed = client.delete(members_url, headers=wim | {"If-Match": etag})
    assert removed.status_code == 204, removed.text
    changed_reads_back(first, {"description": "Een betaalplan."})
    connection.execute(PlanVersion.__table__.delete())  # type: ignore[attr-defined]
    changed_reads_back(second, {"zrmTarget": 3})
