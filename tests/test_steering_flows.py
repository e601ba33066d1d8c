"""Relapse from a known episode history in Zwolle (0193) and Dalfsen (0148).

2025-H1 (its 12-month window passed on 30 June 2026) and 2025-H2 (still open on the pinned
day, 6 December 2026):

Zwolle
- 10 households closed 10 Mar 2025 (goals achieved), reopened 1 Sep 2025: followed. They
  close again on 1 Nov 2025 (goals achieved); 4 of them reopen 5 Jan 2026: followed (H2).
- 2 households closed 10 Mar 2025 (goals achieved), reopened 10 Mar 2026: the window's last
  day, followed; 3 more reopened 11 Mar 2026: one day late, not followed.
- 2 households closed 30 Apr 2025 22:30 UTC = 1 May Dutch time (family declined), reopened
  2 May: adjoining, not followed.
- 8 households closed 1 Jun 2025 (no contact), never reopened.
Dalfsen
- 9 households closed 1 Feb 2025 (moved away), reopened 1 Dec 2025: followed.
- 1 household closed 30 Jun 2025 21:30 UTC = 23:30 on the period's last day, reopened
  30 Jun 2026: followed, on the last day of its window.
- 1 household closed 31 Dec 2024 23:30 UTC = 1 Jan 2025 Dutch time: in 2025-H1, not followed.
- 3 households closed 1 Aug 2025 (no contact): 2025-H2, not followed.
"""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from gezinsplan.steering import service
from gezinsplan.steering.catalogue import Breakdown
from gezinsplan.steering.figures import CLOSING_REASONS
from tests.conftest import Clock
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


@pytest.fixture
def relapses(
    connection: Connection, municipalities: list[str], clock: Clock
) -> dict[str, list[uuid.UUID]]:
    clock.set(at(2026, 12, 6))
    found: dict[str, list[uuid.UUID]] = {"zwolle-closed": [], "zwolle-open": []}
    start = at(2024, 1, 8)
    for number in range(10):
        spells: list[Any] = [
            (start, "self", at(2025, 3, 10), "goals_achieved"),
            (at(2025, 9, 1), "self", at(2025, 11, 1), "goals_achieved"),
        ]
        if number < 4:
            spells.append((at(2026, 1, 5), "self", None, None))
        household = seed(connection, ZWOLLE, spells)
        found["zwolle-open" if number < 4 else "zwolle-closed"].append(household)
    for reopened in (at(2026, 3, 10),) * 2 + (at(2026, 3, 11),) * 3:
        seed(
            connection,
            ZWOLLE,
            [
                (start, "self", at(2025, 3, 10), "goals_achieved"),
                (reopened, "self", None, None),
            ],
        )
    for _ in range(2):
        seed(
            connection,
            ZWOLLE,
            [
                (start, "police", at(2025, 4, 30, 22, 30), "family_declined"),
                (at(2025, 5, 2, 8), "police", None, None),
            ],
        )
    for _ in range(8):
        seed(connection, ZWOLLE, [(start, "school", at(2025, 6, 1), "no_contact")])
    for _ in range(9):
        seed(
            connection,
            DALFSEN,
            [
                (start, "school", at(2025, 2, 1), "moved_away"),
                (at(2025, 12, 1), "self", None, None),
            ],
        )
    seed(
        connection,
        DALFSEN,
        [
            (start, "school", at(2025, 6, 30, 21, 30), "moved_away"),
            (at(2026, 6, 30, 8), "self", None, None),
        ],
    )
    seed(connection, DALFSEN, [(start, "school", at(2024, 12, 31, 23, 30), "moved_away")])
    for _ in range(3):
        seed(connection, DALFSEN, [(start, "school", at(2025, 8, 1), "no_contact")])
    return found


def test_relapse_counts_new_episodes_within_12_months(
    connection: Connection, relapses: Any
) -> None:
    figures = raw(connection, "relapse", by=Breakdown.CLOSING_REASON)
    assert figures.provisional is False
    assert totals(figures, ZWOLLE) == {"closed": 25, "followed": 12, "notFollowed": 13}
    assert totals(figures, DALFSEN) == {"closed": 11, "followed": 10, "notFollowed": 1}
    assert totals(figures, service.ALL) == {"closed": 36, "followed": 22, "notFollowed": 14}
    assert dimension(figures, ZWOLLE, "closingReason") == every(CLOSING_REASONS) | {
        "family_declined": 2,
        "goals_achieved": 15,
        "moved_away": 0,
        "no_contact": 8,
    }
    counts = figures.areas[ZWOLLE].counts
    assert counts["followed", "closingReason", "goals_achieved"] == 12
    assert counts["notFollowed", "closingReason", "family_declined"] == 2  # adjoining
    later = raw(connection, "relapse", "2025-H2")
    assert later.provisional is True  # the window of 1 Dec 2025 runs until 1 Dec 2026 and on
    assert totals(later, ZWOLLE) == {"closed": 10, "followed": 4, "notFollowed": 6}
    assert totals(later, DALFSEN) == {"closed": 3, "followed": 0, "notFollowed": 3}


def test_relapse_is_provisional_until_its_window_has_passed(
    connection: Connection, relapses: Any, clock: Clock
) -> None:
    clock.set(at(2026, 6, 30, 12))  # the last day of 2025-H1's window: still provisional
    assert raw(connection, "relapse").provisional is True
    clock.set(at(2026, 6, 30, 23))  # 1 July 2026 in the Netherlands
    assert raw(connection, "relapse").provisional is False


@pytest.fixture
def policy(token: Any) -> dict[str, str]:
    headers: dict[str, str] = token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")
    return headers


def test_relapse_published_with_suppression(
    client: TestClient, policy: dict[str, str], relapses: Any
) -> None:
    body = get(client, policy, "relapse", period="2025-H1..2025-H2")
    assert [p["provisional"] for p in body["periods"]] == [False, True]
    hidden, secondary = (None, "small_count"), (None, "secondary")
    zwolle, dalfsen, together = (published(body, area) for area in (ZWOLLE, DALFSEN, None))
    # Dalfsen's 1 not followed is hidden, so its 10 followed goes; then Zwolle's 13 and 12
    # beside all together's 14 and 22, or Dalfsen's would follow by subtraction.
    assert dalfsen["notFollowed", None, None] == hidden
    assert dalfsen["followed", None, None] == secondary
    assert zwolle["followed", None, None] == secondary
    assert zwolle["notFollowed", None, None] == secondary
    assert zwolle["closed", None, None] == (25, None)
    assert zwolle["relapseShare", None, None] == (None, "part_suppressed")
    assert together["closed", None, None] == (35, None)
    assert together["followed", None, None] == (20, None)
    assert together["relapseShare", None, None] == (round(20 / 35, 3), None)


def test_a_past_relapse_period_keeps_its_figures(
    client: TestClient,
    connection: Connection,
    policy: dict[str, str],
    toegang: dict[str, str],
    relapses: dict[str, list[uuid.UUID]],
) -> None:
    params = {"period": "2025-H1..2025-H2", "by": "closing_reason"}
    before = get(client, policy, "relapse", **params)
    raw_before = raw(connection, "relapse", by=Breakdown.CLOSING_REASON)
    for household in relapses["zwolle-closed"]:  # closed 1 Nov 2025, reopened 6 Dec 2026
        response = client.post(
            f"{API}/households/{household}/reopen",
            json={"referralSource": "self"},
            headers=toegang,
        )
        assert response.status_code == 200, response.text
    for household in relapses["zwolle-open"]:
        response = client.post(
            f"{API}/households/{household}/close",
            json={"closingReason": "goals_achieved"},
            headers=toegang,
        )
        assert response.status_code == 200, response.text
    assert get(client, policy, "relapse", **params) == before
    after = raw(connection, "relapse", by=Breakdown.CLOSING_REASON)
    assert after.areas == raw_before.areas
