"""Bulk writes: rows per second through the API, beside the driver alone writing the same rows.

The API's cost (validation, access checks, savepoints, idempotency, events, the audit
record) is measured as a ratio of what the database driver does with the same rows in the
same run, from as many concurrent clients.
"""

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bench import generate
from gezinsplan.db import make_engine
from gezinsplan.kit import clock
from gezinsplan.models import metadata

PUSH_SIZE = 1000


@dataclass(frozen=True)
class BulkResult:
    """One bulk scenario: rows written through the API and by the driver alone."""

    scenario: str
    target: float  # the least acceptable share of the bare write
    rows: int
    api_seconds: float
    bare_rows: int
    bare_seconds: float
    failures: int
    note: str = ""

    @property
    def api_rate(self) -> float:
        return self.rows / self.api_seconds

    @property
    def bare_rate(self) -> float:
        return self.bare_rows / self.bare_seconds

    @property
    def ratio(self) -> float:
        return self.api_rate / self.bare_rate


def in_parallel(jobs: Sequence[Callable[[], int]]) -> tuple[int, float]:
    """Run the jobs on threads at once; the sum of what they return, and the wall time."""
    done: list[int] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], int]) -> None:
        try:
            done.append(job())
        except BaseException as error:  # reported below, on the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(done), time.perf_counter() - started


def provider_goals(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(household, goal) of open households whose goals care provider 0 reports on."""
    t = metadata.tables
    households, plans, goals = t["households"], t["plans"], t["goals"]
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(households.c.id, goals.c.id)
            .join(plans, plans.c.household_id == households.c.id)
            .join(goals, goals.c.plan_id == plans.c.id)
            .where(
                goals.c.organization_id == generate.care_provider_id(0),
                households.c.status == "open",
            )
            .order_by(goals.c.id)
        ).all()
    engine.dispose()
    return [(h, g) for h, g in rows]


def _updates(goals: list[tuple[uuid.UUID, uuid.UUID]], prefix: str, n: int) -> list[dict[str, Any]]:
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    return [
        {
            "householdId": str(goals[i % len(goals)][0]),
            "goalId": str(goals[i % len(goals)][1]),
            "externalId": f"{prefix}-{i}",
            "text": f"Voortgang {i}: afspraak nagekomen, volgende stap gepland.",
            "reportedOn": yesterday,
            "zrmScore": 3,
        }
        for i in range(n)
    ]


def push_progress(
    base: str, token: str, url: str, total: int, clients: int, run_id: str
) -> BulkResult:
    """Progress updates in pushes of 1,000 from ``clients`` partner connections at once."""
    goals = provider_goals(url)
    pushes = [
        _updates(goals, f"api-{run_id}-{start}", min(PUSH_SIZE, total - start))
        for start in range(0, total, PUSH_SIZE)
    ]
    failures: list[int] = []

    def client(mine: list[list[dict[str, Any]]]) -> Callable[[], int]:
        def send() -> int:
            created = 0
            with httpx.Client(base_url=base, timeout=300) as http:
                for push in mine:
                    response = http.post(
                        "/api/v1/progress-updates",
                        json={"updates": push},
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Idempotency-Key": str(uuid.uuid4()),
                        },
                    )
                    response.raise_for_status()
                    results = response.json()["results"]
                    created += sum(r["status"] == "created" for r in results)
                    failures.append(sum(r["status"] != "created" for r in results))
            return created

        return send

    rows, api_seconds = in_parallel([client(pushes[k::clients]) for k in range(clients)])
    bare_rows, bare_seconds = _bare_progress(url, goals, total, clients, run_id)
    return BulkResult(
        "bulk push of progress updates (1,000 a request)",
        0.25,
        rows,
        api_seconds,
        bare_rows,
        bare_seconds,
        sum(failures),
    )


def _bare_progress(
    url: str, goals: list[tuple[uuid.UUID, uuid.UUID]], total: int, clients: int, run_id: str
) -> tuple[int, float]:
    """The same rows by the driver alone: executemany, one transaction per 1,000 rows."""
    table = metadata.tables["progress_updates"]
    provider = generate.care_provider_id(0)
    now = datetime.now(UTC)
    engine = make_engine(url)

    def rows(start: int, n: int) -> list[dict[str, Any]]:
        return [
            {
                "id": uuid.uuid4(),
                "household_id": uuid.UUID(u["householdId"]),
                "goal_id": uuid.UUID(u["goalId"]),
                "organization_id": provider,
                "author_sub": "bench-partner",
                "author_name": "Bench partner",
                "client_sub": "bench-partner",
                "external_id": u["externalId"],
                "text": u["text"],
                "reported_on": date.fromisoformat(u["reportedOn"]),
                "zrm_score": u["zrmScore"],
                "created_at": now,
            }
            for u in _updates(goals, f"bare-{run_id}-{start}", n)
        ]

    batches = [rows(s, min(PUSH_SIZE, total - s)) for s in range(0, total, PUSH_SIZE)]

    def client(mine: list[list[dict[str, Any]]]) -> Callable[[], int]:
        def write() -> int:
            written = 0
            for batch in mine:
                with engine.begin() as connection:
                    connection.execute(table.insert(), batch)
                written += len(batch)
            return written

        return write

    try:
        return in_parallel([client(batches[k::clients]) for k in range(clients)])
    finally:
        engine.dispose()
