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
from gezinsplan.steering.figures import CLOSING_REASONS
from tests.conftest import Clock, Token
from tests.test_steering import (
    API,
    DALFSEN,
    ZWOLLE,
    at,
    dimension,
    every,
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
    assert dimension(figures, ZWOLLE, "closingReason") == every(CLOSING_REASONS) | {
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


# --- stacking ----------------------------------------------------------------------------------
#
# Zwolle, episodes open since 8 Jan 2024 unless said:
# - 10 with a Jeugdwet indication since 1 Jun 2024.
# - 3 with Jeugdwet 1 Jan-31 Dec 2025 and Wmo 1 Mar-30 Jun 2025: both, 2 on 30 June.
# - 2 with Wmo 1 Jan-28 Feb, Wmo since 1 Mar, Jeugdwet 1 Feb-15 Mar 2025: on 30 June only
#   Wmo (1); over 2025-H1 both laws, at most 2 on one day.
# - 1 with Jeugdwet and Wmo since 1 Jan 2025 and Wmo since 1 Feb 2025: both, 3.
# - 2 without indications, 1 with only a withdrawn one.
# - 1 closed 30 Jun 2025 21:30 UTC (23:30 Dutch) with Jeugdwet running: in the period only.
# - 1 closed 31 Dec 2024 with Jeugdwet running: not in 2025 at all.
# Dalfsen: 8 with Wmo since 1 May 2025; 1 closed 1 Apr 2025 with Jeugdwet since 1 Jan 2025.


@pytest.fixture
def stacked(
    connection: Connection, municipalities: list[str], clock: Clock
) -> dict[str, list[uuid.UUID]]:
    clock.set(at(2026, 12, 6))
    found: dict[str, list[uuid.UUID]] = {"zwolle-open": [], "dalfsen-open": []}

    def one(code: str = ZWOLLE, closed: datetime | None = None) -> uuid.UUID:
        reason = None if closed is None else "goals_achieved"
        household = seed(connection, code, [(at(2024, 1, 8), "self", closed, reason)])
        if closed is None:
            found["zwolle-open" if code == ZWOLLE else "dalfsen-open"].append(household)
        return household

    for _ in range(10):
        indication(connection, one(), date(2024, 6, 1), None)
    for _ in range(3):
        household = one()
        indication(connection, household, date(2025, 1, 1), date(2025, 12, 31))
        indication(connection, household, date(2025, 3, 1), date(2025, 6, 30), "wmo")
    for _ in range(2):
        household = one()
        indication(connection, household, date(2025, 1, 1), date(2025, 2, 28), "wmo")
        indication(connection, household, date(2025, 3, 1), None, "wmo")
        indication(connection, household, date(2025, 2, 1), date(2025, 3, 15))
    household = one()
    indication(connection, household, date(2025, 1, 1), None)
    indication(connection, household, date(2025, 1, 1), None, "wmo")
    indication(connection, household, date(2025, 2, 1), None, "wmo")
    one(), one()
    indication(connection, one(), date(2025, 1, 1), None, "wmo", status="withdrawn")
    indication(connection, one(closed=at(2025, 6, 30, 21, 30)), date(2025, 1, 1), None)
    indication(connection, one(closed=at(2024, 12, 31)), date(2024, 6, 1), None)
    for _ in range(8):
        indication(connection, one(DALFSEN), date(2025, 5, 1), None, "wmo", code=DALFSEN)
    closed = one(DALFSEN, closed=at(2025, 4, 1))
    indication(connection, closed, date(2025, 1, 1), None, code=DALFSEN)
    return found


def split(figures: service.RawPeriod, area: str, measure: str, name: str) -> dict[Any, int]:
    counts = figures.areas[area].counts
    return {g: n for (m, d, g), n in counts.items() if m == measure and d == name}


def test_stacking_by_law_and_concurrency_on_the_last_day_and_over_the_period(
    connection: Connection, stacked: Any
) -> None:
    figures = raw(connection, "stacking")
    last, over = "householdsOnLastDay", "householdsInPeriod"
    assert totals(figures, ZWOLLE) == {last: 19, over: 20}
    assert split(figures, ZWOLLE, last, "laws") == {"none": 3, "jeugdwet": 10, "wmo": 2, "both": 4}
    assert split(figures, ZWOLLE, last, "concurrentIndications") == {
        "0": 3, "1": 12, "2": 3, "3+": 1,
    }  # fmt: skip
    assert split(figures, ZWOLLE, over, "laws") == {"none": 3, "jeugdwet": 11, "wmo": 0, "both": 6}
    assert split(figures, ZWOLLE, over, "concurrentIndications") == {
        "0": 3, "1": 11, "2": 5, "3+": 1,
    }  # fmt: skip
    assert totals(figures, DALFSEN) == {last: 8, over: 9}
    assert split(figures, DALFSEN, over, "laws") == {"none": 0, "jeugdwet": 1, "wmo": 8, "both": 0}
    assert split(figures, service.ALL, over, "concurrentIndications") == {
        "0": 3, "1": 20, "2": 5, "3+": 1,
    }  # fmt: skip
    later = raw(connection, "stacking", "2025-H2")
    assert totals(later, ZWOLLE) == {last: 19, over: 19}
    for moment in (last, over):
        assert split(later, ZWOLLE, moment, "laws") == {
            "none": 3, "jeugdwet": 13, "wmo": 2, "both": 1,
        }  # fmt: skip
        assert split(later, ZWOLLE, moment, "concurrentIndications") == {
            "0": 3, "1": 15, "2": 0, "3+": 1,
        }  # fmt: skip
    assert totals(later, DALFSEN) == {last: 8, over: 8}


def test_stacking_published_with_suppression(
    client: TestClient, policy: dict[str, str], stacked: Any
) -> None:
    body = get(client, policy, "stacking", period="2025-H1")
    zwolle = published(body, ZWOLLE)
    assert zwolle["householdsOnLastDay", None, None] == (20, None)  # 19
    assert zwolle["householdsOnLastDay", "laws", "jeugdwet"] == (10, None)
    assert zwolle["householdsOnLastDay", "laws", "wmo"] == (None, "small_count")
    dalfsen = published(body, DALFSEN)
    # Dalfsen's one household with Jeugdwet is hidden; its 8 with Wmo go too, or 9 - 8 = 1.
    assert dalfsen["householdsInPeriod", "laws", "jeugdwet"] == (None, "small_count")
    assert dalfsen["householdsInPeriod", "laws", "wmo"] == (None, "secondary")
    for area in body["periods"][0]["areas"]:
        for figure in area["figures"]:
            assert figure["value"] is None or (figure["value"] % 5 == 0 and figure["value"] >= 10)


def test_a_past_period_of_stacking_keeps_its_figures(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    stacked: dict[str, list[uuid.UUID]],
) -> None:
    params = {"period": "2025-H1..2025-H2"}
    before = get(client, policy, "stacking", **params)
    raw_before = raw(connection, "stacking")
    for household in stacked["zwolle-open"][:8]:
        indication(connection, household, date(2026, 12, 6), None, "wmo")
        response = client.post(
            f"{API}/households/{household}/close",
            json={"closingReason": "goals_achieved"},
            headers=toegang,
        )
        assert response.status_code == 200, response.text
    assert get(client, policy, "stacking", **params) == before
    assert raw(connection, "stacking").areas == raw_before.areas
