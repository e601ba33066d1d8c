"""Caseload and continuity of the regisseur from a known history in Zwolle (0193) and Dalfsen
(0148). Every episode opens 6 Jan 2025 (10:00 UTC) and stays open unless said.

Zwolle
- r0 holds 30 households from 16 Jan (10 days); 10 of them go to r12 on 1 Sep 2025.
- r1 holds 20 households from 26 Jan (20 days), and 5 in Dalfsen: 25, counted in Zwolle.
- r2..r10 hold one household each, after z started it on 6 Jan: 9 handovers on 1 Apr.
- 3 households never get a regisseur.
- 1 household with r11 from 6 Jan closes 30 Jun 2025 21:30 UTC (23:30, the last day).
Dalfsen
- 12 households with x from 6 Jan, handed over to d0 on 1 Mar: 12 handovers.
- 5 households with r1 from 6 Jan.
- 2 households with y from 6 Jan until 1 May, then none.

Every household open in 2025-H1 is open 176 Dutch days of it (6 Jan to 30 Jun).
"""

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.organizations.models import Organization
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.steering import service
from tests.conftest import Clock, Token
from tests.test_steering import (
    API,
    DALFSEN,
    ZWOLLE,
    at,
    get,
    published,
    raw,
    seed,
    totals,
)

ROLES = RoleAssignment.__table__  # type: ignore[attr-defined]
OPENED = at(2025, 1, 6)

Spell = tuple[str, datetime, datetime | None]


def household(
    connection: Connection,
    code: str,
    regisseurs: list[Spell],
    closed: datetime | None = None,
) -> uuid.UUID:
    reason = None if closed is None else "goals_achieved"
    found = seed(connection, code, [(OPENED, "self", closed, reason)])
    organization = connection.scalar(
        select(col(Organization.id)).where(col(Organization.municipality_code) == code)
    )
    for sub, started, ended in regisseurs:
        connection.execute(
            insert(ROLES).values(
                id=uuid.uuid4(),
                household_id=found,
                role_type="regisseur",
                organization_id=organization,
                professional_sub=sub,
                professional_name=f"Regisseur {sub}",
                started_at=started,
                ended_at=ended,
                started_by="toegang",
                created_at=started,
            )
        )
    return found


def bins(figures: service.RawPeriod, area: str) -> dict[str | None, int]:
    counts = figures.areas[area].counts
    return {g: n for (m, d, g), n in counts.items() if (m, d) == ("regisseurs", "caseload")}


@pytest.fixture
def caseloads(
    connection: Connection, municipalities: list[str], clock: Clock
) -> dict[str, list[uuid.UUID]]:
    clock.set(at(2026, 12, 6))
    found: dict[str, list[uuid.UUID]] = {"zwolle": []}
    handover = at(2025, 9, 1)
    for number in range(30):
        spells: list[Spell] = [("r0", at(2025, 1, 16), handover if number < 10 else None)]
        if number < 10:
            spells.append(("r12", handover, None))
        found["zwolle"].append(household(connection, ZWOLLE, spells))
    for _ in range(20):
        found["zwolle"].append(household(connection, ZWOLLE, [("r1", at(2025, 1, 26), None)]))
    for number in range(2, 11):
        spells = [("z", OPENED, at(2025, 4, 1)), (f"r{number}", at(2025, 4, 1), None)]
        found["zwolle"].append(household(connection, ZWOLLE, spells))
    for _ in range(3):
        found["zwolle"].append(household(connection, ZWOLLE, []))
    last = at(2025, 6, 30, 21, 30)
    household(connection, ZWOLLE, [("r11", OPENED, last)], closed=last)
    for _ in range(12):
        spells = [("x", OPENED, at(2025, 3, 1)), ("d0", at(2025, 3, 1), None)]
        household(connection, DALFSEN, spells)
    for _ in range(5):
        household(connection, DALFSEN, [("r1", OPENED, None)])
    for _ in range(2):
        household(connection, DALFSEN, [("y", OPENED, at(2025, 5, 1))])
    return found


def test_caseload_on_the_last_day_and_continuity_in_the_period(
    connection: Connection, caseloads: Any
) -> None:
    figures = raw(connection, "caseload")
    assert totals(figures, ZWOLLE) == {
        "openHouseholds": 62,
        "withRegisseur": 59,
        "withoutRegisseur": 3,
        "regisseurs": 11,
        "firstRegisseur": 60,
        "handovers": 9,
        "householdMonths": round(63 * 176 / (365.25 / 12)),
    }
    assert bins(figures, ZWOLLE) == {"0-9": 9, "10-19": 0, "20-29": 1, "30+": 1}
    zwolle = figures.areas[ZWOLLE].samples
    assert sorted(zwolle["caseload", None, None]) == [1] * 9 + [25, 30]
    assert sorted(zwolle["firstRegisseur", None, None]) == [0] * 10 + [10] * 30 + [20] * 20
    assert totals(figures, DALFSEN) == {
        "openHouseholds": 19,
        "withRegisseur": 17,
        "withoutRegisseur": 2,
        "regisseurs": 1,
        "firstRegisseur": 19,
        "handovers": 12,
        "householdMonths": round(19 * 176 / (365.25 / 12)),
    }
    assert figures.areas[DALFSEN].samples["caseload", None, None] == [12]
    assert sorted(figures.areas[service.ALL].samples["caseload", None, None]) == (
        [1] * 9 + [12, 25, 30]
    )
    later = raw(connection, "caseload", "2025-H2")
    assert bins(later, ZWOLLE) == {"0-9": 9, "10-19": 1, "20-29": 2, "30+": 0}
    assert totals(later, ZWOLLE)["handovers"] == 10
    assert totals(later, ZWOLLE)["firstRegisseur"] == 0
    assert totals(later, DALFSEN)["handovers"] == 0


@pytest.fixture
def policy(token: Token) -> dict[str, str]:
    return token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")


def test_caseload_published_as_a_distribution_only(
    client: TestClient, policy: dict[str, str], caseloads: Any
) -> None:
    response = client.get(
        f"{API}/indicators/caseload", params={"period": "2025-H1"}, headers=policy
    )
    assert response.status_code == 200, response.text
    for sub in ("r0", "r1", "r12", "d0", "Regisseur"):
        assert f'"{sub}' not in response.text
    body = response.json()
    zwolle, dalfsen, together = (published(body, area) for area in (ZWOLLE, DALFSEN, None))
    assert zwolle["caseloadMedian", None, None] == (1.0, None)
    assert zwolle["caseloadMean", None, None] == (round(64 / 11, 1), None)
    assert dalfsen["caseloadMedian", None, None] == (None, "small_n")
    assert together["caseloadMean", None, None] == (round(76 / 12, 1), None)
    assert zwolle["firstRegisseurMedianDays", None, None] == (10.0, None)
    assert dalfsen["firstRegisseurMedianDays", None, None] == (0.0, None)
    # 9 handovers shown as 10 over 364 household-months shown as 365.
    assert zwolle["handoversPer100HouseholdMonths", None, None] == (round(10 / 365 * 100, 1), None)
    assert zwolle["withoutRegisseur", None, None] == (None, "small_count")
    assert zwolle["withoutRegisseurShare", None, None] == (None, "part_suppressed")


def test_a_past_caseload_period_keeps_its_figures(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    caseloads: dict[str, list[uuid.UUID]],
) -> None:
    params = {"period": "2025-H1..2025-H2"}
    before = get(client, policy, "caseload", **params)
    raw_before = raw(connection, "caseload")
    for household_id in caseloads["zwolle"][:25]:  # ends the regisseur's assignment today
        response = client.post(
            f"{API}/households/{household_id}/close",
            json={"closingReason": "goals_achieved"},
            headers=toegang,
        )
        assert response.status_code == 200, response.text
    assert get(client, policy, "caseload", **params) == before
    assert normal(raw(connection, "caseload")) == normal(raw_before)


def normal(figures: service.RawPeriod) -> dict[str, Any]:
    """Counts and samples per area, the samples sorted (rows come in no fixed order)."""
    return {
        code: (area.counts, {cell: sorted(values) for cell, values in area.samples.items()})
        for code, area in figures.areas.items()
    }
