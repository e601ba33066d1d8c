"""Keyed bulk pushes survive a server killed with SIGKILL at random moments (PostgreSQL).

A partner system pushes batches of progress updates, each with its own Idempotency-Key,
to the service running as a process of its own. A timer kills the process at a random
moment, mid-request or between requests; the partner starts it again and resends, with the
same key and body, every batch whose answer it did not get. Now and then it also resends a
batch that was answered. At the end every update exists exactly once, every answer names
updates that exist, a resent answer equals the first, and nothing is half-stored: each
update has its event and each batch its one stored key.
"""

import random
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gezinsplan.config import Settings
from gezinsplan.kit.clock import today
from gezinsplan.main import create_app
from tests.conftest import TEST_SECRET
from tests.server_process import ServerProcess, bearer

KILLS = 20
BATCHES = 400
PER_BATCH = 10
HOUSEHOLDS = 4
API = "/api/v1"


@dataclass(frozen=True)
class Seeded:
    provider: uuid.UUID
    goals: list[tuple[str, str]]  # (household id, goal id), each assigned to the provider


def _post(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = client.post(API + path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _seed(engine: Engine, settings: Settings) -> Seeded:
    """Households with a finances goal each, assigned to a provider that works on them."""
    admin = bearer(settings, "admin")
    with TestClient(create_app(settings, bind=engine)) as client:
        body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
        _post(client, "/organizations", body, admin)
        team = _post(
            client,
            "/organizations",
            {"kind": "access_team", "name": "Wijkteam", "servedMunicipalities": ["0193"]},
            admin,
        )
        provider = _post(
            client,
            "/organizations",
            {"kind": "care_provider", "name": "Schuldhulp", "agbCode": "41000002"},
            admin,
        )
        toegang = bearer(settings, "toegang", municipalities=("0193",), org=uuid.UUID(team["id"]))
        goals = []
        for n in range(HOUSEHOLDS):
            household = _post(
                client,
                "/households",
                {
                    "municipalityCode": "0193",
                    "name": f"Gezin {n}",
                    "referralSource": "municipal_access",
                },
                toegang,
            )
            base = f"/households/{household['id']}"
            goal = _post(
                client,
                f"{base}/plan/goals",
                {
                    "lifeDomain": "finances",
                    "description": "Schulden op orde",
                    "zrmStart": 2,
                    "zrmTarget": 4,
                    "organizationId": provider["id"],
                },
                toegang,
            )
            _post(client, f"{base}/roles", {"organizationId": provider["id"]}, toegang)
            goals.append((household["id"], goal["id"]))
    return Seeded(uuid.UUID(provider["id"]), goals)


def _batches(seeded: Seeded) -> list[tuple[str, dict[str, Any]]]:
    yesterday = (today() - timedelta(days=1)).isoformat()
    batches = []
    for b in range(BATCHES):
        updates = []
        for i in range(PER_BATCH):
            household_id, goal_id = seeded.goals[(b + i) % len(seeded.goals)]
            updates.append(
                {
                    "householdId": household_id,
                    "goalId": goal_id,
                    "externalId": f"crash-{b}-{i}",
                    "text": f"Voortgang {b}.{i}",
                    "reportedOn": yesterday,
                }
            )
        batches.append((f"batch-{b}-{uuid.uuid4()}", {"updates": updates}))
    return batches


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_acknowledged_updates_exist_exactly_once_after_sigkills(
    engine_name: str, live_url: str, live_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)
    engine = live_engine
    seeded = _seed(engine, settings)
    partner = bearer(settings, "partner_system", org=seeded.provider, sub="schuldhulp-systeem")
    batches = _batches(seeded)
    answered: dict[str, Any] = {}
    rng = random.Random(20261124)
    server = ServerProcess(live_url, tmp_path / "var", TEST_SECRET)
    kills = replays = 0
    try:
        while len(answered) < len(batches):
            server.start()
            killer = None
            if kills < KILLS:
                killer = threading.Timer(rng.uniform(0.05, 0.5), server.kill)
                killer.start()
            with httpx.Client(base_url=server.base, timeout=30) as http:
                try:
                    for key, body in batches:
                        if key in answered and rng.random() > 0.03:
                            continue
                        headers = partner | {"Idempotency-Key": key}
                        response = http.post(f"{API}/progress-updates", json=body, headers=headers)
                        assert response.status_code == 200, response.text
                        if key in answered:
                            assert response.json() == answered[key], "a replay differs"
                            replays += 1
                        answered[key] = response.json()
                except httpx.TransportError:
                    pass  # killed: what was not answered is sent again after the restart
            if killer is not None:
                killer.join()
                kills += 1
            server.kill()
    finally:
        server.kill()

    expected = {u["externalId"] for _, body in batches for u in body["updates"]}
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, external_id FROM progress_updates WHERE organization_id = :org"),
            {"org": seeded.provider},
        ).all()
        events = connection.execute(
            text("SELECT resource_id FROM events WHERE type = 'progress.reported'")
        ).all()
        keys = connection.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one()
    stored = [external_id for _, external_id in rows]
    assert sorted(stored) == sorted(expected), "an update is missing or stored twice"
    ids = {str(row_id) for row_id, _ in rows}
    assert {str(resource_id) for (resource_id,) in events} == ids, "an update without its event"
    assert len(events) == len(ids)
    assert keys == len(batches)
    for _, answer in answered.items():
        for result in answer["results"]:
            assert result["status"] == "created", result
            assert result["id"] in ids
    print(f"\n{kills} kills, {len(batches)} batches, {len(stored)} updates, {replays} replays")
    assert kills >= KILLS
