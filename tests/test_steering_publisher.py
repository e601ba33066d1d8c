"""The nightly publisher: periods that passed since a report was published are published for
the same scope, indicator and breakdown before anyone asks, and then survive an erasure."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from gezinsplan.audit.models import AuditRecord
from gezinsplan.steering import publisher, service
from gezinsplan.steering.catalogue import BY_ID
from gezinsplan.steering.periods import parse_period
from gezinsplan.steering.snapshots.models import PublishedFigures
from tests.conftest import Clock
from tests.test_steering import (
    DALFSEN,
    HOUSEHOLDS,
    POLICY,
    ZWOLLE,
    at,
    get,
    history,  # noqa: F401 (a fixture)
    policy,  # noqa: F401 (a fixture)
    published,
)


def publish(connection: Connection) -> int:
    with Session(connection) as session:
        published = publisher.publish_passed(session)
        session.commit()  # as the command does: the audit records are written at commit
    return published


def compute(connection: Connection) -> service.PeriodReport:
    """2025-H2's stock-flow as the service would publish it now."""
    with Session(connection) as session:
        raw = service.raw_figures(
            session, POLICY, BY_ID["stock-flow"], [DALFSEN, ZWOLLE], parse_period("2025-H2"), None
        )
    return service.protect(raw)


def counts_of(report: service.PeriodReport, area: str) -> dict[tuple[str, Any, Any], Any]:
    """A period's figures for one area as ``published`` reads them from the JSON."""
    found = next(a for a in report.areas if a.municipality == area)
    return {
        (f.measure, f.dimension, f.group): (f.shown.value, f.shown.suppressed)
        for f in found.figures
    }


def test_the_periods_passed_since_are_published_ahead_and_survive_an_erasure(
    client: TestClient,
    connection: Connection,
    clock: Clock,
    policy: dict[str, str],  # noqa: F811
    history: dict[str, list[Any]],  # noqa: F811
) -> None:
    clock.set(at(2025, 8, 1))
    get(client, policy, "stock-flow", period="2025-H1")
    assert publish(connection) == 0  # 2025-H2 is still running

    clock.set(at(2026, 1, 2))
    computed = compute(connection)
    assert publish(connection) == 1
    assert publish(connection) == 0  # nothing new has passed
    stored = connection.execute(
        select(col(PublishedFigures.indicator), col(PublishedFigures.period))
    ).all()
    assert sorted(stored) == [("stock-flow", "2025-H1"), ("stock-flow", "2025-H2")]
    audited = connection.execute(
        select(col(AuditRecord.purpose)).where(col(AuditRecord.actor_sub) == publisher.PUBLISHER)
    ).scalars()
    assert [purpose.split(": ", 1)[1] for purpose in audited] == [
        "indicator stock-flow, municipalities 0148, 0193, periods 2025-H2..2025-H2"
    ]

    connection.execute(delete(HOUSEHOLDS).where(HOUSEHOLDS.c.id.in_(history["zwolle-open"])))
    assert counts_of(compute(connection), ZWOLLE) != counts_of(computed, ZWOLLE)
    body = get(client, policy, "stock-flow", period="2025-H2")
    for area in (ZWOLLE, DALFSEN, None):
        assert published(body, area) == counts_of(computed, area)
