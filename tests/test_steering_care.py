"""Closed without maatwerk, and stacking, from a known history of episodes and indications in
Zwolle (0193) and Dalfsen (0148), 2025-H1 and 2025-H2 (Dutch days, indications inclusive).

Closed without maatwerk, Zwolle 2025-H1 (episodes 6 Jan to 15 Apr 2025):
- 12 households without indications: without.
- 3 (goals achieved) with a Jeugdwet indication 1 Feb to 31 Mar 2025: with.
- 2 (ended by the team) with a Wmo indication starting on the closing day: with.
- 2 opened 5 Jan 2025 23:30 UTC = 6 Jan Dutch time, indication ended 5 Jan: without.
- 1 with a withdrawn indication over the whole episode: without.
- 1 with an indication starting 16 Apr, the day after the closing: without.
Zwolle 2025-H2: 10 closed 1 Oct 2025 (no contact) with an open Wmo indication since 2024.
Dalfsen 2025-H1: 9 closed 1 Mar 2025 (moved away) without, 1 with an open Wmo indication.
"""

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from gezinsplan.indications.models import Indication
from gezinsplan.steering import service
from gezinsplan.steering.catalogue import Breakdown
from tests.conftest import Clock, Token
from tests.test_steering import (
    API,
    DALFSEN,
    ZWOLLE,
    at,
    dimension,
    get,
    published,
    raw,
    seed,
    totals,
)

INDICATIONS = Indication.__table__  # type: ignore[attr-defined]
_numbers = iter(range(10**6))


def indication(
    connection: Connection,
    household: uuid.UUID,
    start: date,
    end: date | None,
    regulation: str = "jeugdwet",
    status: str = "active",
    code: str = ZWOLLE,
) -> None:
    moment = at(start.year, start.month, start.day)
    connection.execute(
        insert(INDICATIONS).values(
            id=uuid.uuid4(),
            municipality_code=code,
            indication_number=f"B{next(_numbers)}",
            regulation=regulation,
            bsn="999999990",
            household_id=household,
            product_category="45" if regulation == "jeugdwet" else "02",
            provider_agb="12345678",
            start_date=start,
            end_date=end,
            decision_date=start,
            status=status,
            content_hash="0" * 64,
            created_at=moment,
            updated_at=moment,
        )
    )


@pytest.fixture
def maatwerk(
    connection: Connection, municipalities: list[str], clock: Clock
) -> dict[str, list[uuid.UUID]]:
    clock.set(at(2026, 12, 6))
    found: dict[str, list[uuid.UUID]] = {"zwolle-without": [], "dalfsen": []}
    opened, closed = at(2025, 1, 6), at(2025, 4, 15)

    def one(reason: str = "goals_achieved", start: datetime = opened) -> uuid.UUID:
        return seed(connection, ZWOLLE, [(start, "self", closed, reason)])

    for _ in range(12):
        found["zwolle-without"].append(one())
    for _ in range(3):
        indication(connection, one(), date(2025, 2, 1), date(2025, 3, 31))
    for _ in range(2):
        indication(connection, one("ended_by_team"), date(2025, 4, 15), None, "wmo")
    for _ in range(2):
        indication(
            connection, one(start=at(2025, 1, 5, 23, 30)), date(2024, 6, 1), date(2025, 1, 5)
        )
    indication(connection, one(), date(2025, 1, 1), None, status="withdrawn")
    indication(connection, one(), date(2025, 4, 16), None)
    for _ in range(10):
        household = seed(
            connection, ZWOLLE, [(at(2025, 5, 1), "self", at(2025, 10, 1), "no_contact")]
        )
        indication(connection, household, date(2024, 1, 1), None, "wmo")
    for number in range(10):
        household = seed(connection, DALFSEN, [(opened, "school", at(2025, 3, 1), "moved_away")])
        found["dalfsen"].append(household)
        if number == 0:
            indication(connection, household, date(2024, 1, 1), None, "wmo", code=DALFSEN)
    return found


def test_closed_without_maatwerk_counts_overlap_in_dutch_days(
    connection: Connection, maatwerk: Any
) -> None:
    figures = raw(connection, "without_maatwerk", by=Breakdown.CLOSING_REASON)
    zwolle = {"closed": 21, "withoutMaatwerk": 16, "withMaatwerk": 5}
    dalfsen = {"closed": 10, "withoutMaatwerk": 9, "withMaatwerk": 1}
    assert totals(figures, ZWOLLE) == zwolle
    assert totals(figures, DALFSEN) == dalfsen
    assert totals(figures, service.ALL) == {k: zwolle[k] + dalfsen[k] for k in zwolle}
    assert dimension(figures, ZWOLLE, "closingReason") == {
        "ended_by_team": 2,
        "goals_achieved": 19,
        "moved_away": 0,
    }
    counts = figures.areas[ZWOLLE].counts
    assert counts["withMaatwerk", "closingReason", "ended_by_team"] == 2
    assert counts["withoutMaatwerk", "closingReason", "goals_achieved"] == 16
    later = raw(connection, "without_maatwerk", "2025-H2")
    assert totals(later, ZWOLLE) == {"closed": 10, "withoutMaatwerk": 0, "withMaatwerk": 10}
    assert totals(later, DALFSEN) == {"closed": 0, "withoutMaatwerk": 0, "withMaatwerk": 0}


@pytest.fixture
def policy(token: Token) -> dict[str, str]:
    return token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")


def test_closed_without_maatwerk_published_with_suppression(
    client: TestClient, policy: dict[str, str], maatwerk: Any
) -> None:
    body = get(client, policy, "without_maatwerk", period="2025-H1")
    zwolle, dalfsen, together = (published(body, area) for area in (ZWOLLE, DALFSEN, None))
    hidden, secondary = (None, "small_count"), (None, "secondary")
    assert zwolle["withMaatwerk", None, None] == hidden  # 5
    assert dalfsen["withMaatwerk", None, None] == hidden  # 1
    assert dalfsen["withoutMaatwerk", None, None] == secondary  # 9: else 10 - 1
    assert together["withMaatwerk", None, None] == hidden  # 6
    assert together["closed", None, None] == (30, None)  # 31
    assert zwolle["closed", None, None] == (20, None)  # 21
    assert zwolle["withoutMaatwerkShare", None, None] == (None, "part_suppressed")
    assert together["withoutMaatwerkShare", None, None] == (None, "part_suppressed")


def test_a_past_period_without_maatwerk_keeps_its_figures(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    maatwerk: dict[str, list[uuid.UUID]],
) -> None:
    params = {"period": "2025-H1..2025-H2", "by": "closing_reason"}
    before = get(client, policy, "without_maatwerk", **params)
    raw_before = raw(connection, "without_maatwerk", by=Breakdown.CLOSING_REASON)
    for household in maatwerk["zwolle-without"]:  # care from today on, after a reopening
        response = client.post(
            f"{API}/households/{household}/reopen",
            json={"referralSource": "self"},
            headers=toegang,
        )
        assert response.status_code == 200, response.text
        indication(connection, household, date(2026, 12, 6), None)
    assert get(client, policy, "without_maatwerk", **params) == before
    after = raw(connection, "without_maatwerk", by=Breakdown.CLOSING_REASON)
    assert after.areas == raw_before.areas
