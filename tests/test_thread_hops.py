"""The hot paths hand their work to a worker thread as few times as they can.

FastAPI runs every synchronous dependency, handler and a synchronous handler's response
validation in a worker thread, and each hand-off costs the request CPU (decision 0040). The
plan read, the household list and the worklist do all their database work in one hop
(``db.in_one_hop``); the goal edit's If-Match
dependency, which does no I/O, and the validation of its response run on the event loop.
Counting the hops of a real request makes a new synchronous dependency on these routes fail.
"""

import uuid
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Directory, Token
from tests.test_consents import consented_provider

API = "/api/v1"
# The rule, the statements, the audit record and the commit, together.
PLAN_READ_HOPS = 1
# Opening the transaction, the goal's rule, the change, the commit.
GOAL_EDIT_HOPS = 4


class HopCounter:
    """Counts hand-offs to a worker thread while ``counting()`` runs."""

    def __init__(self, run_sync: Callable[..., Any]) -> None:
        self.run_sync = run_sync
        self.hops = 0

    async def __call__(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.hops += 1
        return await self.run_sync(function, *args, **kwargs)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> HopCounter:
    counter = HopCounter(anyio.to_thread.run_sync)
    monkeypatch.setattr(anyio.to_thread, "run_sync", counter)
    return counter


def _hops_of(hops: HopCounter, request: Callable[[], Any], status: int) -> int:
    hops.hops = 0
    response = request()
    assert response.status_code == status, response.text
    return hops.hops


def test_the_plan_read_does_its_work_in_one_thread_hop(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    hops: HopCounter,
) -> None:
    base = f"{API}/households/{household['id']}"
    carla = consented_provider(client, household["id"], toegang, directory, token)
    stranger = token("care_provider", org=uuid.UUID(directory.youth_care), sub="stranger")

    def read(headers: dict[str, str]) -> Callable[[], Any]:
        return lambda: client.get(f"{base}/plan", headers=headers)

    assert _hops_of(hops, read(toegang), 200) == PLAN_READ_HOPS
    assert _hops_of(hops, read(carla), 200) == PLAN_READ_HOPS
    # A refusal is decided, and audited, in the same hop.
    assert _hops_of(hops, read(stranger), 404) == PLAN_READ_HOPS


def test_the_goal_edit_validates_if_match_and_its_response_without_a_thread_hop(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], hops: HopCounter
) -> None:
    base = f"{API}/households/{household['id']}/plan"
    body = {
        "lifeDomain": "finances",
        "description": "Schulden in beeld",
        "zrmStart": 2,
        "zrmTarget": 4,
    }
    goal = client.post(f"{base}/goals", json=body, headers=toegang)
    assert goal.status_code == 201, goal.text

    def edit() -> Any:
        return client.patch(
            f"{base}/goals/{goal.json()['id']}",
            json={"description": "Schulden geregeld"},
            headers=toegang | {"If-Match": client.get(base, headers=toegang).headers["ETag"]},
        )

    assert _hops_of(hops, edit, 200) == PLAN_READ_HOPS + GOAL_EDIT_HOPS


def test_the_list_and_the_worklist_do_their_work_in_one_thread_hop(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    hops: HopCounter,
) -> None:
    listed = lambda: client.get(f"{API}/households", params={"q": "X"}, headers=toegang)  # noqa: E731
    assert _hops_of(hops, listed, 200) == PLAN_READ_HOPS
    regisseur = token("toegang", sub="regisseur", org=uuid.UUID(int=7))
    worklist = lambda: client.get(f"{API}/worklist", headers=regisseur)  # noqa: E731
    assert _hops_of(hops, worklist, 200) == PLAN_READ_HOPS
    # A refusal is decided on the event loop: no hop, no transaction.
    resident = token("resident", sub="resident")
    refused = lambda: client.get(f"{API}/worklist", headers=resident)  # noqa: E731
    assert _hops_of(hops, refused, 403) == 0
