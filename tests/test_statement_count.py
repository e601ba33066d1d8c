"""The number of SQL statements per request is fixed, whatever the size of the data.

A listener on the test connection's engine counts every statement a request sends (the
audit insert included, the test connection's savepoints not). Each hot path is measured on a
small and on a large case; a repository that loads per goal, per action or per household (an
N+1) makes the two counts differ and fails here.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event
from sqlalchemy.engine import Connection

from tests.conftest import Directory, Token
from tests.test_consents import add_member, consented_provider

API = "/api/v1"
DOMAINS = ("finances", "parenting", "housing", "school")
# A care provider's plan read: the household with the reader's regisseur assignment and held
# consents; the plan with its latest approval, goals and actions; the audit insert. A new
# round trip must raise this knowingly.
PLAN_READ_BUDGET = 3
# A goal edit: the household with its plan, the goal and the plan's kept snapshot; the version
# claim; the goal's update; the event; the new snapshot; the audit record.
GOAL_EDIT_BUDGET = 6
# The test connection's savepoints are not the service's statements.
SAVEPOINTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


class StatementCounter:
    """Counts statements on one engine while a ``with counter.measure():`` block runs."""

    def __init__(self) -> None:
        self.count = 0
        self.active = False
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active and not SAVEPOINTS.match(statement):
            self.count += 1
            self.seen.append(statement)

    @contextmanager
    def measure(self) -> Iterator["StatementCounter"]:
        self.count, self.active, self.seen = 0, True, []
        try:
            yield self
        finally:
            self.active = False


@pytest.fixture
def counter(connection: Connection) -> Iterator[StatementCounter]:
    counting = StatementCounter()
    event.listen(connection.engine, "before_cursor_execute", counting)
    yield counting
    event.remove(connection.engine, "before_cursor_execute", counting)


def _add_goals(client: TestClient, base: str, headers: dict[str, str], start: int, n: int) -> None:
    """Goals spread over several life domains, each with two actions."""
    for i in range(start, start + n):
        body = {
            "lifeDomain": DOMAINS[i % len(DOMAINS)],
            "description": f"Doel {i}",
            "zrmStart": 2,
            "zrmTarget": 4,
        }
        goal = client.post(f"{base}/plan/goals", json=body, headers=headers)
        assert goal.status_code == 201, goal.text
        for step in range(2):
            action = client.post(
                f"{base}/plan/goals/{goal.json()['id']}/actions",
                json={"description": f"Stap {i}.{step}", "performer": "professional"},
                headers=headers,
            )
            assert action.status_code == 201, action.text


def _counted(counter: StatementCounter, request: Callable[[], Response], status: int) -> int:
    with counter.measure():
        response = request()
    assert response.status_code == status, response.text
    return counter.count


def test_a_plan_read_issues_as_many_statements_for_1_goal_as_for_20(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    counter: StatementCounter,
    engine_name: str,
) -> None:
    base = f"{API}/households/{household['id']}"
    carla = consented_provider(client, household["id"], toegang, directory, token)

    def read(headers: dict[str, str]) -> Callable[[], Response]:
        return lambda: client.get(f"{base}/plan", headers=headers)

    _add_goals(client, base, toegang, 0, 1)
    small = (_counted(counter, read(toegang), 200), _counted(counter, read(carla), 200))
    _add_goals(client, base, toegang, 1, 19)
    large = (_counted(counter, read(toegang), 200), _counted(counter, read(carla), 200))
    filtered = client.get(f"{base}/plan", headers=carla).json()["goals"]
    assert {goal["lifeDomain"] for goal in filtered} == {"finances"}
    print(
        f"\n[{engine_name}] plan read statements, 1 / 20 goals: "
        f"toegang {small[0]} / {large[0]}, care provider (finances only) {small[1]} / {large[1]}"
    )
    assert small == large
    assert large[1] <= PLAN_READ_BUDGET


def test_a_household_list_with_a_name_search_issues_as_many_for_1_as_for_30(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    counter: StatementCounter,
    engine_name: str,
) -> None:
    def search() -> Response:
        return client.get(f"{API}/households", params={"q": "jansen"}, headers=toegang)

    small = _counted(counter, search, 200)
    for i in range(29):
        body = {
            "municipalityCode": "0193",
            "name": f"Gezin Jansen {i}",
            "referralSource": "municipal_access",
        }
        created = client.post(f"{API}/households", json=body, headers=toegang)
        assert created.status_code == 201, created.text
        add_member(client, created.json()["id"], toegang, givenName=f"Kind {i}")
    large = _counted(counter, search, 200)
    assert len(search().json()["items"]) == 30
    print(f"\n[{engine_name}] household list ?q= statements, 1 / 30 households: {small} / {large}")
    assert small == large


def test_a_goal_edit_issues_as_many_statements_in_a_plan_of_1_goal_as_of_20(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    counter: StatementCounter,
    engine_name: str,
) -> None:
    base = f"{API}/households/{household['id']}"

    def edit() -> int:
        plan = client.get(f"{base}/plan", headers=toegang)
        goal = plan.json()["goals"][0]["id"]
        headers = toegang | {"If-Match": plan.headers["ETag"]}
        return _counted(
            counter,
            lambda: client.patch(
                f"{base}/plan/goals/{goal}", json={"zrmTarget": 5}, headers=headers
            ),
            200,
        )

    _add_goals(client, base, toegang, 0, 1)
    small = edit()
    _add_goals(client, base, toegang, 1, 19)
    large = edit()
    print(f"\n[{engine_name}] goal PATCH statements, plan of 1 / 20 goals: {small} / {large}")
    assert small == large
    assert large <= GOAL_EDIT_BUDGET


def test_the_worklists_issue_as_many_statements_for_1_household_as_for_50(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    counter: StatementCounter,
    engine_name: str,
) -> None:
    anna = token(
        "toegang", municipalities=("0193",), org=uuid.UUID(directory.access_team), sub="anna"
    )

    def coordinate(hid: str) -> None:
        body = {
            "professionalSub": "anna",
            "professionalName": "Anna",
            "organizationId": directory.access_team,
            "reason": "Regie.",
        }
        response = client.put(f"{API}/households/{hid}/regisseur", json=body, headers=toegang)
        assert response.status_code == 200, response.text

    def worklist() -> Response:
        return client.get(f"{API}/worklist", headers=anna)

    def team() -> Response:
        return client.get(f"{API}/worklist/team", headers=anna)

    coordinate(household["id"])
    # One waiting household, so the team worklist shows (and its record names) one too.
    waiting = {"municipalityCode": "0193", "name": "Gezin Wachtend", "referralSource": "self"}
    assert client.post(f"{API}/households", json=waiting, headers=toegang).status_code == 201
    small = (_counted(counter, worklist, 200), _counted(counter, team, 200))
    for i in range(49):
        body = {"municipalityCode": "0193", "name": f"Gezin {i}", "referralSource": "self"}
        created = client.post(f"{API}/households", json=body, headers=toegang)
        assert created.status_code == 201, created.text
        if i % 5:
            coordinate(created.json()["id"])
        if i % 3 == 0:
            goal = {
                "lifeDomain": "finances",
                "description": "Doel",
                "zrmStart": 2,
                "zrmTarget": 4,
                "targetDate": "2020-01-01",
            }
            url = f"{API}/households/{created.json()['id']}/plan/goals"
            assert client.post(url, json=goal, headers=toegang).status_code == 201
    large = (_counted(counter, worklist, 200), _counted(counter, team, 200))
    assert len(worklist().json()["items"]) == 40
    print(f"\n[{engine_name}] worklist / team statements, 1 / 50 households: {small} / {large}")
    assert small == large


def test_psycopg_parses_each_of_the_plan_reads_statements_once(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    counter: StatementCounter,
    engine_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A care provider's plan read sends a statement longer than psycopg keeps parsed by
    default; the engine raises that bound (``db._parse_long_statements_once``), so a second
    read parses nothing."""
    if engine_name != "postgresql":
        pytest.skip("psycopg is PostgreSQL's driver")
    from psycopg import _queries

    base = f"{API}/households/{household['id']}"
    carla = consented_provider(client, household["id"], toegang, directory, token)
    _add_goals(client, base, toegang, 0, 2)
    with counter.measure():
        assert client.get(f"{base}/plan", headers=carla).status_code == 200
    assert max(len(statement) for statement in counter.seen) > 4096
    parsed: list[bytes] = []
    parse = _queries._query2pg_nocache

    def counted(query: bytes, *args: Any) -> Any:
        parsed.append(query)
        return parse(query, *args)

    monkeypatch.setattr(_queries, "_query2pg_nocache", counted)
    assert client.get(f"{base}/plan", headers=carla).status_code == 200
    assert parsed == []
