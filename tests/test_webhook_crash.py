"""Webhook workers killed with SIGKILL at random moments lose nothing and keep order
(PostgreSQL).

Two ``gezinsplan worker`` processes share three subscriptions on one database while a
thousand changes are written in small transactions across four households; a timer kills a
worker at a random moment, mid-delivery or between rounds, and starts it again. Halfway the
family of one household withdraws its consent for the care provider. When the workers have
drained, every event each subscription is entitled to has arrived, a duplicate repeats its
webhook-id and body, each household's events first arrived in feed order, and nothing of the
withdrawn household reached the care provider after the withdrawal.
"""

import base64
import json
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col
from standardwebhooks import Webhook

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.config import Settings
from gezinsplan.db import make_session_factory
from gezinsplan.events import feed
from gezinsplan.events import repository as events_repository
from gezinsplan.events.cloud import sequence_of
from gezinsplan.events.models import Event
from gezinsplan.events.service import EventType, record_events
from gezinsplan.kit.clock import today
from gezinsplan.main import create_app
from gezinsplan.webhooks.models import Subscription
from tests.conftest import TEST_SECRET
from tests.server_process import WorkerProcess, bearer
from tests.webhook_receiver import Received, Receiver

KILLS = 20
CHANGES = 1000
PER_TRANSACTION = 10
HOUSEHOLDS = 4
WITHDRAWN = 0  # the household whose consent for the care provider is withdrawn halfway
API = "/api/v1"
# A POST whose event was judged visible just before the withdrawal committed may land just
# after it; later than this it would have been judged after the withdrawal.
IN_FLIGHT = 1.0


@dataclass(frozen=True)
class Household:
    id: str
    goal: str
    consent: str


@dataclass(frozen=True)
class Seeded:
    team: str
    provider: str
    households: list[Household]


def _post(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = client.post(API + path, json=body, headers=headers)
    assert response.status_code in {200, 201}, response.text
    return response.json()


def _seed(client: TestClient, settings: Settings) -> Seeded:
    """Households in Zwolle, each with a goal, the care provider on it and its consent."""
    admin = bearer(settings, "admin")
    body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
    _post(client, "/organizations", body, admin)
    body = {"kind": "access_team", "name": "Wijkteam", "servedMunicipalities": ["0193"]}
    team = _post(client, "/organizations", body, admin)["id"]
    body = {"kind": "care_provider", "name": "Schuldhulp", "agbCode": "41000002"}
    provider = _post(client, "/organizations", body, admin)["id"]
    toegang = bearer(settings, "toegang", municipalities=("0193",), org=uuid.UUID(team))
    households = []
    for n in range(HOUSEHOLDS):
        body = {"municipalityCode": "0193", "name": f"Gezin {n}", "referralSource": "other"}
        household = _post(client, "/households", body, toegang)["id"]
        base = f"/households/{household}"
        parent = _post(
            client,
            f"{base}/members",
            {
                "givenName": "Sanne",
                "familyName": f"Jansen {n}",
                "birthDate": "1986-04-12",
                "relation": "parent",
            },
            toegang,
        )
        goal = _post(
            client,
            f"{base}/plan/goals",
            {"lifeDomain": "finances", "description": "Schulden", "zrmStart": 2, "zrmTarget": 4},
            toegang,
        )
        _post(client, f"{base}/roles", {"organizationId": provider}, toegang)
        consent = _post(
            client,
            f"{base}/consents",
            {
                "granteeOrganizationId": provider,
                "categories": ["basic", "plan"],
                "purpose": "Schuldhulpverlening",
                "validFrom": today().isoformat(),
                "givenByMemberId": parent["id"],
            },
            toegang,
        )
        households.append(Household(household, goal["id"], consent["id"]))
    return Seeded(team, provider, households)


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _subscribe(
    engine: Engine, seeded: Seeded, receiver: Receiver
) -> tuple[dict[str, str], feed.Position]:
    """Three subscriptions at the feed's head: their secrets by name (the callback's path),
    and the head."""
    watched = uuid.UUID(seeded.households[1].id)
    grounds: dict[str, dict[str, Any]] = {
        "team": {"organization_id": uuid.UUID(seeded.team), "client_role": "toegang"},
        "one": {
            "organization_id": uuid.UUID(seeded.team),
            "client_role": "toegang",
            "household_id": watched,
        },
        "provider": {
            "organization_id": uuid.UUID(seeded.provider),
            "client_role": "partner_system",
        },
    }
    found = {}
    with make_session_factory(engine).begin() as session:
        head = events_repository.head(session)
        for name, values in grounds.items():
            found[name] = _secret()
            session.add(
                Subscription(
                    **values,
                    municipalities=["0193"] if values["client_role"] == "toegang" else [],
                    callback_url=f"{receiver.url}/{name}",
                    secret=found[name],
                    created_by="test",
                    feed_txid=head.txid,
                    feed_seq=head.seq,
                )
            )
    return found, head


def _write_changes(engine: Engine, seeded: Seeded, halfway: Callable[[], None]) -> None:
    """A thousand goal changes in transactions of ten, spread over the households."""
    actor = Actor(
        sub="crash-test",
        name="Test",
        org=uuid.UUID(seeded.team),
        roles=frozenset({Role.TOEGANG}),
        municipalities=frozenset({"0193"}),
    )
    factory = make_session_factory(engine)
    for batch in range(CHANGES // PER_TRANSACTION):
        with factory.begin() as session:
            resources = []
            for i in range(PER_TRANSACTION):
                household = seeded.households[(batch + i) % HOUSEHOLDS]
                resources.append((uuid.UUID(household.goal), uuid.UUID(household.id), "finances"))
            record_events(
                session,
                EventType.GOAL_UPDATED,
                actor=actor,
                resource_type="goal",
                resources=resources,
            )
        if batch == CHANGES // PER_TRANSACTION // 2:
            halfway()
        time.sleep(0.12)


def _events(engine: Engine, after: feed.Position) -> list[tuple[str, str | None, str]]:
    """(id, household id, sequence) of every event after ``after``, in feed order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(Event.id), col(Event.household_id), col(Event.txid), col(Event.seq))
            .where(events_repository.after(after))
            .order_by(*events_repository.IN_ORDER)
        ).all()
    return [(str(i), None if h is None else str(h), sequence_of(t, s)) for i, h, t, s in rows]


def _arrivals(receiver: Receiver, name: str) -> list[Received]:
    return [one for one in receiver.snapshot() if one.path == f"/hook/{name}"]


def _arrived_ids(arrivals: list[Received]) -> set[str]:
    return {json.loads(one.body)["id"] for one in arrivals}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_workers_killed_at_random_deliver_every_event_in_order_and_respect_a_withdrawal(
    engine_name: str, live_url: str, live_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)
    settings.var_dir.mkdir(parents=True)
    engine = live_engine
    rng = random.Random()
    withdrawal: dict[str, Any] = {}
    workers = [
        WorkerProcess(
            live_url,
            settings.var_dir,
            TEST_SECRET,
            webhooks_allow_loopback="true",
            webhooks_lease_seconds="2",
            webhooks_interval="0.05",
        )
        for _ in range(2)
    ]
    kills = 0
    started = time.monotonic()
    with Receiver() as receiver, TestClient(create_app(settings, bind=engine)) as client:
        seeded = _seed(client, settings)
        toegang = bearer(settings, "toegang", municipalities=("0193",), org=uuid.UUID(seeded.team))
        secrets_by_name, start = _subscribe(engine, seeded, receiver)
        withdrawn = seeded.households[WITHDRAWN]

        def withdraw() -> None:
            _post(
                client,
                f"/households/{withdrawn.id}/consents/{withdrawn.consent}/withdraw",
                {"reason": "Het gezin wil dit niet meer."},
                toegang,
            )
            withdrawal["at"] = time.monotonic()
            withdrawal["sequence"] = _events(engine, start)[-1][2]

        for worker in workers:
            worker.start()
        writer = threading.Thread(target=_write_changes, args=(engine, seeded, withdraw))
        writer.start()
        try:
            while kills < KILLS or writer.is_alive():
                # The worker that has run longest is past its start-up (about a second).
                time.sleep(rng.uniform(0.3, 1.5))
                worker = workers.pop(0)
                worker.kill()
                worker.start()
                workers.append(worker)
                kills += 1
            writer.join()

            written = _events(engine, start)
            entitled = {
                "team": {i for i, _, _ in written},
                "one": {i for i, h, _ in written if h == seeded.households[1].id},
                "provider": {i for i, h, _ in written if h != withdrawn.id},
            }
            deadline = time.monotonic() + 90
            while any(
                not entitled[name] <= _arrived_ids(_arrivals(receiver, name)) for name in entitled
            ):
                assert time.monotonic() < deadline, "the workers did not drain"
                time.sleep(0.2)
            time.sleep(0.5)  # a straggling duplicate, if any, lands before the checks
            assert [worker.stop() for worker in workers] == [0, 0]  # SIGTERM: a clean stop
        finally:
            for worker in workers:
                worker.kill()
            writer.join()
    sequence_of_id = {i: s for i, _, s in written}
    household_of_id = {i: h for i, h, _ in written}
    total = distinct = 0
    for name, secret in secrets_by_name.items():
        arrivals = _arrivals(receiver, name)
        total += len(arrivals)
        bodies: dict[str, bytes] = {}
        for one in arrivals:
            payload = Webhook(secret).verify(one.body, one.headers)
            assert one.headers["webhook-id"] == payload["id"]
            assert bodies.setdefault(payload["id"], one.body) == one.body  # a duplicate repeats
        assert entitled[name] <= set(bodies), name
        distinct += len(bodies)
        first: dict[str, list[str]] = {}
        for event_id in dict.fromkeys(json.loads(one.body)["id"] for one in arrivals):
            first.setdefault(str(household_of_id[event_id]), []).append(sequence_of_id[event_id])
        for household, sequences in first.items():
            assert sequences == sorted(sequences), f"{name}: household {household} out of order"
    provider = [
        (json.loads(one.body), one.at)
        for one in _arrivals(receiver, "provider")
        if household_of_id[json.loads(one.body)["id"]] == withdrawn.id
    ]
    assert all(payload["sequence"] < withdrawal["sequence"] for payload, _ in provider)
    assert all(at <= withdrawal["at"] + IN_FLIGHT for _, at in provider)
    assert _arrived_ids(_arrivals(receiver, "one")) <= entitled["one"]
    print(
        f"\n{kills} kills, {len(written)} events, {total} POSTs received, "
        f"{total - distinct} of them again, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert kills >= KILLS
