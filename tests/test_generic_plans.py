"""The hot statements' generic plans find a regisseur or care provider by index.

psycopg prepares a statement it sees often, and PostgreSQL may then plan it once without its
parameters. A partial index serves such a plan only where the statement itself proves the
index's predicate (``role_type = 'regisseur' AND ended_at IS NULL``), so the role type must
be a literal: as a parameter, each access check in a generic plan read every assignment.
Each test explains the statements a real request sent as generic plans (``EXPLAIN
(GENERIC_PLAN)``, PostgreSQL 16) with sequential scans made a last resort.
"""

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from sqlalchemy.engine import Connection

from tests.conftest import Directory, Token
from tests.test_consents import consented_provider
from tests.test_statement_count import StatementCounter, counter  # noqa: F401 (a fixture)
from tests.test_worklist import anna, coordinate, open_household  # noqa: F401 (a fixture)

API = "/api/v1"
PARAMETER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(autouse=True)
def _postgresql_only(engine_name: str) -> None:
    if engine_name != "postgresql":
        pytest.skip("prepared statements' generic plans are PostgreSQL's")


def numbered(statement: str) -> str:
    """psycopg's named parameters as PostgreSQL's numbered ones."""
    numbers: dict[str, int] = {}
    return PARAMETER.sub(lambda m: f"${numbers.setdefault(m[1], len(numbers) + 1)}", statement)


def _assert_assignments_found_by_index(
    connection: Connection, counting: StatementCounter, request: Callable[[], Response]
) -> None:
    """No generic plan of a SELECT on role assignments the request sent reads them all."""
    with counting.measure():
        response = request()
    assert response.status_code == 200, response.text
    sent = [s for s in counting.seen if s.lstrip().upper().startswith("SELECT")]
    plans = []
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    for statement in [s for s in sent if "role_assignments" in s]:
        explained = f"EXPLAIN (GENERIC_PLAN) {numbered(statement)}"
        plans.append("\n".join(row[0] for row in connection.exec_driver_sql(explained)))
    connection.execute(text("RESET enable_seqscan"))
    assert plans, "the request read no role assignment"
    assert not any("Seq Scan on role_assignments" in plan for plan in plans), plans


def test_a_care_providers_plan_read_finds_its_role_by_index(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    connection: Connection,
    counter: StatementCounter,  # noqa: F811
) -> None:
    carla = consented_provider(client, household["id"], toegang, directory, token)
    url = f"{API}/households/{household['id']}/plan"
    _assert_assignments_found_by_index(connection, counter, partial(client.get, url, headers=carla))


def test_the_name_search_finds_the_readers_caseload_by_index(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    counter: StatementCounter,  # noqa: F811
) -> None:
    url = f"{API}/households?q=bakker"
    _assert_assignments_found_by_index(
        connection, counter, partial(client.get, url, headers=toegang)
    )


def test_the_worklist_finds_the_caseload_by_index(
    client: TestClient,
    toegang: dict[str, str],
    directory: Directory,
    anna: dict[str, str],  # noqa: F811
    connection: Connection,
    counter: StatementCounter,  # noqa: F811
) -> None:
    coordinate(client, toegang, directory, open_household(client, toegang))
    for url in (f"{API}/worklist", f"{API}/worklist/team"):
        _assert_assignments_found_by_index(
            connection, counter, partial(client.get, url, headers=anna)
        )
