"""An indication sync survives a server killed with SIGKILL at random moments (PostgreSQL).

A municipal system syncs 10,000 records in requests of 1,000 to the service running as a
process of its own. A timer kills the process at a random moment; the system starts it
again and resends every request it got no answer to. The end state equals that of a clean
run of the same records on a second database: the same indications with the same content,
the same links, and the same events (a request that committed but was not answered comes
back all ``unchanged`` and adds none). No record is partial: each row hashes to its record.
"""

import random
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bench.indications import bsn, records
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.indications.schemas import IndicationRecord
from gezinsplan.indications.service import content_hash
from gezinsplan.main import create_app
from tests.conftest import TEST_SECRET, alembic_config
from tests.server_process import ServerProcess, bearer

RECORDS = 10_000
PER_REQUEST = 1_000
KILLS = 8
PEOPLE = 30  # records 0..29 are about people already in a household of the municipality
API = "/api/v1"
SYNC = f"{API}/indications"


def _database(create_database: Callable[[str], str], settings: Settings) -> str:
    """A migrated database with Zwolle, a provider by AGB code and people to link to."""
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    admin = bearer(settings, "admin")
    engine = make_engine(url)
    with TestClient(create_app(settings, bind=engine)) as client:
        for body in (
            {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"},
            {"kind": "care_provider", "name": "Zorg Drie", "agbCode": "41000003"},
        ):
            assert client.post(f"{API}/organizations", json=body, headers=admin).status_code == 201
        team = client.post(
            f"{API}/organizations",
            json={"kind": "access_team", "name": "Wijkteam", "servedMunicipalities": ["0193"]},
            headers=admin,
        ).json()
        toegang = bearer(settings, "toegang", municipalities=("0193",), org=uuid.UUID(team["id"]))
        for n in range(PEOPLE):
            household = client.post(
                f"{API}/households",
                json={
                    "municipalityCode": "0193",
                    "name": f"Gezin {n}",
                    "referralSource": "municipal_access",
                },
                headers=toegang,
            ).json()
            member = {
                "givenName": "Sam",
                "familyName": f"Gezin {n}",
                "birthDate": "1980-01-01",
                "relation": "parent",
                "bsn": bsn(n),
            }
            added = client.post(
                f"{API}/households/{household['id']}/members", json=member, headers=toegang
            )
            assert added.status_code == 201, added.text
    engine.dispose()
    return url


def _requests() -> list[list[dict[str, Any]]]:
    sent = list(records(RECORDS, "0193", seed=7))
    return [sent[i : i + PER_REQUEST] for i in range(0, RECORDS, PER_REQUEST)]


def _state(engine: Engine) -> tuple[set[tuple[Any, ...]], dict[str, int]]:
    """The indications as content (ids differ between databases) and the event counts."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT i.municipality_code, i.indication_number, i.content_hash, i.status, "
                "m.bsn, o.agb_code FROM indications i "
                "LEFT JOIN members m ON m.id = i.member_id "
                "LEFT JOIN organizations o ON o.id = i.provider_organization_id"
            )
        ).all()
        events = connection.execute(
            text("SELECT type, count(*) FROM events WHERE type LIKE 'indication.%' GROUP BY type")
        ).all()
    return {tuple(row) for row in rows}, dict(events)


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_a_sync_killed_at_random_moments_and_resent_ends_as_a_clean_run(
    engine_name: str, create_database: Callable[[str], str], tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)
    system = bearer(settings, "municipal_system", municipalities=("0193",), sub="zwolle")
    requests = _requests()

    clean_url = _database(create_database, settings)
    clean = make_engine(clean_url)
    with TestClient(create_app(settings, bind=clean)) as client:
        for chunk in requests:
            response = client.put(SYNC, json={"indications": chunk}, headers=system)
            assert response.status_code == 200, response.text
            assert response.json()["summary"]["created"] == len(chunk)

    crash_url = _database(create_database, settings)
    answered: set[int] = set()
    rng = random.Random(20261124)
    server = ServerProcess(crash_url, tmp_path / "var", TEST_SECRET)
    kills = 0
    try:
        while len(answered) < len(requests):
            server.start()
            killer = None
            if kills < KILLS:
                killer = threading.Timer(rng.uniform(0.05, 0.3), server.kill)
                killer.start()
            with httpx.Client(base_url=server.base, timeout=60) as http:
                try:
                    for n, chunk in enumerate(requests):
                        if n in answered:
                            continue
                        response = http.put(SYNC, json={"indications": chunk}, headers=system)
                        assert response.status_code == 200, response.text
                        summary = response.json()["summary"]
                        assert summary["rejected"] == summary["updated"] == 0, summary
                        answered.add(n)
                except httpx.TransportError:
                    pass  # killed: resend what was not answered
            if killer is not None:
                killer.join()
                kills += 1
            server.kill()
    finally:
        server.kill()

    crashed = make_engine(crash_url)
    crashed_rows, crashed_events = _state(crashed)
    clean_rows, clean_events = _state(clean)
    crashed.dispose()
    clean.dispose()
    assert crashed_rows == clean_rows
    assert crashed_events == clean_events
    assert clean_events["indication.created"] == RECORDS
    assert sum(1 for row in clean_rows if row[4] is not None) == PEOPLE, "not every link made"
    expected = {
        (r["municipalityCode"], r["indicationNumber"], content_hash(IndicationRecord(**r)))
        for chunk in requests
        for r in chunk
    }
    assert {row[:3] for row in crashed_rows} == expected, "a record is missing or partial"
    print(f"\n{kills} kills, {len(requests)} requests of {PER_REQUEST}, {RECORDS} records")
    assert kills >= KILLS
