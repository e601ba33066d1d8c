"""``make bench-webhooks`` (also run by ``make bench``): the feed and webhook delivery.

In one run on PostgreSQL:
- events per second read from the change feed, page by page, as an access team reads it;
- webhook deliveries per second by one delivery worker to a local receiver, with 1, 10 and
  100 subscriptions sharing the same number of deliveries, beside a bare loop that posts
  the same bodies to the same receiver with one HTTP client. The ratio is the worker's cost:
  claiming, fan-out, judging each event's visibility, signing, recording every attempt.

Writes ``bench/results/<date>-<commit>-webhooks.md``.
"""

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bench import machine, postgres
from bench.run import migrate
from gezinsplan.auth.actor import Actor, Role
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine, make_session_factory
from gezinsplan.events import repository as events
from gezinsplan.events.cloud import to_cloud_event
from gezinsplan.events.pages import read_page
from gezinsplan.kit import clock
from gezinsplan.main import create_app
from gezinsplan.webhooks.delivery.service import callback_guard
from gezinsplan.webhooks.models import Delivery, DeliveryStatus, Subscription
from gezinsplan.webhooks.worker import DeliveryWorker

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = 20
FEED_EVENTS = int(os.environ.get("BENCH_FEED_EVENTS", "20000"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "2000"))
SUBSCRIPTIONS = (1, 10, 100)
TEAM = uuid.UUID("00000000-0000-4000-8000-000000000193")
READER = Actor(
    sub="bench",
    name="Bench",
    org=TEAM,
    roles=frozenset({Role.TOEGANG}),
    municipalities=frozenset({"0193"}),
)


@dataclass(frozen=True)
class Rate:
    label: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


class Receiver:
    """A callback on 127.0.0.1 that counts what it gets and answers 204."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with lock:
                    receiver.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @contextmanager
    def running(self) -> Iterator["Receiver"]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _seed(engine: Engine, settings: Settings) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A provider with a role and the family's consent on every household."""

    def headers(*roles: str, **claims: Any) -> dict[str, str]:
        jwt = mint(settings, sub="bench", name="Bench", roles=roles, **claims)
        return {"Authorization": f"Bearer {jwt}"}

    admin = headers("admin")
    toegang = headers("toegang", municipalities=["0193"], org=TEAM)
    with TestClient(create_app(settings, bind=engine)) as client:

        def post(path: str, body: dict[str, Any], as_: dict[str, str]) -> Any:
            response = client.post(f"/api/v1{path}", json=body, headers=as_)
            assert response.status_code == 201, response.text
            return response.json()

        post(
            "/organizations",
            {"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"},
            admin,
        )
        provider = post(
            "/organizations",
            {"kind": "care_provider", "name": "Zorg", "agbCode": "41000001"},
            admin,
        )
        households = []
        for n in range(HOUSEHOLDS):
            body = {"municipalityCode": "0193", "name": f"Gezin {n}", "referralSource": "self"}
            household = post("/households", body, toegang)
            base = f"/households/{household['id']}"
            parent = post(
                f"{base}/members",
                {
                    "givenName": "Ouder",
                    "familyName": f"{n}",
                    "birthDate": "1980-01-01",
                    "relation": "parent",
                },
                toegang,
            )
            post(f"{base}/roles", {"organizationId": provider["id"]}, toegang)
            post(
                f"{base}/consents",
                {
                    "granteeOrganizationId": provider["id"],
                    "categories": ["basic", "plan"],
                    "purpose": "Bench",
                    "validFrom": clock.today().isoformat(),
                    "givenByMemberId": parent["id"],
                },
                toegang,
            )
            households.append(uuid.UUID(household["id"]))
    return uuid.UUID(provider["id"]), households


def _add_events(engine: Engine, households: list[uuid.UUID], count: int) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "type": "household.updated",
            "occurred_at": clock.utcnow(),
            "household_id": households[n % len(households)],
            "resource_type": "household",
            "resource_id": households[n % len(households)],
            "scope": "basic",
        }
        for n in range(count)
    ]
    with Session(engine) as session, session.begin():
        for start in range(0, len(rows), 5000):
            events.insert_many(session, rows[start : start + 5000])


def _read_feed(engine: Engine, settings: Settings) -> Rate:
    read, after, more = 0, None, True
    started = time.perf_counter()
    while more:
        with Session(engine) as session, session.begin():
            page = read_page(session, READER, settings, after=after, types=(), limit=100)
        read += len(page.events)
        after, more = page.next_cursor, page.more
    return Rate("feed, pages of 100, in process", read, time.perf_counter() - started)


def _deliver(
    engine: Engine,
    settings: Settings,
    provider: uuid.UUID,
    households: list[uuid.UUID],
    receiver: Receiver,
    subscriptions: int,
) -> tuple[Rate, list[bytes]]:
    """``DELIVERIES`` deliveries shared by ``subscriptions``; the bodies they posted."""
    with Session(engine) as session, session.begin():
        head = events.head(session)
        for _ in range(subscriptions):
            session.add(
                Subscription(
                    organization_id=provider,
                    client_role="partner_system",
                    callback_url=receiver.url,
                    secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    created_by="bench",
                    feed_txid=head.txid,
                    feed_seq=head.seq,
                )
            )
    _add_events(engine, households, DELIVERIES // subscriptions)
    with Session(engine) as session:
        bodies = [
            to_cloud_event(e, source=settings.event_source).model_dump_json().encode()
            for e in events.committed_after(session, head, DELIVERIES)
        ]
    worker = DeliveryWorker(make_session_factory(engine), settings, callback_guard(settings))
    before = receiver.count
    started = time.perf_counter()
    while worker.run_once():
        pass
    seconds = time.perf_counter() - started
    worker.deliverer.close()
    with Session(engine) as session:
        delivered = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(col(Delivery.status) == DeliveryStatus.DELIVERED)
        )
    assert receiver.count - before == DELIVERIES, (receiver.count - before, delivered)
    with Session(engine) as session, session.begin():
        for subscription in session.scalars(select(Subscription)):
            session.delete(subscription)
    label = f"worker, {subscriptions} subscription{'s' if subscriptions > 1 else ''}"
    return Rate(label, DELIVERIES, seconds), bodies


def _bare(receiver: Receiver, bodies: list[bytes]) -> Rate:
    with httpx.Client() as client:
        started = time.perf_counter()
        for n in range(DELIVERIES):
            response = client.post(
                receiver.url,
                content=bodies[n % len(bodies)],
                headers={"content-type": "application/cloudevents+json"},
            )
            assert response.status_code == 204
        seconds = time.perf_counter() - started
    return Rate("bare loop: one httpx client posting the same bodies", DELIVERIES, seconds)


def main() -> None:
    stem = f"{clock.today().isoformat()}-{machine.commit(ROOT)[:7]}"
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="gezinsplan-bench-") as tmp,
        postgres.postgres_server() as server,
    ):
        url = postgres.fresh_database(server, "bench_webhooks")
        var_dir = Path(tmp) / "var"
        migrate(url, var_dir)
        settings = Settings(
            var_dir=var_dir,
            database_url=url,
            jwt_secret="bench-" + "x" * 40,
            webhooks_allow_loopback=True,
            audit_seal_interval=0,
        )
        engine = make_engine(url)
        provider, households = _seed(engine, settings)
        _add_events(engine, households, FEED_EVENTS)
        feed = _read_feed(engine, settings)
        rows: list[tuple[Rate, Rate]] = []
        with Receiver().running() as receiver:
            for subscriptions in SUBSCRIPTIONS:
                worker, bodies = _deliver(
                    engine, settings, provider, households, receiver, subscriptions
                )
                rows.append((worker, _bare(receiver, bodies)))
        engine.dispose()
    path = ROOT / "bench" / "results" / f"{stem}-webhooks.md"
    path.write_text(_report(feed, rows, time.perf_counter() - started))
    print(path.read_text())


def _report(feed: Rate, rows: list[tuple[Rate, Rate]], elapsed: float) -> str:
    lines = [
        f"# Feed and webhook delivery: {machine.commit(ROOT)[:7]}",
        "",
        f"Command: `BENCH_FEED_EVENTS={FEED_EVENTS} BENCH_DELIVERIES={DELIVERIES} "
        "make bench-webhooks` (PostgreSQL from PyPI, one process, one delivery worker). "
        f"Took {elapsed:.0f} s.",
        "",
        *(f"- {key}: {value}" for key, value in machine.describe().items()),
        "",
        "| what | count | seconds | per second | x bare loop |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| {feed.label} | {feed.count} | {feed.seconds:.2f} | {feed.per_second:.0f} | - |",
    ]
    for worker, bare in rows:
        ratio = worker.per_second / bare.per_second
        lines.append(
            f"| {worker.label} | {worker.count} | {worker.seconds:.2f} "
            f"| {worker.per_second:.0f} | {ratio:.3f} |"
        )
        lines.append(
            f"| {bare.label} | {bare.count} | {bare.seconds:.2f} | {bare.per_second:.0f} | 1 |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
