"""The cost of maatwerk, from a known history of indications and tariffs in Zwolle (0193)
and Dalfsen (0148), 2025-H1 (1 Jan to 30 Jun 2025). Cents are exact; euros rounded once.

Zwolle tariffs: Jeugdwet 45, product 45A10, per hour (04): 80.00 until 31 Mar 2025, 90.00
from 1 Apr 2025; the Jeugdwet 45 default per hour: 50.00 since 2024; Wmo 02 default per day
and night (14): 100.00 from 1 Jan 2025. Dalfsen: Jeugdwet 45 default per hour 0.01.
Zwolle households (episode open since 3 Jun 2024 unless said):
- A, 10: 45A10, 2 hours per week from 1 Jan 2025: 2/7 x (90 d x 8000 + 91 d x 9000) cents
  = 439,714.29 cents = 4,397 euro each.
- B, 2: 45B99 (no tariff of its own: the default), 10 hours per month, 1-28 Feb 2025:
  10 x 28 x 12 / 365.25 x 5000 = 45,995.89 cents = 460 euro each.
- C, 1: Wmo 02, 300 days and nights in total, 1 Nov 2024 - 30 Apr 2025 (181 days), 120
  days in the period: 300 / 181 x 120 x 10000 = 1,988,950.28 cents = 19,890 euro.
- D, 1: Wmo 02 in minutes (01): no tariff in that unit: unpriced.
- E, 1: a withdrawn indication only: 0 euro. F, 3: no indications: 0 euro.
- G, 2: closed 15 Mar 2025, 45A10 1 hour per week 1 Jan - 28 Feb 2025 (59 days):
  1/7 x 59 x 8000 = 67,428.57 cents = 674 euro each; closed with maatwerk.
- H, 3: closed 15 Mar 2025 without indications.
Dalfsen: 3 households without indications.
"""

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from gezinsplan.indications.models import Indication
from gezinsplan.steering import disclosure
from gezinsplan.steering.disclosure import Line
from gezinsplan.tariffs.models import Tariff
from tests.conftest import Clock, Token
from tests.test_steering import (
    CANARY_BSN,
    CANARY_NAME,
    DALFSEN,
    MEMBERS,
    ZWOLLE,
    at,
    get,
    published,
    raw,
    seed,
)

INDICATIONS = Indication.__table__  # type: ignore[attr-defined]
TARIFFS = Tariff.__table__  # type: ignore[attr-defined]
_numbers = iter(range(10**6))


def tariff(
    connection: Connection,
    code: str,
    regulation: str,
    category: str,
    product: str,
    unit: str,
    cents: int,
    valid: tuple[date, date | None],
) -> None:
    connection.execute(
        insert(TARIFFS).values(
            id=uuid.uuid4(),
            municipality_code=code,
            regulation=regulation,
            product_category=category,
            product_code=product,
            unit=unit,
            price_cents=cents,
            valid_from=valid[0],
            valid_until=valid[1],
            content_hash="0" * 64,
            created_at=at(2024, 1, 1),
            updated_at=at(2024, 1, 1),
        )
    )


def indication(
    connection: Connection,
    household: uuid.UUID,
    product: tuple[str, str, str | None],
    quantity: tuple[int, str, str],
    span: tuple[date, date | None],
    status: str = "active",
) -> None:
    regulation, category, code = product
    volume, unit, frequency = quantity
    connection.execute(
        insert(INDICATIONS).values(
            id=uuid.uuid4(),
            municipality_code=ZWOLLE,
            indication_number=f"K{next(_numbers)}",
            regulation=regulation,
            bsn=CANARY_BSN,
            household_id=household,
            product_category=category,
            product_code=code,
            volume=volume,
            unit=unit,
            frequency=frequency,
            provider_agb="12345678",
            start_date=span[0],
            end_date=span[1],
            decision_date=span[0],
            status=status,
            content_hash="0" * 64,
            created_at=at(2024, 1, 1),
            updated_at=at(2024, 1, 1),
        )
    )


@pytest.fixture
def priced(connection: Connection, municipalities: list[str], clock: Clock) -> list[uuid.UUID]:
    clock.set(at(2026, 12, 6))
    tariff(
        connection,
        ZWOLLE,
        "jeugdwet",
        "45",
        "45A10",
        "04",
        8000,
        (date(2024, 1, 1), date(2025, 3, 31)),
    )
    tariff(connection, ZWOLLE, "jeugdwet", "45", "45A10", "04", 9000, (date(2025, 4, 1), None))
    tariff(connection, ZWOLLE, "jeugdwet", "45", "", "04", 5000, (date(2024, 1, 1), None))
    tariff(connection, ZWOLLE, "wmo", "02", "", "14", 10000, (date(2025, 1, 1), None))
    tariff(connection, DALFSEN, "jeugdwet", "45", "", "04", 1, (date(2024, 1, 1), None))
    found: list[uuid.UUID] = []

    def one(closed: datetime | None = None, code: str = ZWOLLE) -> uuid.UUID:
        reason = None if closed is None else "goals_achieved"
        household = seed(connection, code, [(at(2024, 6, 3), "self", closed, reason)], CANARY_NAME)
        found.append(household)
        return household

    for _ in range(10):  # A
        indication(
            connection, one(), ("jeugdwet", "45", "45A10"), (2, "04", "2"), (date(2025, 1, 1), None)
        )
    for _ in range(2):  # B
        indication(
            connection,
            one(),
            ("jeugdwet", "45", "45B99"),
            (10, "04", "4"),
            (date(2025, 2, 1), date(2025, 2, 28)),
        )
    indication(
        connection,
        one(),
        ("wmo", "02", None),
        (300, "14", "6"),
        (date(2024, 11, 1), date(2025, 4, 30)),
    )
    indication(
        connection, one(), ("wmo", "02", None), (60, "01", "1"), (date(2025, 1, 1), None)
    )  # D
    indication(
        connection,
        one(),
        ("jeugdwet", "45", None),
        (5, "04", "1"),
        (date(2025, 1, 1), None),
        "withdrawn",
    )
    for _ in range(3):  # F
        one()
    for _ in range(2):  # G
        indication(
            connection,
            one(at(2025, 3, 15)),
            ("jeugdwet", "45", "45A10"),
            (1, "04", "2"),
            (date(2025, 1, 1), date(2025, 2, 28)),
        )
    for _ in range(3):  # H
        one(at(2025, 3, 15))
    for _ in range(3):
        one(code=DALFSEN)
    connection.execute(
        insert(MEMBERS).values(
            id=uuid.uuid4(),
            household_id=found[0],
            given_name=CANARY_NAME,
            family_name=CANARY_NAME,
            birth_date=date(1980, 1, 1),
            bsn=CANARY_BSN,
            relation="parent",
            is_guardian=True,
            version=1,
            household_status="open",
            created_at=at(2024, 6, 3),
            updated_at=at(2024, 6, 3),
        )
    )
    return found


def test_cost_is_volume_times_tariff_over_the_days_in_the_period(
    connection: Connection, priced: Any
) -> None:
    figures = raw(connection, "cost")
    zwolle = figures.areas[ZWOLLE]
    assert zwolle.counts["households", None, None] == 23
    assert {g: n for (m, d, g), n in zwolle.counts.items() if d == "costEuros"} == {
        "0": 7, "1-1000": 4, "1001-5000": 10, "5001-20000": 1, "20001+": 0, "unpriced": 1,
    }  # fmt: skip
    assert zwolle.counts["householdsWithCost", None, None] == 15
    assert zwolle.counts["householdsWithCost", "law", "jeugdwet"] == 14
    assert zwolle.counts["householdsWithCost", "law", "wmo"] == 1
    assert zwolle.counts["unpricedIndications", "law", "wmo"] == 1
    assert zwolle.counts["closed", "maatwerk", "with"] == 2
    assert zwolle.counts["closed", "maatwerk", "without"] == 3
    # 10 x 439,714.29 + 2 x 45,995.89 + 2 x 67,428.57 = 4,623,991.79 cents; + 1,988,950.28.
    assert zwolle.sums == {
        ("costEuros", None, None): 66129,
        ("closedCostEuros", "maatwerk", "with"): 1349,
        ("costEuros", "law", "jeugdwet"): 46240,
        ("costEuros", "law", "wmo"): 19890,
        ("costEuros", "productCategory", "jeugdwet:45"): 46240,
        ("costEuros", "productCategory", "wmo:02"): 19890,
    }
    assert sorted(zwolle.samples["householdCost", None, None]) == [
        460, 460, 674, 674, *[4397] * 10, 19890,
    ]  # fmt: skip
    assert set(figures.areas[DALFSEN].sums.values()) == {0}
    # In 2025-H2 only A runs: 2/7 x 184 days x 9000 = 473,142.86 cents each.
    later = raw(connection, "cost", "2025-H2").areas[ZWOLLE]
    assert later.sums["costEuros", "law", "jeugdwet"] == 47314
    assert later.counts["households", "costEuros", "1001-5000"] == 10


@pytest.fixture
def policy(token: Token) -> dict[str, str]:
    return token("policy", municipalities=(ZWOLLE, DALFSEN), sub="beleid")


def test_cost_sums_only_with_ten_households_behind_them(
    client: TestClient, policy: dict[str, str], priced: Any
) -> None:
    zwolle = published(get(client, policy, "cost", period="2025-H1", municipality=ZWOLLE), ZWOLLE)
    assert zwolle["costEuros", None, None] == (66129, None)  # 15 households
    assert zwolle["costEuros", "law", "wmo"] == (None, "small_n")  # 1 household
    # Else 66,129 - 46,240 gives Wmo's; and the category is the law's only part.
    assert zwolle["costEuros", "law", "jeugdwet"] == (None, "secondary")
    assert zwolle["costEuros", "productCategory", "jeugdwet:45"] == (None, "secondary")
    assert zwolle["closedCostEuros", "maatwerk", "with"] == (None, "small_n")
    assert zwolle["householdCostMedianEuros", None, None] == (4397.0, None)  # n = 15
    assert zwolle["households", "costEuros", "1001-5000"] == (10, None)
    assert zwolle["households", "costEuros", "unpriced"][0] is None
    both = get(client, policy, "cost", period="2025-H1")
    for area in both["periods"][0]["areas"]:
        for figure in area["figures"]:
            if figure["kind"] == "count":
                assert figure["value"] is None or figure["value"] % 5 == 0
    dalfsen = published(both, DALFSEN)
    assert dalfsen["costEuros", None, None] == (None, "small_n")


def test_no_cost_report_names_a_household_or_a_member(
    client: TestClient, policy: dict[str, str], priced: list[uuid.UUID]
) -> None:
    for accept in ("application/json", "text/csv", "image/svg+xml"):
        response = client.get(
            "/api/v1/indicators/cost",
            params={"period": "2025-H1..2025-H2"},
            headers=policy | {"Accept": accept},
        )
        assert response.status_code == 200, response.text
        assert "CANARY" not in response.text
        assert CANARY_BSN not in response.text
        assert not any(str(household) in response.text for household in priced)


def test_only_policy_reads_the_cost(client: TestClient, token: Token, priced: Any) -> None:
    for role in ("municipal_system", "toegang", "care_provider"):
        headers = token(role, municipalities=(ZWOLLE,))
        response = client.get("/api/v1/indicators/cost", headers=headers)
        assert response.status_code == 403
    other = token("policy", municipalities=("0363",))
    response = client.get("/api/v1/indicators/cost", params={"municipality": ZWOLLE}, headers=other)
    assert response.status_code == 403


def test_a_hidden_sum_cannot_be_recomputed_from_the_shown_ones() -> None:
    """Sums with fewer than 10 households go, and with them enough others."""
    sums = {"total": 1000, "a": 600, "b": 300, "c": 100}
    households = {"total": 30, "a": 15, "b": 12, "c": 3}
    shown = disclosure.protect_sums(sums, households, [Line("total", ("a", "b", "c"))])
    assert shown["c"].suppressed == "small_n"
    assert shown["b"].suppressed == "secondary"  # else 1000 - 600 - 300 = 100
    assert shown["total"].value == 1000
    assert shown["a"].value == 600
    assert (
        disclosure.determined_cells(
            sums,
            [Line("total", ("a", "b", "c"))],
            {k: v for k, v in shown.items() if v.value is None},
        )
        == []
    )
